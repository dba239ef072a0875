import { describe, expect, it } from "vitest";
import { offlineConsolidator } from "./offline-consolidator.js";
import { note, session } from "./test-support.js";

const now = "2026-03-01T00:00:00Z";
const created = "2026-01-01T00:00:00Z";
const memories = [
  note("tooling/test.md", { id: "mem_t", title: "Run the tests", created }, "Run the unit tests with `pnpm vitest run --reporter dot`.\n"),
  note("infra/health.md", { id: "mem_h", title: "Health check", created }, "The API health check answers on port 8080 at /healthz.\n"),
  note("tooling/node.md", { id: "mem_n", title: "Node version", created }, "The project runs on node 20.11.1.\n"),
  note("tooling/lint.md", { id: "mem_l", title: "Lint", created, verified: [{ session: "ses_2", turn: 2 }] }, "Lint with `pnpm eslint .` before pushing.\n"),
];

describe("verify", () => {
  it("stamps each memory whose command, port or version a later session exercised, citing the successful turn", async () => {
    const sessions = [
      session("ses_2", "2026-02-02T00:00:00Z", [
        { user: "run the checks" },
        { run: "pnpm vitest run --reporter dot", error: "1 failed" },
        { run: "pnpm vitest run --reporter dot", ok: "12 passed" },
        { run: "curl -sf http://localhost:8080/healthz", ok: "ok" },
        { run: "node --version", ok: "v20.11.1" },
        { run: "pnpm eslint .", ok: "" },
      ]),
    ];
    const out = await offlineConsolidator().consolidate({ memories, sessions, now, instructions: "only verify" });
    expect(out.operations).toEqual([
      {
        kind: "verify",
        path: "infra/health.md",
        note: "port 8080 succeeded",
        reason: "port 8080 exercised successfully in ses_2#7",
        evidence: [{ session: "ses_2", turn: 7, at: "2026-02-02T00:00:07.000Z", note: "port 8080 succeeded" }],
      },
      {
        kind: "verify",
        path: "tooling/node.md",
        note: "version 20.11.1 succeeded",
        reason: "version 20.11.1 exercised successfully in ses_2#9",
        evidence: [{ session: "ses_2", turn: 9, at: "2026-02-02T00:00:09.000Z", note: "version 20.11.1 succeeded" }],
      },
      {
        kind: "verify",
        path: "tooling/test.md",
        note: "`pnpm vitest run --reporter dot` succeeded",
        reason: "`pnpm vitest run --reporter dot` exercised successfully in ses_2#5",
        evidence: [{ session: "ses_2", turn: 5, at: "2026-02-02T00:00:05.000Z", note: "`pnpm vitest run --reporter dot` succeeded" }],
      },
    ]);
  });

  it("stamps a memory whose config path, written in backticks, a later session read", async () => {
    const config = [note("config-notes/app.md", { id: "mem_c", title: "app config", created }, "Config for app lives in `config/app.json`.\n")];
    const sessions = [session("ses_3", "2026-02-03T00:00:00Z", [{ tool: "Read", run: "/work/app/config/app.json", ok: "{}" }])];
    const out = await offlineConsolidator().consolidate({ memories: config, sessions, now, instructions: "only verify" });
    expect(out.operations).toMatchObject([{ kind: "verify", path: "config-notes/app.md", evidence: [{ session: "ses_3", turn: 2 }] }]);
  });

  it("does not stamp a claim whose only run failed", async () => {
    const sessions = [session("ses_3", "2026-02-03T00:00:00Z", [{ run: "pnpm vitest run --reporter dot", error: "boom" }])];
    const out = await offlineConsolidator().consolidate({ memories, sessions, now });
    expect(out.operations).toEqual([]);
  });

  describe("what confirms a claim", () => {
    const trailer = [note("git/trailer.md", { id: "mem_tr", title: "Trailer pattern", created: "2026-03-01T00:00:00Z" }, "The trailer file is `src/trailers/trailers.go` and the check runs with `go test ./src/trailers/...`.\n")];

    it("counts a session older than the memory: a person importing their history gets stamps", async () => {
      const sessions = [session("ses_old", "2026-01-05T00:00:00Z", [{ run: "go test ./src/trailers/...", ok: "ok" }])];
      const out = await offlineConsolidator().consolidate({ memories: trailer, sessions, now: "2026-03-02T00:00:00Z", instructions: "only verify" });
      expect(out.operations.map((op) => [op.kind, "path" in op ? op.path : "", op.evidence.map((e) => e.session)])).toEqual([["verify", "git/trailer.md", ["ses_old"]]]);
    });

    it("never counts a search that only mentions the path", async () => {
      const sessions = [session("ses_g", "2026-02-05T00:00:00Z", [{ tool: "Grep", run: "src/trailers/trailers.go", ok: "src/trailers/trailers.go:12: var Pattern" }])];
      const out = await offlineConsolidator().consolidate({ memories: trailer, sessions, now, instructions: "only verify" });
      expect(out.operations).toEqual([]);
    });

    it("stamps nothing a later call undid: the file renamed after it was read, or the command failing later", async () => {
      const renamed = session("ses_r", "2026-02-05T00:00:00Z", [
        { tool: "Read", run: "/repo/src/trailers/trailers.go", ok: "package trailers" },
        { run: "git mv src/trailers/trailers.go src/trailers/parse.go", ok: "" },
      ]);
      const failing = session("ses_f", "2026-02-06T00:00:00Z", [
        { run: "go test ./src/trailers/...", ok: "ok" },
        { run: "go test ./src/trailers/...", error: "FAIL\tsrc/trailers [build failed]" },
      ]);
      const out = await offlineConsolidator().consolidate({ memories: trailer, sessions: [renamed, failing], now, instructions: "only verify" });
      expect(out.operations).toEqual([]);
    });

    it("stamps nothing whose value a later edit replaced", async () => {
      const memories = [note("git/pattern.md", { id: "mem_p", title: "Checkpoint id", created }, "A checkpoint id matches `[0-9a-f]{8}` in `src/id/id.go`.\n")];
      const edited = session("ses_e", "2026-02-05T00:00:00Z", [
        { tool: "Read", run: "/repo/src/id/id.go", ok: "var Pattern = `[0-9a-f]{8}`" },
        { tool: "Edit", run: "/repo/src/id/id.go", ok: "edited" },
      ]);
      const edit = edited.events.find((e) => e.type === "tool_use" && e.name === "Edit")!;
      if (edit.type === "tool_use") edit.input = { file_path: "/repo/src/id/id.go", old_string: "var Pattern = `[0-9a-f]{8}`", new_string: "var Pattern = `[0-9a-f]{12}`" };
      const out = await offlineConsolidator().consolidate({ memories, sessions: [edited], now, instructions: "only verify" });
      expect(out.operations.filter((op) => op.kind === "verify")).toEqual([]);
    });
  });
});

