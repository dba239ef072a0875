import { describe, expect, it } from "vitest";
import { retryAfterMs } from "../provider/anthropic-transport.js";
import { compressSession } from "./compress.js";
import { costOf, priceFor } from "./pricing.js";
import { parseJsonAnswer, validateAnswer } from "./schema.js";
import { UsageLedger } from "./usage-ledger.js";

describe("pricing", () => {
  it("prices the four counts, 1-hour writes, and the batch discount (Sonnet 4.6, Haiku 4.5)", () => {
    const usage = { input_tokens: 1_000_000, output_tokens: 1_000_000, cache_creation_input_tokens: 1_000_000, cache_read_input_tokens: 1_000_000 };
    expect(costOf(usage, priceFor("claude-sonnet-4-6"))).toBeCloseTo(3 + 15 + 3.75 + 0.3, 12);
    expect(costOf({ ...usage, cache_creation_1h_input_tokens: 1_000_000 }, priceFor("claude-sonnet-4-6"))).toBeCloseTo(3 + 15 + 6 + 0.3, 12);
    expect(costOf(usage, priceFor("claude-haiku-4-5-20251001"))).toBeCloseTo(1 + 5 + 1.25 + 0.1, 12);
    expect(costOf(usage, priceFor("claude-haiku-4-5"), { batch: true })).toBeCloseTo((1 + 5 + 1.25 + 0.1) / 2, 12);
    expect(costOf(usage, priceFor("llama3.1:8b"))).toBe(0);
  });

  it("counts a response id once", () => {
    const ledger = new UsageLedger(priceFor("claude-sonnet-4-6"));
    expect(ledger.add("msg_1", { input_tokens: 10, output_tokens: 2, cache_creation_input_tokens: null, cache_read_input_tokens: 5 }, { label: "a" })).toBeDefined();
    expect(ledger.add("msg_1", { input_tokens: 10, output_tokens: 2 }, { label: "a" })).toBeUndefined();
    expect(ledger.totals()).toEqual({ input_tokens: 10, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 5 });
  });
});

describe("retry-after", () => {
  const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n] ?? null });
  it("reads retry-after-ms, seconds and HTTP dates", () => {
    expect(retryAfterMs(headers({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    expect(retryAfterMs(headers({ "retry-after": "2" }))).toBe(2000);
    expect(retryAfterMs(headers({ "retry-after": "Thu, 01 Jan 1970 00:00:05 GMT" }), 1000)).toBe(4000);
    expect(retryAfterMs(headers({}))).toBeUndefined();
  });
});

describe("answer schema", () => {
  it("names every violation with a JSON pointer", () => {
    expect(validateAnswer({ operations: [{ kind: "verify", path: "a.md", reason: "r", evidence: [{ session: "s", turn: "3" }], extra: 1 }, { kind: "merge" }] })).toEqual({
      ok: false,
      errors: ["/operations/0/note: is required", "/operations/0/evidence/0/turn: expected integer, got string", "/operations/0/extra: is not allowed", "/operations/1/kind: expected one of dedup, stale, pattern, learn, verify, reorganize, got \"merge\""],
    });
  });
  it("reads JSON out of prose and code fences", () => {
    expect(parseJsonAnswer('Sure.\n```json\n{"operations": []}\n```')).toEqual({ ok: true, value: { operations: [] } });
    expect(parseJsonAnswer("nothing to do")).toMatchObject({ ok: false });
  });
});

describe("transcript compression", () => {
  it("keeps a person's words, errors and the recovery; trims output; drops todo noise", () => {
    const c = compressSession({
      header: { type: "session", id: "ses_x", source: { format: "reverie", path: "/x", sha256: "0" } },
      events: [
        { type: "message", turn: 1, role: "user", text: "run the tests" },
        { type: "tool_use", turn: 2, id: "t1", name: "TodoWrite", input: { todos: [] } },
        { type: "tool_use", turn: 3, id: "t2", name: "Bash", input: { command: "pnpm test" } },
        { type: "tool_result", turn: 4, tool_use_id: "t2", is_error: true, text: "\n> vitest\nError: Cannot find module 'x'\n    at foo" },
        { type: "tool_use", turn: 5, id: "t3", name: "Bash", input: { command: "pnpm install && pnpm test" } },
        { type: "tool_result", turn: 6, tool_use_id: "t3", is_error: false, text: `${"ok line\n".repeat(500)}` },
      ],
    });
    expect(c.lines).toEqual([
      "",
      "#1 user: run the tests",
      "#3 Bash: pnpm test",
      "#4 ERROR: Error: Cannot find module 'x' … > vitest at foo",
      "#5 recovery Bash: pnpm install && pnpm test → ok",
    ]);
    expect(c.turns).toEqual([1, 3, 4, 5]);
  });

  it("shows a sub-agent's calls like the agent's own, and its task as the agent's words, not a person's", () => {
    const c = compressSession({
      header: { type: "session", id: "ses_s", source: { format: "reverie", path: "/s", sha256: "0" } },
      events: [
        { type: "message", turn: 1, role: "user", text: "build the todo app" },
        { type: "message", turn: 2, role: "user", text: "Create a Next.js app in todo-app", sidechain: true },
        { type: "tool_use", turn: 3, id: "s1", name: "Bash", input: { command: "npx tsc --noEmit" }, sidechain: true },
        { type: "tool_result", turn: 4, tool_use_id: "s1", is_error: true, text: "error TS2307: Cannot find module '@testing-library/react'", sidechain: true },
        { type: "tool_use", turn: 5, id: "s2", name: "TodoWrite", input: { todos: [] }, sidechain: true },
        { type: "tool_result", turn: 6, tool_use_id: "s2", is_error: false, text: "ok", sidechain: true },
      ],
    });
    expect(c.lines).toEqual([
      "",
      "#1 user: build the todo app",
      "#2 sub-agent task: Create a Next.js app in todo-app",
      "#3 Bash: npx tsc --noEmit",
      "#4 ERROR: error TS2307: Cannot find module '@testing-library/react'",
    ]);
  });

  it("with the memories' values, hides file reads and edits no memory mentions, unless they fail or recover", () => {
    const c = compressSession(
      {
        header: { type: "session", id: "ses_y", cwd: "/work/app", source: { format: "reverie", path: "/y", sha256: "0" } },
        events: [
          { type: "tool_use", turn: 1, id: "r1", name: "Read", input: { file_path: "/work/app/src/view.ts" } },
          { type: "tool_result", turn: 2, tool_use_id: "r1", is_error: false, text: "export function view() {" },
          { type: "tool_use", turn: 3, id: "r2", name: "Read", input: { file_path: "/work/app/config/api.toml" } },
          { type: "tool_result", turn: 4, tool_use_id: "r2", is_error: false, text: "port = 9090" },
          { type: "tool_use", turn: 5, id: "r3", name: "Edit", input: { file_path: "/work/app/src/gone.ts" } },
          { type: "tool_result", turn: 6, tool_use_id: "r3", is_error: true, text: "File does not exist." },
          { type: "tool_use", turn: 7, id: "r4", name: "Edit", input: { file_path: "/work/app/src/here.ts" } },
          { type: "tool_result", turn: 8, tool_use_id: "r4", is_error: false, text: "The file /work/app/src/here.ts has been updated." },
        ],
      },
      { memoryValues: new Set(["config/api.toml"]) },
    );
    expect(c.lines).toEqual([
      "cwd /work/app | 1 reads/edits of files no memory mentions not shown",
      "#3 Read: config/api.toml → ok: port = 9090",
      "#5 Edit: src/gone.ts",
      "#6 ERROR: File does not exist.",
      "#7 recovery Edit: src/here.ts → ok",
    ]);
  });
});
