import { describe, expect, it } from "vitest";
import { offlineConsolidator } from "./offline-consolidator.js";
import { note, session } from "./test-support.js";

const now = "2026-03-01T00:00:00Z";
const cwd = { cwd: "/home/ana/src/shop" };

/** A working session in `shop`: some edits, then the checks before finishing. */
function workday(id: string, day: number, checks: Array<{ run: string; ok?: string; error?: string }>) {
  return session(id, `2026-02-${String(day).padStart(2, "0")}T09:00:00Z`, [
    { user: "Fix the cart total rounding." },
    { tool: "Read", run: "src/cart.ts", ok: "export function total() {}" },
    { run: "ls src", ok: "cart.ts" },
    ...checks,
  ], cwd);
}

const learned = async (sessions: ReturnType<typeof session>[], memories = [] as ReturnType<typeof note>[]) =>
  (await offlineConsolidator().consolidate({ memories, sessions, now, instructions: "only learn" })).operations;

describe("learn: workflows", () => {
  it("writes the commands that succeeded in 3+ sessions of a project into one workflow memory", async () => {
    const sessions = [
      workday("ses_a", 1, [{ run: "pnpm test -- cart", ok: "passed" }, { run: "pnpm lint && pnpm typecheck", ok: "ok" }]),
      workday("ses_b", 2, [{ run: "pnpm test -- totals", ok: "passed" }, { run: "pnpm lint && pnpm typecheck", ok: "ok" }]),
      workday("ses_c", 3, [{ run: "pnpm test -- money", error: "1 failed" }, { run: "pnpm test -- money", ok: "passed" }, { run: "cd app && pnpm lint && pnpm typecheck 2>&1 | tail", ok: "ok" }]),
      workday("ses_d", 4, [{ run: "pnpm deploy", ok: "deployed" }]),
    ];
    const ops = await learned(sessions);
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({
      kind: "learn",
      path: "workflows/shop-commands.md",
      title: "Commands that work in shop",
      type: "workflow",
      trust: "normal",
      support: 3,
      confidence: "observed",
      body: [
        "Commands that work in shop (4 sessions read): each succeeded in 3 or more sessions, or as noted.",
        "",
        "- `pnpm lint && pnpm typecheck` — lint, type-check; succeeded in 3 of 4 sessions; usually near the end of a session",
        "- `pnpm test …` — tests; succeeded in 3 of 4 sessions; usually near the end of a session",
        "",
      ].join("\n"),
    });
    // The latest sessions' successful runs are cited, never the failed one.
    expect(ops[0]!.evidence.map((e) => `${e.session}#${e.turn}`)).toEqual(["ses_a#6", "ses_a#8", "ses_b#6", "ses_b#8", "ses_c#8", "ses_c#10"]);
  });

  it("learns nothing from a command seen in two sessions, or one that fails more often than it works", async () => {
    const sessions = [1, 2, 3, 4].map((day) =>
      workday(`ses_${day}`, day, [
        { run: "pnpm e2e", error: "timeout" },
        { run: "pnpm e2e", error: "timeout" },
        ...(day < 3 ? [{ run: "pnpm build", ok: "built" }] : []),
        ...(day > 1 ? [{ run: "pnpm e2e", ok: "passed" }] : []),
      ]),
    );
    expect(await learned(sessions)).toEqual([]);
  });

  it("leaves out commands a memory already names, and keeps projects apart", async () => {
    const shop = [1, 2, 3].map((d) => workday(`ses_s${d}`, d, [{ run: "make check", ok: "ok" }, { run: "pnpm test", ok: "ok" }]));
    const blog = [1, 2].map((d) => session(`ses_b${d}`, `2026-02-1${d}T00:00:00Z`, [{ run: "make check", ok: "ok" }], { cwd: "/srv/blog" }));
    const ops = await learned([...shop, ...blog], [note("testing/run.md", { id: "mem_t", title: "Tests" }, "Run `pnpm test` before pushing.\n")]);
    expect(ops.map((op) => (op.kind === "learn" ? [op.path, op.body.split("\n")[2]] : [op.kind]))).toEqual([["workflows/shop-commands.md", "- `make check` — succeeded in 3 of 3 sessions; usually near the end of a session"]]);
  });

  it("lists a command the user names in backticks once it succeeds, from one session, citing the user's turn", async () => {
    const sessions = [
      session("ses_n", "2026-02-01T09:00:00Z", [
        { user: "When running `make test-ci` I get a race in the cache tests." },
        { run: "make test-ci", error: "FAIL cache" },
        { tool: "Edit", run: "cache.go", ok: "edited" },
        { run: "make test-ci 2>&1 | tail", ok: "ok" },
        { run: "make release", ok: "ok" },
      ], cwd),
      session("ses_f", "2026-02-02T09:00:00Z", [{ user: "Does `make docs` work?" }, { run: "make docs", error: "no rule" }], cwd),
    ];
    const ops = await learned(sessions);
    expect(ops.map((op) => (op.kind === "learn" ? op.body.split("\n").slice(0, 3) : []))).toEqual([
      ["Commands that work in shop (2 sessions read): each succeeded in 3 or more sessions, or as noted.", "", "- `make test-ci` — tests; succeeded in 1 of 2 sessions; named by the user in ses_n#1; usually near the end of a session"],
    ]);
    expect(ops[0]!.evidence.map((e) => `${e.session}#${e.turn}`)).toContain("ses_n#1");
  });

  it("lists a project check one session re-ran until it passed, but not a check run once or a tool run on one file", async () => {
    const sessions = [
      session("ses_r", "2026-02-01T09:00:00Z", [
        { user: "Add the discount field." },
        { run: "npx tsc --noEmit", error: "src/cart.ts(3,1): error TS2304" },
        { tool: "Edit", run: "src/cart.ts", ok: "edited" },
        { run: "npx tsc --noEmit", ok: "" },
        { run: "npx vitest run cart", ok: "1 passed" },
        { run: "pandoc docs/spec.docx -t plain", ok: "Spec" },
      ], cwd),
      ...[2, 3, 4].map((d) => session(`ses_p${d}`, `2026-02-0${d}T09:00:00Z`, [{ user: "Summarise the spec." }, { run: "pandoc docs/spec.docx -t plain", ok: "Spec" }], cwd)),
    ];
    const ops = await learned(sessions);
    expect(ops.map((op) => (op.kind === "learn" ? op.body.split("\n").slice(2, -1) : []))).toEqual([["- `npx tsc --noEmit` — type-check; succeeded in 1 of 4 sessions; re-run until it passed"]]);
  });

  it("is deterministic whatever the order of sessions", async () => {
    const sessions = [1, 2, 3, 4, 5].map((d) => workday(`ses_${d}`, d, [{ run: d % 2 ? "go test ./..." : "go test ./pkg/...", ok: "ok" }, { run: "go build ./cmd/x", ok: "ok" }]));
    expect(await learned([...sessions].reverse())).toEqual(await learned(sessions));
  });
});
