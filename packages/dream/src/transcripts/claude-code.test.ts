import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { importTranscripts, loadTranscript, readSession } from "../index.js";

/** `../shared/datasets` from the repo root; absent in a fresh clone, where these tests skip. */
const DATASETS = fileURLToPath(new URL("../../../../../shared/datasets/", import.meta.url));
const CC = join(DATASETS, "claude-code");
const hasDatasets = existsSync(CC);
if (!hasDatasets) console.info(`claude-code golden tests skipped: no datasets at ${DATASETS}`);

const file = (prefix: string) => join(CC, `${prefix}.jsonl`);
const F736 = file("entireio__cli__f736da47-b2ca-4f86-bb32-a1bbe582e464");
const F4FEC = file("entireio__cli__4fec7ea0-3335-43ec-a178-d4ab47d5aef3");

async function ccFiles(): Promise<string[]> {
  return (await readdir(CC)).filter((name) => name.endsWith(".jsonl")).sort().map((name) => join(CC, name));
}

/** Counts tool_use blocks and is_error results straight from the raw lines, independently of the importer. */
async function rawToolCounts(path: string): Promise<{ toolCalls: number; toolErrors: number }> {
  let toolCalls = 0;
  let toolErrors = 0;
  for (const line of (await readFile(path, "utf8")).split("\n")) {
    if (line.trim() === "") continue;
    // The one real two-objects line is `{…}{"type":"summary",…}`; split at the seam.
    for (const part of line.replace(/\}\{"type":"summary"/g, '}\n{"type":"summary"').split("\n")) {
      const value = JSON.parse(part) as { type?: string; message?: { content?: unknown } };
      if (value.type !== "assistant" && value.type !== "user") continue;
      const content = value.message?.content;
      if (!Array.isArray(content)) continue;
      for (const block of content as { type?: string; is_error?: boolean }[]) {
        if (block.type === "tool_use") toolCalls += 1;
        if (block.type === "tool_result" && block.is_error === true) toolErrors += 1;
      }
    }
  }
  return { toolCalls, toolErrors };
}

describe.skipIf(!hasDatasets)("Claude Code JSONL on the real dataset files (skipped without ../shared/datasets)", () => {
  it("imports all 17 files with tool counts equal to a raw count of the source lines", async () => {
    const files = await ccFiles();
    expect(files).toHaveLength(17);
    const memoryDir = await tempDir("reverie-cc-");
    const result = await importTranscripts({ memoryDir, inputs: [CC] });
    expect(result.failed).toEqual([]);
    expect(result.badLines).toEqual([]);
    expect(result.sessions.map((s) => s.file)).toEqual(files);
    expect(result.sessions.map((s) => s.status)).toEqual(files.map(() => "created"));
    for (const session of result.sessions) {
      expect({ file: basename(session.file), ...(await rawToolCounts(session.file)) }).toEqual({
        file: basename(session.file),
        toolCalls: session.counts.toolCalls,
        toolErrors: session.counts.toolErrors,
      });
    }
    const table = result.sessions.map((s) => {
      const c = s.counts;
      return `${basename(s.file).replace(/^(d-kimuson__claude-code-viewer|entireio__cli)__/, "").slice(0, 8)} lines=${c.lines} events=${c.events} messages=${c.messages} tools=${c.toolCalls} errors=${c.toolErrors} skipped=${c.skippedLines} unknown=${c.unknownLines} recovered=${c.recoveredLines}`;
    });
    expect(table).toMatchInlineSnapshot(`
      [
        "1af7fc5e lines=29 events=29 messages=5 tools=12 errors=1 skipped=0 unknown=0 recovered=0",
        "5c0375b4 lines=53 events=53 messages=11 tools=21 errors=3 skipped=0 unknown=0 recovered=0",
        "fe5e1c67 lines=438 events=438 messages=103 tools=167 errors=23 skipped=0 unknown=0 recovered=0",
        "0a0314fb lines=39 events=27 messages=8 tools=8 errors=1 skipped=3 unknown=0 recovered=0",
        "1ed1f046 lines=56 events=38 messages=8 tools=15 errors=1 skipped=2 unknown=0 recovered=0",
        "34de7f83 lines=41 events=28 messages=7 tools=10 errors=0 skipped=2 unknown=0 recovered=0",
        "375d5d79 lines=66 events=44 messages=9 tools=16 errors=0 skipped=5 unknown=0 recovered=0",
        "4fec7ea0 lines=280 events=166 messages=38 tools=62 errors=8 skipped=46 unknown=0 recovered=1",
        "94e68429 lines=62 events=42 messages=10 tools=15 errors=0 skipped=5 unknown=0 recovered=0",
        "ab8c5aa0 lines=119 events=79 messages=21 tools=27 errors=2 skipped=13 unknown=0 recovered=0",
        "b8c1e7e5 lines=53 events=37 messages=9 tools=14 errors=0 skipped=2 unknown=0 recovered=0",
        "ca8cc13b lines=537 events=295 messages=62 tools=116 errors=7 skipped=235 unknown=0 recovered=0",
        "cde341db lines=164 events=159 messages=27 tools=66 errors=8 skipped=5 unknown=0 recovered=0",
        "cf564e14 lines=14 events=8 messages=2 tools=3 errors=1 skipped=2 unknown=0 recovered=0",
        "deeac353 lines=468 events=325 messages=28 tools=138 errors=1 skipped=24 unknown=0 recovered=0",
        "f6833005 lines=269 events=188 messages=32 tools=78 errors=10 skipped=9 unknown=0 recovered=0",
        "f736da47 lines=209 events=124 messages=19 tools=52 errors=11 skipped=38 unknown=0 recovered=0",
      ]
    `);
  });

  it("reads f736da47: 52 tool calls, 11 errors, first and last events, header", async () => {
    const { session, report } = await loadTranscript(F736);
    expect(report.counts.toolCalls).toBe(52);
    expect(report.counts.toolErrors).toBe(11);
    // The source path depends on where the checkout lives; pin its file name.
    const header = { ...session.header, source: { ...session.header.source, path: basename(session.header.source.path) } };
    expect(header).toMatchInlineSnapshot(`
      {
        "agent": "claude-code",
        "cwd": "/Users/soph/Work/entire/devenv/cli",
        "ended": "2026-01-25T11:09:20.498Z",
        "id": "ses_5db2564caea69442b3f7990c",
        "model": "claude-sonnet-4-5-20250929",
        "outcome": {
          "detail": "the last tool call succeeded",
          "status": "success",
        },
        "source": {
          "format": "claude-code",
          "nativeId": "f736da47-b2ca-4f86-bb32-a1bbe582e464",
          "path": "entireio__cli__f736da47-b2ca-4f86-bb32-a1bbe582e464.jsonl",
          "sha256": "204cccf427447e66701feb55e046601cbb234294528df6ddf4ff162b29a68aff",
        },
        "started": "2026-01-25T10:47:18.908Z",
        "type": "session",
      }
    `);
    expect(session.events[0]).toMatchInlineSnapshot(`
      {
        "at": "2026-01-25T10:47:18.908Z",
        "role": "user",
        "text": "The pathSafeRegex is also duplicated from paths package and should be removed along with the validation functions. The validation package is now the single source of truth for this regex pattern.",
        "turn": 1,
        "type": "message",
      }
    `);
    expect(session.events.at(-1)).toMatchInlineSnapshot(`
      {
        "kind": "summary",
        "text": "Consolidate validation, remove duplication, add tests",
        "turn": 124,
        "type": "summary",
      }
    `);
    expect(session.events.map((e) => e.turn)).toEqual(session.events.map((_, i) => i + 1));
  });

  it("recovers 4fec7ea0 line 196, a hook_progress object and a summary written on one line", async () => {
    const line196 = (await readFile(F4FEC, "utf8")).split("\n")[195]!;
    expect(() => JSON.parse(line196)).toThrow(SyntaxError);
    const { session, report } = await loadTranscript(F4FEC, { strict: true });
    expect(report.counts.recoveredLines).toBe(1);
    expect(report.badLines).toEqual([]);
    const summaries = session.events.filter((e) => e.type === "summary").map((e) => e.type === "summary" && e.text);
    expect(summaries).toContain("Add debug logging to attribution error paths");
  });

  it("keeps the queued user input, the compaction summary and the 20 summaries of deeac353", async () => {
    const { session } = await loadTranscript(file("entireio__cli__deeac353-0765-4439-9056-293619a99172"));
    const queued = session.events.filter((e) => e.type === "message" && e.queued === true);
    expect(queued).toEqual([{ type: "message", turn: 297, role: "user", text: "could we have a linting rule?", at: "2026-01-12T20:37:19.298Z", queued: true }]);
    const compactions = session.events.filter((e) => e.type === "summary" && e.kind === "compaction");
    expect(compactions.map((e) => [e.turn, e.type === "summary" && e.text.slice(0, 60)])).toEqual([
      [301, "This session is being continued from a previous conversation"],
    ]);
    expect(session.events.filter((e) => e.type === "summary" && e.kind === "summary")).toHaveLength(20);
  });

  it("flags the inline sidechain of the 1.0.98 file fe5e1c67", async () => {
    const { session } = await loadTranscript(file("d-kimuson__claude-code-viewer__fe5e1c67-53e7-4862-81ae-d0e013e3270b"));
    const sidechain = session.events.filter((e) => e.type !== "summary" && e.sidechain === true);
    expect(sidechain.length).toMatchInlineSnapshot(`405`);
    expect(session.header.source.nativeId).toBe("fe5e1c67-53e7-4862-81ae-d0e013e3270b");
  });

  it("re-importing the same files is a no-op: same ids, status unchanged, no extra files", async () => {
    const memoryDir = await tempDir("reverie-cc-");
    const first = await importTranscripts({ memoryDir, inputs: [F736, F4FEC] });
    const stored = await readFile(first.sessions[0]!.path, "utf8");
    const second = await importTranscripts({ memoryDir, inputs: [F736, F4FEC] });
    expect(second.sessions.map((s) => [s.id, s.status])).toEqual(first.sessions.map((s) => [s.id, "unchanged"]));
    expect((await readdir(join(memoryDir, ".reverie", "sessions"))).sort()).toEqual(first.sessions.map((s) => `${s.id}.jsonl`).sort());
    expect(await readFile(first.sessions[0]!.path, "utf8")).toBe(stored);
    const session = await readSession(memoryDir, first.sessions[0]!.id);
    expect(session.events).toHaveLength(first.sessions[0]!.counts.events);
  });

  it("a cut-off copy fails strict with PARSE_ERROR at file:line and leaves no session file; lenient skips and reports it", async () => {
    const dir = await tempDir("reverie-cut-");
    const text = await readFile(F736, "utf8");
    const lines = text.split("\n");
    const cut = join(dir, "cut.jsonl");
    // Keep 100 whole lines, then half of line 101: a file captured mid-write.
    await writeFile(cut, `${lines.slice(0, 100).join("\n")}\n${lines[100]!.slice(0, Math.floor(lines[100]!.length / 2))}`);
    const memoryDir = join(dir, "memory");

    const strict = importTranscripts({ memoryDir, inputs: [cut], strict: true });
    await expect(strict).rejects.toMatchObject({ code: "PARSE_ERROR", data: { file: cut, line: 101 } });
    await expect(strict).rejects.toThrow(`${cut}:101:`);
    expect(await readdir(join(memoryDir, ".reverie", "sessions"))).toEqual([]);

    const lenient = await importTranscripts({ memoryDir, inputs: [cut] });
    expect(lenient.sessions.map((s) => s.status)).toEqual(["created"]);
    expect(lenient.badLines).toHaveLength(1);
    expect(lenient.badLines[0]).toMatchObject({ file: cut, line: 101 });
    expect(lenient.badLines[0]!.reason).toMatch(/^invalid JSON/);
    expect(lenient.sessions[0]!.counts.badLines).toBe(1);
  });
});
