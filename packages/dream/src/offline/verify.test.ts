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
});
