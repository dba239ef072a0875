import { describe, expect, it } from "vitest";
import { offlineConsolidator } from "./offline-consolidator.js";
import { errorLine } from "./signature.js";
import { session } from "./test-support.js";

const now = "2026-03-01T00:00:00Z";
const cwd = { cwd: "/home/ana/src/shop" };
const BUILD_ERROR = "npm warn Unknown env config \"store-dir\".\n> Build error occurred\n[TypeError: generate is not a function]\n> shop@0.1.0 build";
const learned = async (sessions: ReturnType<typeof session>[]) =>
  (await offlineConsolidator().consolidate({ memories: [], sessions, now, instructions: "only learn" })).operations.filter((op) => op.kind === "learn");

describe("learn: known failures", () => {
  it("passes over warnings when it picks the line that names the error", () => {
    expect(errorLine(BUILD_ERROR)).toBe("> Build error occurred");
    expect(errorLine("warning: LF will be replaced by CRLF\nfatal: pathspec 'x' did not match any files")).toBe("fatal: pathspec 'x' did not match any files");
  });

  it("writes down a command that failed the same way three times and never worked, quoting what the error said", async () => {
    const sessions = [
      session("ses_a", "2026-02-01T09:00:00Z", [
        { user: "Check the production build." },
        { run: "npm run build", error: BUILD_ERROR },
        { run: "rm -rf .next && npm run build", error: BUILD_ERROR },
        { run: "cd /home/ana/src/shop && npm run build", error: BUILD_ERROR },
        { run: "npx next dev", ok: "Ready in 1048ms" },
      ], cwd),
    ];
    const ops = await learned(sessions);
    expect(ops.map((op) => (op.kind === "learn" ? [op.path, op.type, op.tags, op.support] : []))).toEqual([["facts/npm-run-build-fails-build-error-occurred.md", "fact", ["known-failure"], 1]]);
    expect(ops[0]!.kind === "learn" && ops[0]!.body).toBe(
      [
        "`npm run build` fails here, and no session read got it to work (last seen 2026-02-01):",
        "",
        "```",
        "> Build error occurred",
        "[TypeError: generate is not a function]",
        "> shop@0.1.0 build",
        "```",
        "",
        "Failed 3 times in 1 session (ses_a), the same way each time. Check whether it was fixed since before running it again, and record the fix here.",
        "",
      ].join("\n"),
    );
    expect(ops[0]!.evidence.map((e) => `${e.session}#${e.turn}`)).toEqual(["ses_a#3", "ses_a#5", "ses_a#7"]);
  });

  it("learns nothing from a command that failed twice, failed in different ways, or worked once in any session", async () => {
    const twice = session("ses_t", "2026-02-01T09:00:00Z", [{ run: "npm run build", error: BUILD_ERROR }, { run: "npm run build", error: BUILD_ERROR }], cwd);
    const differently = session("ses_d", "2026-02-02T09:00:00Z", ["Error: Cannot find module 'dep/index.js'", "SyntaxError: Unexpected token '<'", "ENOSPC: no space left on device"].map((error) => ({ run: "npm run build", error })).concat([{ run: "npm test", error: "1 failed" }]), cwd);
    expect(await learned([twice])).toEqual([]);
    const fixedLater = session("ses_f", "2026-02-03T09:00:00Z", [{ run: "npm run build", ok: "Compiled" }], cwd);
    expect(await learned([twice, session("ses_u", "2026-02-02T09:00:00Z", [{ run: "npm run build", error: BUILD_ERROR }], cwd), fixedLater])).toEqual([]);
    expect((await learned([differently])).map((op) => op.path)).toEqual([]);
  });
});
