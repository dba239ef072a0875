import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { detectFormat, importTranscripts, listSessions, loadTranscript, readSession, serializeSession } from "../index.js";
import type { Session } from "../index.js";

async function fixture(name: string, content: string): Promise<string> {
  const path = join(await tempDir("reverie-formats-"), name);
  await writeFile(path, content);
  return path;
}

const jsonl = (lines: unknown[]) => lines.map((line) => JSON.stringify(line)).join("\n") + "\n";

const env = { sessionId: "11111111-2222-3333-4444-555555555555", cwd: "/work/app", version: "2.1.7", isSidechain: false };

const claudeCodeLines = [
  { type: "summary", summary: "Fix the flaky test", leafUuid: "u9" },
  { ...env, type: "user", uuid: "u1", parentUuid: null, timestamp: "2026-01-01T10:00:00.000Z", message: { role: "user", content: "fix the test" } },
  { ...env, type: "assistant", uuid: "u2", timestamp: "2026-01-01T10:00:01.000Z", message: { id: "msg_1", model: "claude-opus-4-5", role: "assistant", content: [{ type: "thinking", thinking: "hmm", signature: "x" }] } },
  { ...env, type: "assistant", uuid: "u3", timestamp: "2026-01-01T10:00:02.000Z", message: { id: "msg_1", role: "assistant", content: [{ type: "text", text: "Let me look." }] } },
  { ...env, type: "progress", uuid: "p1", data: { type: "hook_progress", hookEvent: "PostToolUse" } },
  { ...env, type: "assistant", uuid: "u4", timestamp: "2026-01-01T10:00:03.000Z", message: { id: "msg_1", role: "assistant", content: [{ type: "text", text: "Then fix it." }] } },
  {
    ...env,
    type: "assistant",
    uuid: "u5",
    timestamp: "2026-01-01T10:00:04.000Z",
    message: { id: "msg_1", role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "memory", input: { command: "str_replace", path: "/memories/a.md", old_str: "npm", new_str: "pnpm" } }] },
  },
  {
    ...env,
    type: "user",
    uuid: "u6",
    timestamp: "2026-01-01T10:00:05.000Z",
    message: { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", is_error: true, content: [{ type: "text", text: "No such file" }] }] },
    toolUseResult: "Error: No such file",
  },
  { ...env, type: "user", uuid: "u7", isMeta: true, timestamp: "2026-01-01T10:00:06.000Z", message: { role: "user", content: "<local-command-caveat>Caveat: generated</local-command-caveat>" } },
  { type: "queue-operation", operation: "enqueue", timestamp: "2026-01-01T10:00:07.000Z", sessionId: env.sessionId, content: "also run lint" },
  { type: "queue-operation", operation: "remove", timestamp: "2026-01-01T10:00:08.000Z", sessionId: env.sessionId },
  { ...env, type: "system", subtype: "compact_boundary", content: "Conversation compacted", uuid: "c1", parentUuid: null, timestamp: "2026-01-01T10:00:09.000Z" },
  { ...env, type: "user", uuid: "u8", isCompactSummary: true, timestamp: "2026-01-01T10:00:10.000Z", message: { role: "user", content: "Summary: the test was fixed." } },
  { type: "file-history-snapshot", messageId: "u8", snapshot: {} },
  { ...env, type: "brand-new-line-type", uuid: "n1" },
  { ...env, type: "system", subtype: "turn_duration", durationMs: 10 },
  {
    ...env,
    type: "assistant",
    isSidechain: true,
    uuid: "s1",
    timestamp: "2026-01-01T10:00:11.000Z",
    message: { id: "msg_2", role: "assistant", content: [{ type: "tool_use", id: "toolu_2", name: "mcp__notes__memory_create", input: { path: "/memories/b.md", file_text: "B" } }] },
  },
];

describe("claude-code (inline fixture)", () => {
  it("joins one message's text blocks, keeps errors, meta, queue input, compaction and sidechains, and drops noise", async () => {
    const file = await fixture("session.jsonl", jsonl(claudeCodeLines));
    expect(await detectFormat(file)).toBe("claude-code");
    const { session, report } = await loadTranscript(file);
    expect(session.events).toEqual([
      { type: "summary", turn: 1, kind: "summary", text: "Fix the flaky test" },
      { type: "message", turn: 2, role: "user", text: "fix the test", at: "2026-01-01T10:00:00.000Z" },
      { type: "message", turn: 3, role: "assistant", text: "Let me look.\n\nThen fix it.", at: "2026-01-01T10:00:02.000Z" },
      {
        type: "tool_use",
        turn: 4,
        id: "toolu_1",
        name: "memory",
        input: { command: "str_replace", path: "/memories/a.md", old_str: "npm", new_str: "pnpm" },
        at: "2026-01-01T10:00:04.000Z",
        memory: { command: "str_replace", path: "/memories/a.md", text: "pnpm" },
      },
      { type: "tool_result", turn: 5, tool_use_id: "toolu_1", is_error: true, text: "No such file", at: "2026-01-01T10:00:05.000Z" },
      { type: "message", turn: 6, role: "user", text: "<local-command-caveat>Caveat: generated</local-command-caveat>", at: "2026-01-01T10:00:06.000Z", meta: true },
      { type: "message", turn: 7, role: "user", text: "also run lint", at: "2026-01-01T10:00:07.000Z", queued: true },
      { type: "summary", turn: 8, kind: "compaction", text: "Summary: the test was fixed.", at: "2026-01-01T10:00:10.000Z" },
      {
        type: "tool_use",
        turn: 9,
        id: "toolu_2",
        name: "mcp__notes__memory_create",
        input: { path: "/memories/b.md", file_text: "B" },
        at: "2026-01-01T10:00:11.000Z",
        memory: { command: "create", path: "/memories/b.md", text: "B" },
        sidechain: true,
      },
    ]);
    expect(report.counts).toEqual({ lines: 17, events: 9, messages: 4, toolCalls: 2, toolErrors: 1, skippedLines: 4, unknownLines: 1, badLines: 0, recoveredLines: 0 });
    expect(report.unknownTypes).toEqual({ "brand-new-line-type": 1 });
    expect(session.header).toMatchObject({
      agent: "claude-code",
      cwd: "/work/app",
      model: "claude-opus-4-5",
      started: "2026-01-01T10:00:00.000Z",
      ended: "2026-01-01T10:00:11.000Z",
      outcome: { status: "failure", detail: "the last tool call failed" },
      source: { format: "claude-code", nativeId: env.sessionId },
    });
  });

  it("a grown file keeps its id and is updated; an older copy of the same session is skipped", async () => {
    const dir = await tempDir("reverie-formats-");
    const memoryDir = join(dir, "memory");
    const short = join(dir, "short.jsonl");
    const long = join(dir, "long.jsonl");
    await writeFile(short, jsonl(claudeCodeLines.slice(0, 6)));
    await writeFile(long, jsonl(claudeCodeLines));
    const first = await importTranscripts({ memoryDir, inputs: [short] });
    const grown = await importTranscripts({ memoryDir, inputs: [long] });
    const older = await importTranscripts({ memoryDir, inputs: [short] });
    expect([first, grown, older].map((r) => r.sessions.map((s) => [s.id, s.status]))).toEqual([
      [[first.sessions[0]!.id, "created"]],
      [[first.sessions[0]!.id, "updated"]],
      [[first.sessions[0]!.id, "skipped"]],
    ]);
    expect(older.sessions[0]!.reason).toMatch(/^a later copy of this session is already imported/);
    const stored = await readSession(memoryDir, first.sessions[0]!.id);
    expect(stored.events).toHaveLength(9);
    expect(await readdir(join(memoryDir, ".reverie", "sessions"))).toEqual([`${first.sessions[0]!.id}.jsonl`]);
  });
});

describe("anthropic (inline fixture)", () => {
  const body = {
    model: "claude-sonnet-4-5",
    system: "You are a coding agent.",
    messages: [
      { role: "user", content: "remember that we use pnpm" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "…", signature: "s" },
          { type: "text", text: "Saving that." },
          { type: "tool_use", id: "toolu_a", name: "memory", input: { command: "create", path: "/memories/pm.md", file_text: "Use pnpm" } },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_a", content: "File created successfully at /memories/pm.md" }] },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_b", name: "memory", input: { command: "rename", old_path: "/memories/pm.md", new_path: "/memories/tooling/pm.md" } }],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_b", is_error: true, content: [{ type: "text", text: "Error: destination exists" }] }] },
      { role: "assistant", content: "Done." },
    ],
  };

  it("reads a {messages} body with memory-tool calls as memory operations", async () => {
    const file = await fixture("conversation.json", JSON.stringify(body, null, 2));
    expect(await detectFormat(file)).toBe("anthropic");
    const { session, report } = await loadTranscript(file);
    expect(session.events).toEqual([
      { type: "message", turn: 1, role: "system", text: "You are a coding agent.", meta: true },
      { type: "message", turn: 2, role: "user", text: "remember that we use pnpm" },
      { type: "message", turn: 3, role: "assistant", text: "Saving that." },
      {
        type: "tool_use",
        turn: 4,
        id: "toolu_a",
        name: "memory",
        input: { command: "create", path: "/memories/pm.md", file_text: "Use pnpm" },
        memory: { command: "create", path: "/memories/pm.md", text: "Use pnpm" },
      },
      { type: "tool_result", turn: 5, tool_use_id: "toolu_a", is_error: false, text: "File created successfully at /memories/pm.md" },
      {
        type: "tool_use",
        turn: 6,
        id: "toolu_b",
        name: "memory",
        input: { command: "rename", old_path: "/memories/pm.md", new_path: "/memories/tooling/pm.md" },
        memory: { command: "rename", path: "/memories/pm.md", newPath: "/memories/tooling/pm.md" },
      },
      { type: "tool_result", turn: 7, tool_use_id: "toolu_b", is_error: true, text: "Error: destination exists" },
      { type: "message", turn: 8, role: "assistant", text: "Done." },
    ]);
    expect(report.counts).toMatchObject({ lines: 6, messages: 4, toolCalls: 2, toolErrors: 1 });
    expect(session.header).toMatchObject({ agent: "anthropic", model: "claude-sonnet-4-5", source: { format: "anthropic" } });
  });

  it("reads a bare array and reports a non-message entry as a bad line", async () => {
    const file = await fixture("array.json", JSON.stringify([{ role: "user", content: "hi" }, 42, { role: "assistant", content: "hello" }]));
    const { session, report } = await loadTranscript(file, { format: "anthropic" });
    expect(session.events.map((e) => e.type === "message" && e.text)).toEqual(["hi", "hello"]);
    expect(report.badLines).toEqual([{ file, line: 2, reason: 'not a Messages API message: expected {"role":"user"|"assistant","content":…}' }]);
  });
});

describe("openai (inline fixture)", () => {
  it("reads tool_calls and role tool messages", async () => {
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "what is in /tmp?" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "shell", arguments: '{"cmd":"ls /tmp"}' } }] },
      { role: "tool", tool_call_id: "call_1", content: "a.txt" },
      { role: "assistant", content: [{ type: "text", text: "One file: a.txt" }] },
    ];
    const file = await fixture("chat.json", JSON.stringify(messages));
    expect(await detectFormat(file)).toBe("openai");
    const { session, report } = await loadTranscript(file);
    expect(session.events).toEqual([
      { type: "message", turn: 1, role: "system", text: "Be brief.", meta: true },
      { type: "message", turn: 2, role: "user", text: "what is in /tmp?" },
      { type: "tool_use", turn: 3, id: "call_1", name: "shell", input: { cmd: "ls /tmp" } },
      { type: "tool_result", turn: 4, tool_use_id: "call_1", is_error: false, text: "a.txt" },
      { type: "message", turn: 5, role: "assistant", text: "One file: a.txt" },
    ]);
    expect(report.counts).toMatchObject({ lines: 5, toolCalls: 1, toolErrors: 0 });
    expect(session.header.outcome).toEqual({ status: "success", detail: "the last tool call succeeded" });
  });
});

describe("gemini-cli (inline fixture)", () => {
  it("turns toolCalls into tool_use/tool_result pairs and info messages into meta system messages", async () => {
    const session = {
      sessionId: "aaaa-bbbb",
      projectHash: "ff",
      startTime: "2026-01-15T20:51:48.582Z",
      lastUpdated: "2026-01-15T20:52:56.382Z",
      messages: [
        { id: "1", timestamp: "2026-01-15T20:51:48.582Z", type: "user", content: "make a file" },
        {
          id: "2",
          timestamp: "2026-01-15T20:51:50.000Z",
          type: "gemini",
          content: "Creating it.",
          model: "gemini-2.5-flash",
          thoughts: [{ subject: "s", description: "d" }],
          toolCalls: [
            {
              id: "write_file-1",
              name: "write_file",
              args: { file_path: "docs/a.md", content: "A" },
              status: "error",
              timestamp: "2026-01-15T20:51:51.000Z",
              result: [{ functionResponse: { id: "write_file-1", name: "write_file", response: { error: "permission denied" } } }],
            },
          ],
        },
        { id: "3", timestamp: "2026-01-15T20:51:52.000Z", type: "info", content: "Update available" },
      ],
    };
    const file = await fixture("session-x.json", JSON.stringify(session, null, 2));
    expect(await detectFormat(file)).toBe("gemini-cli");
    const loaded = await loadTranscript(file);
    expect(loaded.session.events).toEqual([
      { type: "message", turn: 1, role: "user", text: "make a file", at: "2026-01-15T20:51:48.582Z" },
      { type: "message", turn: 2, role: "assistant", text: "Creating it.", at: "2026-01-15T20:51:50.000Z" },
      { type: "tool_use", turn: 3, id: "write_file-1", name: "write_file", input: { file_path: "docs/a.md", content: "A" }, at: "2026-01-15T20:51:51.000Z" },
      { type: "tool_result", turn: 4, tool_use_id: "write_file-1", is_error: true, text: "permission denied", at: "2026-01-15T20:51:51.000Z" },
      { type: "message", turn: 5, role: "system", text: "Update available", at: "2026-01-15T20:51:52.000Z", meta: true },
    ]);
    expect(loaded.session.header).toMatchObject({
      agent: "gemini-cli",
      model: "gemini-2.5-flash",
      started: "2026-01-15T20:51:48.582Z",
      ended: "2026-01-15T20:52:56.382Z",
      source: { format: "gemini-cli", nativeId: "aaaa-bbbb" },
      outcome: { status: "failure" },
    });
  });
});

describe("gemini-cli shell exit codes", () => {
  it("counts a shell command Gemini marks success as failed when its output says Exit Code: 1, not Exit Code: 0", async () => {
    const shell = (id: string, code: string) => ({
      id,
      name: "run_shell_command",
      args: { command: "go test ./..." },
      status: "success",
      timestamp: "2026-01-15T20:51:51.000Z",
      result: [{ functionResponse: { id, name: "run_shell_command", response: { output: `Command: go test ./...\nOutput: FAIL\nError: (none)\nExit Code: ${code}\nSignal: 0` } } }],
    });
    const session = {
      sessionId: "cccc",
      startTime: "2026-01-15T20:51:48.582Z",
      messages: [{ id: "1", timestamp: "2026-01-15T20:51:50.000Z", type: "gemini", content: "", toolCalls: [shell("a", "1"), shell("b", "0")] }],
    };
    const loaded = await loadTranscript(await fixture("session-exit.json", JSON.stringify(session)));
    expect(loaded.session.events.filter((e) => e.type === "tool_result").map((e) => e.type === "tool_result" && e.is_error)).toEqual([true, false]);
  });
});

describe("claude-code-text (inline fixture)", () => {
  it("reads prompts, assistant text, tool calls and results from the terminal export", async () => {
    const text = [
      "╭─── Claude Code v2.0.47 ─────────────────────╮",
      "│            Sonnet 4.5 · Claude Max            │",
      "│   /home/me/project                            │",
      "╰──────────────────────────────────────────────╯",
      "",
      "> please run the tests and tell me what ",
      "fails ",
      "",
      "● I'll run them.",
      "",
      "● Bash(npm test -- --reporter dot &&",
      "      echo done)",
      "  ⎿  Error: Exit code 1",
      "     1 failing",
      "",
      "● Read(src/a.ts)",
      // The real exports pad some result markers with no-break spaces.
      "\u00a0\u00a0⎿ \u00a0Read 10 lines",
      "",
      "● One test fails:",
      "",
      "  - a.test.ts",
      "",
    ].join("\n");
    const file = await fixture("2025-11-21-a.txt", text);
    expect(await detectFormat(file)).toBe("claude-code-text");
    const { session, report } = await loadTranscript(file);
    expect(session.events).toEqual([
      { type: "message", turn: 1, role: "user", text: "please run the tests and tell me what\nfails" },
      { type: "message", turn: 2, role: "assistant", text: "I'll run them." },
      { type: "tool_use", turn: 3, id: "txt_11", name: "Bash", input: { args: "npm test -- --reporter dot &&\necho done" } },
      { type: "tool_result", turn: 4, tool_use_id: "txt_11", is_error: true, text: "Error: Exit code 1\n1 failing" },
      { type: "tool_use", turn: 5, id: "txt_16", name: "Read", input: { args: "src/a.ts" } },
      { type: "tool_result", turn: 6, tool_use_id: "txt_16", is_error: false, text: "Read 10 lines" },
      { type: "message", turn: 7, role: "assistant", text: "One test fails:\n\n- a.test.ts" },
    ]);
    expect(report.counts).toMatchObject({ messages: 3, toolCalls: 2, toolErrors: 1, skippedLines: 4 });
    expect(session.header).toMatchObject({ agent: "claude-code", model: "Sonnet 4.5", cwd: "/home/me/project", source: { format: "claude-code-text" } });
  });
});

describe("reverie (normalized) format", () => {
  it("round-trips: importing a normalized file writes the same bytes under the same id", async () => {
    const session: Session = {
      header: { type: "session", id: "ses_0123456789abcdef01234567", agent: "coder-1", source: { format: "anthropic", path: "/x/conv.json", sha256: "a".repeat(64) } },
      events: [
        { type: "message", turn: 1, role: "user", text: "hi" },
        { type: "tool_use", turn: 2, id: "t1", name: "Bash", input: { cmd: "ls" } },
        { type: "tool_result", turn: 3, tool_use_id: "t1", is_error: false, text: "a" },
        { type: "summary", turn: 7, kind: "summary", text: "short" },
      ],
    };
    const text = serializeSession(session);
    const file = await fixture("ses_0123456789abcdef01234567.jsonl", text);
    expect(await detectFormat(file)).toBe("reverie");
    expect((await loadTranscript(file)).session).toEqual(session);
    const memoryDir = await tempDir("reverie-formats-");
    const result = await importTranscripts({ memoryDir, inputs: [file] });
    expect(result.sessions.map((s) => [s.id, s.status])).toEqual([["ses_0123456789abcdef01234567", "created"]]);
    expect(await readFile(result.sessions[0]!.path, "utf8")).toBe(text);
    expect(await listSessions(memoryDir)).toEqual({ sessions: [session.header], problems: [] });
  });
});

describe("detection, directories and errors", () => {
  it("an unidentifiable file is INVALID_INPUT naming every format tried", async () => {
    const file = await fixture("data.json", JSON.stringify({ rows: [1, 2, 3] }));
    await expect(detectFormat(file)).rejects.toMatchObject({
      code: "INVALID_INPUT",
      data: { file, tried: ["reverie", "claude-code", "gemini-cli", "openai", "anthropic", "claude-code-text"] },
    });
    await expect(importTranscripts({ memoryDir: await tempDir("reverie-formats-"), inputs: [file] })).rejects.toThrow(/Cannot tell the transcript format of .*data\.json\. Tried: reverie/);
  });

  it("refuses a JSON transcript over the size guard with a clear error", async () => {
    const file = await fixture("big.json", JSON.stringify([{ role: "user", content: "x".repeat(100) }]));
    await expect(loadTranscript(file, { format: "anthropic", maxJsonBytes: 50 })).rejects.toMatchObject({ code: "INVALID_INPUT", data: { file, maxJsonBytes: 50 } });
  });

  it("walks directories recursively in sorted order, skipping dot-folders, other extensions and non-transcripts", async () => {
    const dir = await tempDir("reverie-formats-");
    await mkdir(join(dir, "b", "nested"), { recursive: true });
    await mkdir(join(dir, ".hidden"));
    const chat = JSON.stringify([{ role: "user", content: "hi" }]);
    await writeFile(join(dir, "b", "nested", "z.json"), chat);
    await writeFile(join(dir, "a.json"), JSON.stringify([{ role: "user", content: "hello" }]));
    await writeFile(join(dir, ".hidden", "c.json"), chat);
    await writeFile(join(dir, "README.md"), "# not a transcript");
    await writeFile(join(dir, "notes.txt"), "just some notes\n");
    const memoryDir = await tempDir("reverie-formats-");
    const result = await importTranscripts({ memoryDir, inputs: [dir] });
    expect(result.sessions.map((s) => s.file)).toEqual([join(dir, "a.json"), join(dir, "b", "nested", "z.json")]);
    expect(result.ignored.map((i) => i.file)).toEqual([join(dir, "notes.txt")]);
  });

  it("readSession rejects malformed ids and reports unknown ones as NOT_FOUND", async () => {
    const memoryDir = await tempDir("reverie-formats-");
    await expect(readSession(memoryDir, "../../etc/passwd")).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(readSession(memoryDir, "ses_missing")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await listSessions(memoryDir)).toEqual({ sessions: [], problems: [] });
  });

  it("a JSON file that does not parse is a failed import in lenient mode and PARSE_ERROR in strict mode", async () => {
    const file = await fixture("broken.json", '[{"role":"user","content":"hi"},');
    const memoryDir = await tempDir("reverie-formats-");
    await expect(importTranscripts({ memoryDir, inputs: [file], format: "anthropic", strict: true })).rejects.toMatchObject({ code: "PARSE_ERROR", data: { file } });
    const lenient = await importTranscripts({ memoryDir, inputs: [file], format: "anthropic" });
    expect(lenient.failed.map((f) => [f.file, f.code])).toEqual([[file, "PARSE_ERROR"]]);
    expect(await readdir(join(memoryDir, ".reverie", "sessions"))).toEqual([]);
  });

  it("an aborted import rejects with CANCELED and writes nothing", async () => {
    const file = await fixture("s.jsonl", jsonl(claudeCodeLines));
    const memoryDir = await tempDir("reverie-formats-");
    const controller = new AbortController();
    controller.abort();
    await expect(importTranscripts({ memoryDir, inputs: [file], signal: controller.signal })).rejects.toMatchObject({ code: "CANCELED" });
    expect((await listSessions(memoryDir)).sessions).toEqual([]);
  });
});
