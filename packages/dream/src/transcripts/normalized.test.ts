import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { importTranscripts, loadSessionFile, loadTranscript, parseSessionLine, serializeSession } from "../index.js";
import type { Session, SessionEvent, SessionHeader } from "../index.js";
import { splitConcatenatedJson } from "./line-reader.js";

const text = fc.string({ unit: "grapheme", maxLength: 40 });
const at = fc.option(
  fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }).map((ms) => new Date(ms).toISOString()),
  { nil: undefined },
);
const flag = fc.option(fc.constant(true), { nil: undefined });
const id = fc.stringMatching(/^[a-z0-9_]{1,12}$/);

/** Drops `undefined` members, as JSON does, so generated values compare equal to parsed ones. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const draftEvent: fc.Arbitrary<Omit<SessionEvent, "turn">> = fc.oneof(
  fc.record({ type: fc.constant("message" as const), role: fc.constantFrom("user" as const, "assistant" as const, "system" as const), text, at, meta: flag, sidechain: flag, queued: flag }),
  fc.record({
    type: fc.constant("tool_use" as const),
    id,
    name: fc.constantFrom("Bash", "Read", "memory", "mcp__x__memory_view"),
    // JSON has no -0; a valid event holds only what JSON can carry.
    input: fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown),
    at,
    memory: fc.option(fc.record({ command: fc.constantFrom("view" as const, "create" as const, "rename" as const), path: fc.option(text, { nil: undefined }) }).map(defined), { nil: undefined }),
    sidechain: flag,
  }),
  fc.record({ type: fc.constant("tool_result" as const), tool_use_id: id, is_error: fc.boolean(), text, at, sidechain: flag }),
  fc.record({ type: fc.constant("summary" as const), text, kind: fc.constantFrom("summary" as const, "compaction" as const), at }),
).map(defined);

const session: fc.Arbitrary<Session> = fc
  .record({
    header: fc
      .record({
        type: fc.constant("session" as const),
        id: fc.stringMatching(/^ses_[0-9a-f]{24}$/),
        agent: fc.option(text, { nil: undefined }),
        started: at,
        source: fc.record({
          format: fc.constantFrom("claude-code" as const, "anthropic" as const, "openai" as const),
          path: fc.constant("/t/x.jsonl"),
          sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
        }),
        outcome: fc.option(fc.record({ status: fc.constantFrom("success" as const, "failure" as const, "unknown" as const) }), { nil: undefined }),
      })
      .map((header) => defined(header) as SessionHeader),
    events: fc.array(draftEvent, { maxLength: 20 }),
  })
  .map(({ header, events }) => ({ header, events: events.map((event, i) => ({ ...event, turn: i + 1 }) as SessionEvent) }));

async function tempFile(name: string, content: string): Promise<string> {
  const path = join(await tempDir("reverie-prop-"), name);
  await writeFile(path, content);
  return path;
}

describe("normalized sessions (property)", () => {
  it("serialize → parse is the identity on random sessions", () => {
    fc.assert(
      fc.property(session, (s) => {
        const lines = serializeSession(s).split("\n").filter((line) => line !== "");
        const parsed = lines.map(parseSessionLine);
        expect({ header: parsed[0], events: parsed.slice(1) }).toEqual(s);
      }),
    );
  });

  it("a written session file loads back unchanged, through loadSessionFile and through the importer", async () => {
    await fc.assert(
      fc.asyncProperty(session, fc.boolean(), async (s, writerOrder) => {
        // Lines as the writer orders keys (`type`, `turn` first: checked without parsing), or with `turn` last (parsed).
        const events = writerOrder ? s.events.map(({ type, turn, ...rest }) => ({ type, turn, ...rest }) as SessionEvent) : s.events;
        const file = await tempFile(`${s.header.id}.jsonl`, serializeSession({ header: s.header, events }));
        expect(await loadSessionFile(file)).toEqual(s);
        const loaded = await loadTranscript(file, { format: "reverie", strict: true });
        expect(loaded.session).toEqual(s);
        const imported = await importTranscripts({ memoryDir: await tempDir("reverie-prop-"), inputs: [file], strict: true });
        const written = serializeSession({ header: s.header, events: s.events.map(({ type, turn, ...rest }) => ({ type, turn, ...rest }) as SessionEvent) });
        expect(await readFile(imported.sessions[0]!.path, "utf8")).toBe(written);
        expect(imported.sessions[0]!.counts).toEqual(loaded.report.counts);
      }),
      { numRuns: 100 },
    );
  });

  it("random Messages API conversations survive normalize → serialize → parse", async () => {
    const block = fc.oneof(
      fc.record({ type: fc.constant("text"), text }),
      fc.record({ type: fc.constant("tool_use"), id, name: fc.constantFrom("Bash", "memory"), input: fc.dictionary(fc.constantFrom("command", "path", "x"), fc.string()) }),
      fc.record({ type: fc.constant("tool_result"), tool_use_id: id, is_error: fc.boolean(), content: text }),
    );
    const message = fc.record({ role: fc.constantFrom("user", "assistant"), content: fc.oneof(text, fc.array(block, { maxLength: 4 })) });
    await fc.assert(
      fc.asyncProperty(fc.array(message, { maxLength: 12 }), async (messages) => {
        const file = await tempFile("conversation.json", JSON.stringify(messages));
        const { session: normalized, report } = await loadTranscript(file, { format: "anthropic", strict: true });
        expect(report.badLines).toEqual([]);
        const lines = serializeSession(normalized).split("\n").filter((line) => line !== "");
        expect({ header: parseSessionLine(lines[0]!), events: lines.slice(1).map(parseSessionLine) }).toEqual(normalized);
        expect(normalized.events.map((e) => e.turn)).toEqual(normalized.events.map((_, i) => i + 1));
      }),
      { numRuns: 50 },
    );
  });
});

const env = { sessionId: "s-1", cwd: "/w", isSidechain: false };
const validLines = [
  { type: "summary", summary: "A title", leafUuid: "x" },
  { ...env, type: "user", uuid: "1", timestamp: "2026-01-01T00:00:00.000Z", message: { role: "user", content: "hello" } },
  { ...env, type: "assistant", uuid: "2", timestamp: "2026-01-01T00:00:01.000Z", message: { id: "m1", role: "assistant", content: [{ type: "text", text: "part one" }] } },
  { ...env, type: "assistant", uuid: "3", timestamp: "2026-01-01T00:00:02.000Z", message: { id: "m1", role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Bash", input: { command: "ls" } }] } },
  { ...env, type: "user", uuid: "4", timestamp: "2026-01-01T00:00:03.000Z", message: { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", is_error: true, content: "Exit code 1" }] } },
  { ...env, type: "progress", uuid: "5", data: { type: "bash_progress" } },
  { ...env, type: "assistant", uuid: "6", timestamp: "2026-01-01T00:00:04.000Z", message: { id: "m2", role: "assistant", content: [{ type: "text", text: "done" }] } },
].map((line) => JSON.stringify(line));

/** True when the importer must treat the line as malformed: not blank, not an object with a string `type`, not a run of objects. */
function isBroken(line: string): boolean {
  if (line.trim() === "" || /[\n\r]/.test(line) || splitConcatenatedJson(line) !== null) return false;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value !== "object" || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== "string";
  } catch {
    return true;
  }
}

describe("broken lines (property)", () => {
  const brokenLine = fc.oneof(
    fc.string({ unit: "binary", minLength: 1, maxLength: 60 }),
    fc.constantFrom(...validLines).chain((line) => fc.integer({ min: 1, max: line.length - 1 }).map((n) => line.slice(0, n))),
  ).filter(isBroken);

  it("never crash the importer: each one is reported by line number and the valid lines read as if it were absent", async () => {
    const clean = (await loadTranscript(await tempFile("clean.jsonl", validLines.join("\n")), { format: "claude-code" })).session.events;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(validLines.length), brokenLine), { minLength: 1, maxLength: 5 }), async (insertions) => {
        const lines = [...validLines];
        for (const [position, broken] of insertions) lines.splice(Math.min(position, lines.length), 0, broken);
        const brokenNumbers = lines.flatMap((line, i) => (validLines.includes(line) ? [] : [i + 1]));
        const file = await tempFile("fuzz.jsonl", lines.join("\n"));
        const { session: lenient, report } = await loadTranscript(file, { format: "claude-code" });
        expect(lenient.events).toEqual(clean);
        expect(report.badLines.map((bad) => bad.line)).toEqual(brokenNumbers);
        expect(report.counts.badLines).toBe(brokenNumbers.length);
        await expect(loadTranscript(file, { format: "claude-code", strict: true })).rejects.toMatchObject({ code: "PARSE_ERROR", data: { file, line: brokenNumbers[0] } });
      }),
      { numRuns: 100 },
    );
  });
});
