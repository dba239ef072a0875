import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SessionEvent } from "../index.js";
import { invalidSessionLine } from "./normalized.js";
import { scanSessionEvent } from "./scan-event.js";

/** What the parsing path concludes of a line: the event it reads, or why it is refused or not copied as is. */
function parsingPath(bytes: Buffer): { event: SessionEvent } | { refused: string } {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    return { refused: "not JSON" };
  }
  const reason = invalidSessionLine(value);
  if (reason !== undefined) return { refused: reason };
  const event = value as SessionEvent;
  if ((event as { type: string }).type === "session") return { refused: "a header" };
  // What the parsing path writes for the event: keys `type`, `turn` first, as JSON.stringify prints them.
  const { type, turn, ...rest } = event;
  if (!Buffer.from(JSON.stringify({ type, turn, ...rest })).equals(bytes)) return { refused: "not printed back as the same bytes" };
  return { event };
}

/** The scanner may only say yes where the parsing path says yes, with the same type and error flag. */
function agrees(line: string | Buffer): void {
  const bytes = typeof line === "string" ? Buffer.from(line) : line;
  const scanned = scanSessionEvent(bytes);
  if (scanned === undefined) return;
  const parsed = parsingPath(bytes);
  expect(parsed, bytes.toString("hex")).toHaveProperty("event");
  const event = (parsed as { event: SessionEvent }).event;
  expect(scanned).toEqual({ type: event.type, isError: event.type === "tool_result" && event.is_error });
}

const text = fc.string({ unit: "binary", maxLength: 30 });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const turn = fc.integer({ min: 1, max: 2 ** 40 });
/** Valid events, keys in the writer's order: what a normalized session mostly holds. */
const event: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ type: fc.constant("message"), turn, role: fc.constantFrom("user", "assistant", "system"), text, at: optional(fc.string()), meta: optional(fc.boolean()), queued: optional(fc.boolean()), sidechain: optional(fc.boolean()) }),
  fc.record({
    type: fc.constant("tool_use"),
    turn,
    id: fc.string(),
    name: fc.string(),
    input: fc.jsonValue({ maxDepth: 4 }),
    memory: optional(fc.record({ command: fc.constantFrom("view", "create", "str_replace", "insert", "delete", "rename"), path: optional(text) })),
  }),
  fc.record({ type: fc.constant("tool_result"), turn, tool_use_id: fc.string(), is_error: fc.boolean(), text }),
  fc.record({ type: fc.constant("summary"), turn, text, kind: fc.constantFrom("summary", "compaction") }),
);
const serialized = event.map((value) => JSON.stringify(value));

/** Small edits that may break JSON, validity or canonical form. */
const mutation = fc.oneof(
  fc.record({ at: fc.nat(), cut: fc.integer({ min: 0, max: 3 }), insert: fc.constantFrom("", " ", ",", ":", '"', "\\", "\\u0041", "\\/", "0", "-", ".5", "e3", "{", "}", "[", "]", "null", "true", '"text":1,', '"turn":2,', '"1":0,', "\u00e9", "\n", "\u0001") }),
);

function mutate(line: string, edits: { at: number; cut: number; insert: string }[]): string {
  let out = line;
  for (const edit of edits) {
    const at = edit.at % (out.length + 1);
    out = out.slice(0, at) + edit.insert + out.slice(at + edit.cut);
  }
  return out;
}

describe("scanSessionEvent", () => {
  it("accepts what the writer prints for a valid event", () => {
    fc.assert(
      fc.property(event, (value) => {
        const line = JSON.stringify(value);
        // A writer's own line takes the parsing path only for \u escapes (control characters, lone
        // surrogates), fractions and exponents, integers past 15 digits and digit-led keys.
        if (!/\\u|[0-9][.eE]|[0-9]{16}|"[0-9](?:[^"\\]|\\.)*":/.test(line)) expect(scanSessionEvent(Buffer.from(line)), line).toBeDefined();
        agrees(line);
      }),
      { numRuns: 2000 },
    );
  });

  it("never accepts a line the parsing path would refuse or rewrite", () => {
    fc.assert(fc.property(serialized, fc.array(mutation, { minLength: 1, maxLength: 3 }), (line, edits) => agrees(mutate(line, edits))), { numRuns: 5000 });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => agrees(JSON.stringify(value))), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 80 }), (line) => agrees(`{"type":"message","turn":1,${line}`)), { numRuns: 2000 });
    // Raw bytes, invalid UTF-8 included, inside a string of an otherwise valid line.
    const around = (inner: Uint8Array) => Buffer.concat([Buffer.from('{"type":"message","turn":1,"role":"user","text":"'), inner, Buffer.from('"}')]);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 12 }), (inner) => agrees(around(inner))), { numRuns: 3000 });
    expect(scanSessionEvent(around(Buffer.from([0xc3, 0x28])))).toBeUndefined();
    expect(scanSessionEvent(around(Buffer.from("é✓", "utf8")))).toEqual({ type: "message", isError: false });
  });

  it.each([
    ['{"type":"message","turn":1,"role":"user","text":"hi"}', { type: "message", isError: false }],
    ['{"type":"tool_result","turn":3,"tool_use_id":"t","is_error":true,"text":"boom"}', { type: "tool_result", isError: true }],
    ['{"type":"tool_use","turn":2,"id":"t","name":"memory","input":{"a":[1,{"b":null}]},"memory":{"command":"view","path":"/m"}}', { type: "tool_use", isError: false }],
    ['{"type":"summary","turn":9,"text":"s","kind":"compaction"}', { type: "summary", isError: false }],
  ])("reads %s", (line, expected) => {
    expect(scanSessionEvent(Buffer.from(line))).toEqual(expected);
  });

  it.each([
    ['{"type":"message","turn":1,"role":"robot","text":"hi"}', "a role that is not one"],
    ['{"type":"message","turn":0,"role":"user","text":"hi"}', "turn 0"],
    ['{"type":"message","turn":1,"role":"user","text":"hi","text":"again"}', "a repeated key"],
    ['{"type":"message","turn":1,"role":"user","text":"hi","turn":2}', "turn again"],
    ['{"type":"message","turn":1,"role":"user","text":"\\u0041"}', "a \\u escape"],
    ['{"type":"message","turn":1,"role":"user","text":"hi"} ', "trailing space"],
    ['{"type":"message","turn":01,"role":"user","text":"hi"}', "a leading zero"],
    ['{"type":"tool_use","turn":1,"id":"t","name":"x"}', "no input"],
    ['{"type":"tool_use","turn":1,"id":"t","name":"x","input":{},"memory":{"command":"drop"}}', "an unknown memory command"],
    ['{"type":"tool_use","turn":1,"id":"t","name":"x","input":{"1":2}}', "a digit-led key"],
    ['{"type":"tool_result","turn":1,"tool_use_id":"t","is_error":1,"text":"x"}', "a numeric is_error"],
    ['{"type":"session","turn":1}', "a header"],
    ['{"turn":1,"type":"message","role":"user","text":"hi"}', "turn first"],
  ])("leaves %s to the parsing path (%s)", (line) => {
    expect(scanSessionEvent(Buffer.from(line))).toBeUndefined();
  });
});
