import { describe, expect, it } from "vitest";
import { offlineConsolidator } from "./offline-consolidator.js";
import { note, session } from "./test-support.js";

const now = "2026-03-01T00:00:00Z";
const memories = [note("tooling/pm.md", { id: "mem_pm", title: "Package manager" }, "Use pnpm for installs.\n")];

/** A session where the build fails on a missing module and `pnpm install` fixes it. */
function missingModule(id: string, day: number, module: string) {
  return session(id, `2026-02-0${day}T00:00:00Z`, [
    { user: "Build the project please." },
    { run: "pnpm build", error: `node:internal/modules/cjs/loader:1148\nError: Cannot find module '/work/app-${day}/node_modules/${module}/index.js'\n  at Module._resolveFilename` },
    { tool: "Read", run: "package.json", ok: "{}" },
    { run: "pnpm install --frozen-lockfile", ok: "Done in 2.1s" },
    { run: "pnpm build", ok: "built" },
  ]);
}

/** A session where tests time out and a retry with more time passes (only in two sessions: a decoy). */
function flaky(id: string, day: number) {
  return session(id, `2026-02-0${day}T12:00:00Z`, [
    { run: "pnpm test", error: `Error: Test timed out in ${5000 + day}ms.` },
    { run: "pnpm test --testTimeout 20000", ok: "passed" },
  ]);
}

describe("pattern", () => {
  it("turns an error and recovery recurring in 3 sessions into one playbook citing all 3", async () => {
    const sessions = [missingModule("ses_c", 3, "zod"), missingModule("ses_a", 1, "yaml"), missingModule("ses_b", 2, "vitest"), flaky("ses_x", 1), flaky("ses_y", 2)];
    const out = await offlineConsolidator().consolidate({ memories, sessions, now, instructions: "only patterns" });
    expect(out.operations).toEqual([
      {
        kind: "pattern",
        path: "playbooks/error-cannot-find-module.md",
        title: "Recover from: Error: Cannot find module '/work/app-3/node_modules/zod/index.js'",
        type: "playbook",
        trust: "normal",
        tags: ["error-recovery"],
        body: [
          "When `pnpm build` (Bash) fails with:",
          "",
          "```",
          "Error: Cannot find module '/work/app-3/node_modules/zod/index.js'",
          "```",
          "",
          "Run `pnpm install --frozen-lockfile` first, then retry.",
          "",
          "Seen in 3 sessions: ses_a, ses_b, ses_c.",
          "",
        ].join("\n"),
        reason: "`pnpm build` failing with \"Error: Cannot find module '/work/app-3/node_modules/zod/index.js'\" was fixed: run `pnpm install --frozen-lockfile` first, then retry (3 sessions)",
        evidence: ["ses_a", "ses_b", "ses_c"].flatMap((s, i) => [
          { session: s, turn: 3, at: `2026-02-0${i + 1}T00:00:03.000Z`, note: "error" },
          { session: s, turn: 6, at: `2026-02-0${i + 1}T00:00:06.000Z`, note: "recovery" },
        ]),
      },
    ]);
  });

  it("never promotes a pattern seen in only 2 sessions", async () => {
    const sessions = [missingModule("ses_a", 1, "yaml"), missingModule("ses_b", 2, "zod"), flaky("ses_x", 3), flaky("ses_y", 4)];
    const out = await offlineConsolidator().consolidate({ memories, sessions, now, instructions: "only patterns" });
    expect(out.operations).toEqual([]);
  });

  it("does not count one session three times", async () => {
    const again = session("ses_a", "2026-02-01T00:00:00Z", [...Array(3)].flatMap(() => [
      { run: "pnpm build", error: "Error: Cannot find module 'x'" },
      { run: "pnpm install", ok: "ok" },
    ]));
    const out = await offlineConsolidator().consolidate({ memories, sessions: [again, missingModule("ses_b", 2, "zod")], now });
    expect(out.operations).toEqual([]);
  });

  it("skips a pattern the memory already states", async () => {
    const known = [
      ...memories,
      note("playbooks/missing-module.md", { id: "mem_p", type: "playbook" }, "When the build says Error: Cannot find module, run `pnpm install --frozen-lockfile`.\n"),
    ];
    const sessions = [missingModule("ses_a", 1, "yaml"), missingModule("ses_b", 2, "zod"), missingModule("ses_c", 3, "x")];
    const out = await offlineConsolidator().consolidate({ memories: known, sessions, now, instructions: "only patterns" });
    expect(out.operations).toEqual([]);
  });

  it("groups a recovery whose argument is a different lock id each time (ids normalized like error signatures)", async () => {
    const lockIds = ["5f5e0f-4821-4312-a907-318274659012", "98a1c3e-1937-4555-a120-902837465512", "7c2b11-7003-4871-a333-100200300400"];
    const sessions = lockIds.map((id, i) =>
      session(`ses_${i + 1}`, `2026-02-0${i + 1}T00:00:00Z`, [
        { run: "terraform plan", error: `Error: Error acquiring the state lock\n\nLock Info:\n  ID:        ${id}` },
        { run: `terraform force-unlock -force ${id}`, ok: "Terraform state has been successfully unlocked!" },
        { run: "terraform plan", ok: "No changes." },
      ]),
    );
    const out = await offlineConsolidator().consolidate({ memories, sessions, now, instructions: "only patterns" });
    expect(out.operations).toMatchObject([
      {
        kind: "pattern",
        path: "playbooks/error-error-acquiring-the-state-lock.md",
        trust: "normal",
        evidence: [1, 2, 3].flatMap((d) => [{ session: `ses_${d}`, note: "error" }, { session: `ses_${d}`, note: "recovery" }]),
      },
    ]);
    expect((out.operations[0] as { body: string }).body).toContain("terraform force-unlock -force");
  });

  it("does not learn a habit from one call retried with a different value each time (each is one subject's changed value)", async () => {
    const moves: Array<[string, string]> = [["7001", "7101"], ["7002", "7202"], ["7003", "7303"]];
    const sessions = moves.map(([old, next], i) =>
      session(`ses_${i + 1}`, `2026-02-0${i + 1}T00:00:00Z`, [
        { run: `curl -s http://localhost:${old}/health`, error: `curl: (7) Failed to connect to localhost port ${old} after 0 ms: Couldn't connect to server` },
        { run: `curl -s http://localhost:${next}/health`, ok: '{"status":"ok"}' },
      ]),
    );
    const out = await offlineConsolidator().consolidate({ memories, sessions, now, instructions: "only patterns" });
    expect(out.operations).toEqual([]);
  });

  it("turns the same user correction in 3 sessions into a lesson", async () => {
    const sessions = [1, 2, 3].map((d) =>
      session(`ses_${d}`, `2026-02-0${d}T00:00:00Z`, [
        { user: "Add a test for the parser." },
        { run: "npm test", ok: "ok" },
        { user: d === 2 ? "No, don't use npm here: run the tests with pnpm." : "No, don't use npm: run the tests with pnpm." },
      ]),
    );
    const out = await offlineConsolidator().consolidate({ memories: [], sessions, now, instructions: "only patterns" });
    expect(out.operations).toMatchObject([
      {
        kind: "pattern",
        path: "lessons/no-dont-use-npm-run-the-tests.md",
        type: "lesson",
        trust: "normal",
        evidence: [
          { session: "ses_1", turn: 4 },
          { session: "ses_2", turn: 4 },
          { session: "ses_3", turn: 4 },
        ],
      },
    ]);
  });

  describe("lessons are what was done differently", () => {
    const three = (steps: Parameters<typeof session>[2]) => [1, 2, 3].map((d) => session(`ses_${d}`, `2026-02-0${d}T00:00:00Z`, steps));

    it("learns nothing when the same call simply succeeds again (a flake, not a fix)", async () => {
      const out = await offlineConsolidator().consolidate({ memories, sessions: three([{ run: "pnpm test", error: "Error: Exit code 1\nECONNRESET" }, { run: "pnpm test", ok: "passed" }]), now, instructions: "only patterns" });
      expect(out.operations).toEqual([]);
    });

    it("learns nothing when the failure was fixed by editing code: the error was the work", async () => {
      const out = await offlineConsolidator().consolidate({
        memories,
        sessions: three([
          { run: "go test ./...", error: "--- FAIL: TestParse (0.00s)" },
          { tool: "Edit", run: "parse.go", ok: "edited" },
          { run: "go mod tidy", ok: "" },
          { run: "go test ./...", ok: "ok" },
        ]),
        now,
        instructions: "only patterns",
      });
      expect(out.operations).toEqual([]);
    });

    it("never names an exit-code banner as the error: the line that says what failed is", async () => {
      const out = await offlineConsolidator().consolidate({
        memories,
        sessions: three([
          { run: "python3 scripts/load.py", error: "Error: Exit code 1\nTraceback (most recent call last):\n  File \"scripts/load.py\", line 1, in <module>\nModuleNotFoundError: No module named 'pandas'" },
          { run: "source venv/bin/activate && python3 scripts/load.py", ok: "loaded" },
        ]),
        now,
        instructions: "only patterns",
      });
      expect(out.operations.map((op) => ["path" in op ? op.path : "", (op as { title: string }).title])).toEqual([["playbooks/modulenotfounderror-no-module-named.md", "Recover from: ModuleNotFoundError: No module named 'pandas'"]]);
      expect((out.operations[0] as { body: string }).body).toContain("Run `source venv/bin/activate` first, then retry.");
    });

    it("takes a fix written into the retried command line from 2 sessions, and one the error itself names from 1", async () => {
      const composed = [1, 2].map((d) => session(`ses_v${d}`, `2026-02-0${d}T00:00:00Z`, [{ run: "python3 x.py", error: "ModuleNotFoundError: No module named 'yaml'" }, { run: "source .venv/bin/activate && python3 x.py", ok: "" }]));
      const named = session("ses_r", "2026-02-05T00:00:00Z", [
        { tool: "Edit", run: "src/app.ts", error: "<tool_use_error>File has not been read yet. Read it first before writing to it.</tool_use_error>" },
        { tool: "Read", run: "src/app.ts", ok: "1 export {}" },
        { tool: "Edit", run: "src/app.ts", ok: "edited" },
      ]);
      const out = await offlineConsolidator().consolidate({ memories, sessions: [...composed, named], now, instructions: "only patterns" });
      expect(out.operations.map((op) => ("path" in op ? op.path : ""))).toEqual(["playbooks/file-has-not-been-read-yet.md", "playbooks/modulenotfounderror-no-module-named.md"]);
      expect((out.operations[0] as { body: string }).body).toContain("Read `src/app.ts` first, as the error asks, then retry.");
      const once = await offlineConsolidator().consolidate({ memories, sessions: [composed[0]!], now, instructions: "only patterns" });
      expect(once.operations).toEqual([]);
    });

    it("takes from 1 session a step that makes the path the error says is missing, and not a step that makes another", async () => {
      const harness = (build: string) =>
        session("ses_h", "2026-02-05T00:00:00Z", [
          { run: "./scripts/e2e.sh setup", error: "Error: Exit code 1\n./scripts/e2e.sh: line 12: /tmp/app-bin: No such file or directory" },
          { run: `${build} && ./scripts/e2e.sh setup`, ok: "ready" },
        ]);
      const made = await offlineConsolidator().consolidate({ memories, sessions: [harness("go build -o /tmp/app-bin ./cmd/app")], now, instructions: "only patterns" });
      expect(made.operations.map((op) => (op as { body: string }).body.split("\n")[6])).toEqual(["Run `go build -o /tmp/app-bin ./cmd/app` first, then retry."]);
      const other = await offlineConsolidator().consolidate({ memories, sessions: [harness("go build -o /tmp/other-bin ./cmd/app")], now, instructions: "only patterns" });
      expect(other.operations).toEqual([]);
    });

    it("counts a fix the error names even when the retry then fails for another reason", async () => {
      const lint = session("ses_l", "2026-02-05T00:00:00Z", [
        { run: "golangci-lint run --out-format=line-number", error: "Error: unknown flag: --out-format" },
        { run: "golangci-lint run", error: "Error: Exit code 1\nhooks.go:66:19: use of `os.Getwd` forbidden (forbidigo)" },
      ]);
      const out = await offlineConsolidator().consolidate({ memories, sessions: [lint], now, instructions: "only patterns" });
      expect(out.operations.map((op) => (op as { body: string }).body.split("\n")[6])).toEqual(["Drop `--out-format`: `golangci-lint run`."]);
      const same = session("ses_s", "2026-02-05T00:00:00Z", [
        { run: "golangci-lint run --out-format=line-number", error: "Error: unknown flag: --out-format" },
        { run: "golangci-lint run --color=never", error: "Error: unknown flag: --out-format" },
      ]);
      expect((await offlineConsolidator().consolidate({ memories, sessions: [same], now, instructions: "only patterns" })).operations).toEqual([]);
    });
  });
});
