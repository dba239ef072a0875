import { describe, expect, it } from "vitest";
import { offlineConsolidator } from "./offline-consolidator.js";
import { note, session } from "./test-support.js";

const now = "2026-03-01T00:00:00Z";
const cwd = { cwd: "/home/dev/shop" };

describe("learn: layout", () => {
  it("writes down a path guessed wrong and the one found, relative to the project", async () => {
    const sessions = [
      session("ses_1", "2026-02-01T00:00:00Z", [
        { tool: "Read", run: "/home/dev/shop/src/chunking/chunking.go", error: "<tool_use_error>File does not exist.</tool_use_error>" },
        { tool: "Glob", run: "**/chunking.go", ok: "src/agent/chunking.go" },
        { tool: "Read", run: "/home/dev/shop/src/agent/chunking.go", ok: "package agent" },
      ], cwd),
      session("ses_2", "2026-02-02T00:00:00Z", [
        { tool: "Read", run: "/home/dev/shop/.golangci.yml", error: "File does not exist. Did you mean .golangci.yaml?" },
        { tool: "Read", run: "/home/dev/shop/.golangci.yaml", ok: "linters: {}" },
        // Another file of the same folder is not the answer to a guess.
        { tool: "Read", run: "/home/dev/shop/src/agent/common.go", error: "File does not exist." },
        { tool: "Read", run: "/home/dev/shop/src/agent/types.go", ok: "package agent" },
      ], cwd),
    ];
    const out = await offlineConsolidator().consolidate({ memories: [], sessions, now, instructions: "only learn" });
    const layout = out.operations.filter((op) => ("path" in op ? op.path : "").startsWith("layout/"));
    expect(layout).toMatchObject([
      {
        kind: "learn",
        path: "layout/shop-paths.md",
        type: "fact",
        support: 2,
        confidence: "observed",
        trust: "normal",
        body: [
          "Paths an agent guessed wrong in shop, and where the file is:",
          "",
          "- `.golangci.yaml` — not `.golangci.yml`, which does not exist (ses_2#1).",
          "- `src/agent/chunking.go` — not `src/chunking/chunking.go`, which does not exist (ses_1#1).",
          "",
        ].join("\n"),
      },
    ]);
  });

  it("learns nothing from a path that later worked, or one a memory already gives", async () => {
    const sessions = [
      session("ses_1", "2026-02-01T00:00:00Z", [
        { tool: "Read", run: "/home/dev/shop/src/a/x.ts", error: "ENOENT: no such file or directory" },
        { tool: "Read", run: "/home/dev/shop/src/b/x.ts", ok: "x" },
        { tool: "Read", run: "/home/dev/shop/src/c/y.ts", error: "File does not exist." },
        { tool: "Read", run: "/home/dev/shop/src/d/y.ts", ok: "y" },
      ], cwd),
      session("ses_2", "2026-02-02T00:00:00Z", [{ tool: "Read", run: "/home/dev/shop/src/a/x.ts", ok: "created since" }], cwd),
    ];
    const memories = [note("layout/y.md", { id: "mem_y" }, "y.ts lives in `src/d/y.ts`, not `src/c/y.ts`.\n")];
    const out = await offlineConsolidator().consolidate({ memories, sessions, now, instructions: "only learn" });
    expect(out.operations.filter((op) => ("path" in op ? op.path : "").startsWith("layout/"))).toEqual([]);
  });
});
