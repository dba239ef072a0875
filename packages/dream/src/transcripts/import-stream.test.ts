import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { importTranscripts, loadTranscript, serializeSession, serializeSessionLine } from "../index.js";
import type { Session, SessionEvent } from "../index.js";
import { readLines } from "./line-reader.js";
import { scanSessionEvent } from "./scan-event.js";

const MiB = 1 << 20;

describe("line reader", () => {
  it("splits lines across read buffers, keeps CRLF and a missing last newline, and hashes every byte", async () => {
    const file = join(await tempDir("reverie-stream-"), "lines.txt");
    // One line straddles the first 1 MiB read, one is longer than a whole read, CRLF in between, no final newline.
    const lines = ["a".repeat(MiB - 10), "straddles-the-boundary", "b".repeat(2 * MiB + 3), "crlf", "", "é✓ last"];
    const content = Buffer.from(`${lines[0]}\n${lines[1]}\n${lines[2]}\r\n${lines[3]}\r\n\n${lines[5]}`);
    await writeFile(file, content);
    const source = readLines(file);
    const read: { line: number; text: string; bytes: string }[] = [];
    for await (const raw of source.lines) read.push({ line: raw.line, text: raw.text, bytes: raw.bytes!.toString("utf8") });
    expect(read.map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(read.map((r) => r.text)).toEqual(lines);
    expect(read.map((r) => r.bytes)).toEqual(lines);
    expect(source.sha256()).toBe(createHash("sha256").update(content).digest("hex"));
    expect(source.bytes()).toBe(content.length);
  });

  it("reads an empty file as no lines, and a lone newline as one empty line", async () => {
    const dir = await tempDir("reverie-stream-");
    await writeFile(join(dir, "empty"), "");
    await writeFile(join(dir, "newline"), "\n");
    const collect = async (name: string) => {
      const out: string[] = [];
      for await (const raw of readLines(join(dir, name)).lines) out.push(raw.text);
      return out;
    };
    expect(await collect("empty")).toEqual([]);
    expect(await collect("newline")).toEqual([""]);
  });
});

const header = (id: string) => ({ type: "session" as const, id, agent: "coder-1", source: { format: "anthropic" as const, path: "/x/c.json", sha256: "a".repeat(64) } });

describe("normalized import fast path", () => {
  const rebuild = (value: SessionEvent) => {
    const { type, turn, ...rest } = value;
    return JSON.stringify({ type, turn, ...rest });
  };

  it("calls a line canonical only when it is exactly what serializing its value gives", () => {
    const event = fc.oneof(
      fc.record({ type: fc.constant("message"), turn: fc.integer({ min: 1, max: 1e6 }), role: fc.constantFrom("user", "assistant"), text: fc.string({ unit: "binary" }) }),
      fc.record({ type: fc.constant("tool_use"), turn: fc.integer({ min: 1, max: 1e6 }), id: fc.string(), name: fc.string(), input: fc.jsonValue({ maxDepth: 3 }) }),
    );
    const variant = fc.constantFrom("as-is", "spaced", "unicode-escaped", "turn-first", "duplicate-key", "digit-key", "float-turn");
    fc.assert(
      fc.property(event, variant, (value, how) => {
        let text = JSON.stringify(value);
        if (how === "spaced") text = JSON.stringify(value, null, 1).replace(/\n/g, "");
        if (how === "unicode-escaped") text = text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
        if (how === "turn-first") text = text.replace(/^\{"type":("[a-z_]+"),"turn":(\d+)/, '{"turn":$2,"type":$1');
        if (how === "duplicate-key") text = text.replace(/^\{"type":"([a-z_]+)",/, '{"type":"$1","type":"$1",');
        if (how === "digit-key") text = text.replace(/\}$/, ',"7":1}');
        if (how === "float-turn") text = text.replace(/"turn":(\d+)/, '"turn":$1.0');
        const parsed = JSON.parse(text) as SessionEvent;
        if (scanSessionEvent(Buffer.from(text)) !== undefined) expect(rebuild(parsed)).toBe(text);
        // The check is conservative: fractions, exponents, integers past 15 digits, \u escapes and
        // digit-led keys always take the slow path.
        if (how === "as-is" && !/\\u|[0-9][.eE]|[0-9]{16}|"[0-9](?:[^"\\]|\\.)*":/.test(text)) expect(scanSessionEvent(Buffer.from(text)) !== undefined).toBe(rebuild(parsed) === text);
      }),
      { numRuns: 500 },
    );
    // A 16-digit integer prints back as written, but the check does not count on it (found by this property).
    const long = '{"type":"tool_use","turn":1,"id":"","name":"","input":2218011603454530}';
    expect(scanSessionEvent(Buffer.from(long))).toBeUndefined();
  });

  it("writes lines that are not canonical as their serialization, and canonical ones byte for byte", async () => {
    const dir = await tempDir("reverie-stream-");
    const lines = [
      JSON.stringify(header("ses_00000000000000000000000a")),
      '{"type":"message","turn":1,"role":"user","text":"caf\\u00e9 \\/ ok"}',
      '{ "type": "message", "turn": 2, "role": "assistant", "text": "spaced" }',
      '{"turn":3,"type":"message","role":"user","text":"turn first"}',
      '{"type":"tool_use","turn":4,"id":"t","name":"Bash","input":{"b":1,"2":2,"n":1.50}}',
      '{"type":"message","turn":5,"role":"user","text":"dup","text":"last wins"}',
      '{"type":"message","turn":6,"role":"user","text":"canonical ✓ \\"quoted\\" \\n"}',
    ];
    const file = join(dir, "in.jsonl");
    await writeFile(file, `${lines.join("\r\n")}\r\n`);
    const memoryDir = join(dir, "memory");
    const result = await importTranscripts({ memoryDir, inputs: [file] });
    expect(result.badLines).toEqual([]);
    const written = (await readFile(result.sessions[0]!.path, "utf8")).split("\n");
    expect(written.slice(1, -1)).toEqual(lines.slice(1).map((line) => rebuild(JSON.parse(line) as SessionEvent)));
    expect(written[6]).toBe(lines[6]);
  });
});

/** A normalized session of about `bytes` bytes. */
function bigSession(id: string, bytes: number): Session {
  const events: SessionEvent[] = [];
  for (let size = 0, turn = 1; size < bytes; turn++) {
    const event: SessionEvent =
      turn % 2 === 0
        ? { type: "tool_result", turn, tool_use_id: `t${turn - 1}`, is_error: turn % 10 === 0, text: `line ${turn}\n`.repeat(40) }
        : { type: "tool_use", turn, id: `t${turn}`, name: "Bash", input: { command: `echo ${turn}` }, at: "2026-01-01T00:00:00.000Z" };
    events.push(event);
    size += serializeSessionLine(event).length + 1;
  }
  return { header: header(id), events };
}

describe("large sessions", () => {
  it("a normalized session past the memory bound is written byte for byte, with no temp file left", async () => {
    const dir = await tempDir("reverie-stream-");
    const text = serializeSession(bigSession("ses_00000000000000000000000b", 12 * MiB));
    const file = join(dir, "big.jsonl");
    await writeFile(file, text);
    const memoryDir = join(dir, "memory");
    const result = await importTranscripts({ memoryDir, inputs: [file] });
    expect(result.sessions.map((s) => s.status)).toEqual(["created"]);
    expect((await readFile(result.sessions[0]!.path)).equals(Buffer.from(text))).toBe(true);
    expect(await readdir(join(memoryDir, ".reverie", "sessions"))).toEqual(["ses_00000000000000000000000b.jsonl"]);
  });

  it("a Claude Code session past the memory bound gets its header first, then every event, as loadTranscript reads it", async () => {
    const dir = await tempDir("reverie-stream-");
    const env = { sessionId: "big-1", cwd: "/w", isSidechain: false };
    const lines: string[] = [];
    for (let i = 0; lines.length < 3000; i++) {
      const at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
      lines.push(JSON.stringify({ ...env, type: "assistant", uuid: `a${i}`, timestamp: at, message: { id: `m${i}`, role: "assistant", content: [{ type: "tool_use", id: `t${i}`, name: "Bash", input: { command: "x".repeat(2000) } }] } }));
      lines.push(JSON.stringify({ ...env, type: "user", uuid: `u${i}`, timestamp: at, message: { role: "user", content: [{ type: "tool_result", tool_use_id: `t${i}`, content: "y".repeat(2000) }] } }));
    }
    const file = join(dir, "cc.jsonl");
    await writeFile(file, `${lines.join("\n")}\n`);
    const memoryDir = join(dir, "memory");
    const result = await importTranscripts({ memoryDir, inputs: [file] });
    const { session } = await loadTranscript(file);
    expect((await readFile(result.sessions[0]!.path, "utf8")) === serializeSession(session)).toBe(true);
    expect(await readdir(join(memoryDir, ".reverie", "sessions"))).toEqual([`${session.header.id}.jsonl`]);
  });
});

describe("many files at once", () => {
  const env = { sessionId: "same-1", cwd: "/w", isSidechain: false };
  const cc = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      JSON.stringify({ ...env, type: "user", uuid: `u${i}`, timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), message: { role: "user", content: `hello ${i}` } }),
    ).join("\n") + "\n";

  it("copies of one session in one import are decided in input order, as one by one", async () => {
    const dir = await tempDir("reverie-stream-");
    const inputs = join(dir, "in");
    await mkdir(inputs);
    // Sorted by name: a short copy, other sessions, the grown copy, then the short copy again.
    await writeFile(join(inputs, "a.jsonl"), cc(3));
    for (let i = 0; i < 6; i++) await writeFile(join(inputs, `b${i}.json`), JSON.stringify([{ role: "user", content: `chat ${i}` }]));
    await writeFile(join(inputs, "c.jsonl"), cc(5));
    await writeFile(join(inputs, "d.jsonl"), cc(3));
    const memoryDir = join(dir, "memory");
    const result = await importTranscripts({ memoryDir, inputs: [inputs] });
    expect(result.sessions.map((s) => [s.file.slice(inputs.length + 1), s.status])).toEqual([
      ["a.jsonl", "created"],
      ...Array.from({ length: 6 }, (_, i) => [`b${i}.json`, "created"]),
      ["c.jsonl", "updated"],
      ["d.jsonl", "skipped"],
    ]);
    expect((await readdir(join(memoryDir, ".reverie", "sessions"))).length).toBe(7);
  });

  it("strict mode commits the files before a bad one, none after it, and leaves no temp file", async () => {
    const dir = await tempDir("reverie-stream-");
    const good = (i: number) => JSON.stringify([{ role: "user", content: `chat ${i}` }]);
    const files = [join(dir, "1.json"), join(dir, "2.json"), join(dir, "3.jsonl"), join(dir, "4.json"), join(dir, "5.json")];
    await writeFile(files[0]!, good(1));
    await writeFile(files[1]!, good(2));
    await writeFile(files[2]!, `${cc(2)}{"type":"user",`);
    await writeFile(files[3]!, good(4));
    await writeFile(files[4]!, good(5));
    const memoryDir = join(dir, "memory");
    await expect(importTranscripts({ memoryDir, inputs: files, strict: true })).rejects.toMatchObject({ code: "PARSE_ERROR", data: { file: files[2], line: 3 } });
    const names = await readdir(join(memoryDir, ".reverie", "sessions"));
    expect(names).toHaveLength(2);
    expect(names.every((name) => /^ses_[0-9a-f]{24}\.jsonl$/.test(name))).toBe(true);
  });
});
