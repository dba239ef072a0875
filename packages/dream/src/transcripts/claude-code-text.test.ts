import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { importTranscripts, loadTranscript } from "../index.js";

/** `../shared/datasets` from the repo root; absent in a fresh clone, where these tests skip. */
const DATASETS = fileURLToPath(new URL("../../../../../shared/datasets/", import.meta.url));
const TRAP = join(DATASETS, "trap-claude-code", "cc-interactions");
const GEMINI = join(DATASETS, "gemini-cli", "entireio__cli__session-f7633853-6663-4dbb-bbf4-6159afa29df8.json");
const hasDatasets = existsSync(TRAP) && existsSync(GEMINI);
if (!hasDatasets) console.info(`text-export and Gemini golden tests skipped: no datasets at ${DATASETS}`);

describe.skipIf(!hasDatasets)("real text exports and Gemini session (skipped without ../shared/datasets)", () => {
  it("imports all 70 TRAP text exports, one tool call per `● Name(` line, and skips the folder README", async () => {
    const files = (await readdir(TRAP)).filter((name) => name.endsWith(".txt")).sort();
    expect(files).toHaveLength(70);
    const memoryDir = await tempDir("reverie-trap-");
    const result = await importTranscripts({ memoryDir, inputs: [TRAP] });
    expect(result.ignored).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(result.badLines).toEqual([]);
    expect(result.sessions.map((s) => [s.format, s.status])).toEqual(files.map(() => ["claude-code-text", "created"]));
    for (const session of result.sessions) {
      const raw = (await readFile(session.file, "utf8")).replace(/\u00a0/g, " ");
      const toolLines = raw.split("\n").filter((line) => /^● [A-Za-z][\w-]*(?: [A-Z][\w-]*)?(?: \(MCP\))?\(/.test(line)).length;
      expect([session.file, session.counts.toolCalls]).toEqual([session.file, toolLines]);
    }
    const total = result.sessions.reduce(
      (sum, s) => ({ messages: sum.messages + s.counts.messages, toolCalls: sum.toolCalls + s.counts.toolCalls, toolErrors: sum.toolErrors + s.counts.toolErrors }),
      { messages: 0, toolCalls: 0, toolErrors: 0 },
    );
    expect(total).toMatchInlineSnapshot(`
      {
        "messages": 2669,
        "toolCalls": 3252,
        "toolErrors": 152,
      }
    `);
  });

  it("reads 2025-11-21-a: the compaction, the failed git commit and its recovery", async () => {
    const { session, report } = await loadTranscript(join(TRAP, "2025-11-21-a.txt"));
    expect(report.counts).toMatchInlineSnapshot(`
      {
        "badLines": 0,
        "events": 119,
        "lines": 429,
        "messages": 34,
        "recoveredLines": 0,
        "skippedLines": 11,
        "toolCalls": 42,
        "toolErrors": 1,
        "unknownLines": 0,
      }
    `);
    expect(session.header.model).toBe("Sonnet 4.5");
    expect(session.events[0]).toEqual({ type: "summary", turn: 1, kind: "compaction", text: "Conversation compacted" });
    const failure = session.events.find((e) => e.type === "tool_result" && e.is_error);
    expect(failure).toMatchInlineSnapshot(`
      {
        "is_error": true,
        "text": "Error: Exit code 128
      fatal: Unable to create '/media/shawn/191c3b96-5fa5-4d0d-8805-0cf05d3d8468/s
      ynology/Adela/TRAP-WD-2020-04/.git/index.lock': File exists.

      Another git process seems to be running in this repository, e.g.
      an editor opened by 'git commit'. Please make sure all processes
      are terminated then try again. If it still fails, a git process
      may have crashed in this repository earlier:
      remove the file manually to continue.",
        "tool_use_id": "txt_89",
        "turn": 31,
        "type": "tool_result",
      }
    `);
    expect(session.events[31]).toMatchObject({ type: "tool_use", turn: 32, name: "Bash", input: { args: expect.stringMatching(/^rm \/media\/.*index\.lock &&/s) } });
    expect(session.events.at(-1)).toMatchInlineSnapshot(`
      {
        "meta": true,
        "role": "system",
        "text": "Failed to export conversation: ENOENT: no such file or directory, open
      '/media/shawn/191c3b96-5fa5-4d0d-8805-0cf05d3d8468/synology/Adela/TRAP-WD-20
      20-04/claude_extraction/claude_extraction/cc-interactions/2025-11-21-a.txt'",
        "turn": 119,
        "type": "message",
      }
    `);
  });

  it("reads the real Gemini CLI session: 9 tool calls, none failed, the self-correction kept", async () => {
    const { session, report } = await loadTranscript(GEMINI);
    expect(report.format).toBe("gemini-cli");
    expect(report.counts).toMatchInlineSnapshot(`
      {
        "badLines": 0,
        "events": 30,
        "lines": 13,
        "messages": 12,
        "recoveredLines": 0,
        "skippedLines": 0,
        "toolCalls": 9,
        "toolErrors": 0,
        "unknownLines": 0,
      }
    `);
    expect(session.events[0]).toMatchInlineSnapshot(`
      {
        "at": "2026-01-15T20:51:48.582Z",
        "role": "user",
        "text": "run an agent that creates a color file inside docs, choose your color",
        "turn": 1,
        "type": "message",
      }
    `);
    const texts = session.events.flatMap((e) => (e.type === "message" && e.role === "assistant" ? [e.text] : []));
    expect(texts.some((t) => t.startsWith("I misread the `ls` output"))).toBe(true);
    expect(session.header.source.nativeId).toBe("f7633853-6663-4dbb-bbf4-6159afa29df8");
  });

  it("reports the Codex CLI rollout (not a supported format) as ignored when found in a folder", async () => {
    const memoryDir = await tempDir("reverie-codex-");
    const result = await importTranscripts({ memoryDir, inputs: [join(DATASETS, "codex-cli")] });
    expect(result.sessions).toEqual([]);
    const codex = join(DATASETS, "codex-cli", "simonw__claude-code-transcripts__sample_codex_session.jsonl");
    expect(result.ignored.map((i) => i.file)).toEqual([codex]);
    expect(result.ignored[0]!.reason.startsWith(`Cannot tell the transcript format of ${codex}. Tried: reverie`)).toBe(true);
  });
});
