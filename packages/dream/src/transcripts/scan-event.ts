import { isUtf8 } from "node:buffer";
import { MemoryCommands, MessageRoles, SessionEventTypes, SummaryKinds } from "./types.js";
import type { SessionEvent } from "./types.js";

/** What counting needs of an event that was checked without being parsed. */
export interface ScannedEvent {
  type: SessionEvent["type"];
  /** `is_error` of a tool result (false for other events). */
  isError: boolean;
}

/*
 * A normalized session is mostly lines reverie itself wrote, and parsing each into objects only
 * to check it and copy its bytes is most of an import's CPU. `scanSessionEvent` checks such a
 * line in one pass over its bytes, building nothing. It accepts only a narrow grammar — exactly
 * what JSON.stringify prints for a valid event whose keys start with `type`, `turn` — and answers
 * `undefined` for anything else (whitespace, `\u` or `\/` escapes, fractions, exponents, -0,
 * integers past 15 digits, digit-led or repeated keys, nesting past MAX_DEPTH, invalid UTF-8):
 * those lines take the parsing path, which writes them as JSON.stringify prints the event. What it
 * accepts, JSON.parse accepts too, as an event that invalidSessionLine lets through and that
 * prints back as the very same bytes (property tests check all three).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
/** Integers of up to 15 digits are exact doubles, so they print back as written. */
const MAX_EXACT_DIGITS = 15;
/** Deeper values (rare in tool inputs) take the parsing path rather than a deep recursion. */
const MAX_DEPTH = 64;
/** Objects with more keys take the parsing path: repeated keys are looked for pairwise. */
const MAX_KEYS = 64;
/** Escapes JSON.stringify writes itself; `\u` (and `\/`, which it never writes) go the slow way. */
const CANONICAL_ESCAPES = new Set([0x22, 0x5c, 0x62, 0x66, 0x6e, 0x72, 0x74]);

/** The kind of a scanned value; only strings keep where their text is. */
const enum Kind {
  String,
  Number,
  True,
  False,
  Null,
  Object,
  Array,
}

/** Reads a buffer left to right; `fail` marks the line as one for the parsing path. */
class Scanner {
  at = 0;
  fail = false;
  nonAscii = false;
  /** Where the last string's text started and ended (its quotes excluded). */
  start = 0;
  end = 0;
  /** The `command` string of the last object scanned with `wantCommand`, as [start, end), or -1. */
  commandStart = -1;
  commandEnd = -1;

  constructor(readonly bytes: Buffer) {}

  value(depth: number): Kind {
    const c = this.bytes[this.at];
    if (c === QUOTE) {
      this.string();
      return Kind.String;
    }
    if (c === OPEN_BRACE) {
      this.object(depth + 1, false);
      return Kind.Object;
    }
    if (c === OPEN_BRACKET) {
      this.array(depth + 1);
      return Kind.Array;
    }
    if (c === MINUS || (c !== undefined && c >= ZERO && c <= NINE)) {
      this.number();
      return Kind.Number;
    }
    if (this.literal("true")) return Kind.True;
    if (this.literal("false")) return Kind.False;
    if (this.literal("null")) return Kind.Null;
    this.fail = true;
    return Kind.Null;
  }

  string(): void {
    const bytes = this.bytes;
    if (bytes[this.at] !== QUOTE) {
      this.fail = true;
      return;
    }
    let i = this.at + 1;
    this.start = i;
    for (;;) {
      const c = bytes[i]!;
      // Lowercase letters and everything past `\` first: most of a string.
      if (c > BACKSLASH) {
        if (c >= 0x80) this.nonAscii = true;
        i += 1;
        continue;
      }
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        if (!CANONICAL_ESCAPES.has(bytes[i + 1]!)) {
          this.fail = true;
          return;
        }
        i += 2;
        continue;
      }
      // Past the end (undefined) or a raw control character: not JSON.
      if (!(c >= 0x20)) {
        this.fail = true;
        return;
      }
      i += 1;
    }
    this.end = i;
    this.at = i + 1;
  }

  number(): void {
    const bytes = this.bytes;
    let i = this.at;
    if (bytes[i] === MINUS) i += 1;
    const digits = i;
    while (bytes[i] !== undefined && bytes[i]! >= ZERO && bytes[i]! <= NINE) i += 1;
    const count = i - digits;
    const next = bytes[i];
    // No digits, a leading zero, -0, a fraction, an exponent, or more digits than a double holds exactly.
    if (count === 0 || count > MAX_EXACT_DIGITS || (bytes[digits] === ZERO && (count > 1 || digits > this.at)) || next === 0x2e || next === 0x65 || next === 0x45) {
      this.fail = true;
      return;
    }
    this.at = i;
  }

  literal(word: string): boolean {
    const bytes = this.bytes;
    for (let k = 0; k < word.length; k++) if (bytes[this.at + k] !== word.charCodeAt(k)) return false;
    this.at += word.length;
    return true;
  }

  /** Scans `{…}`; with `wantCommand`, notes where its `command` string is. */
  object(depth: number, wantCommand: boolean): void {
    if (depth > MAX_DEPTH) {
      this.fail = true;
      return;
    }
    const bytes = this.bytes;
    this.at += 1;
    if (bytes[this.at] === CLOSE_BRACE) {
      this.at += 1;
      return;
    }
    const keys: number[] = [];
    for (;;) {
      if (!this.key(keys)) return;
      const isCommand = wantCommand && this.is("command");
      const kind = this.value(depth);
      if (this.fail) return;
      if (isCommand && kind === Kind.String) {
        this.commandStart = this.start;
        this.commandEnd = this.end;
      }
      if (!this.next(CLOSE_BRACE)) return;
      if (bytes[this.at - 1] === CLOSE_BRACE) return;
    }
  }

  array(depth: number): void {
    if (depth > MAX_DEPTH) {
      this.fail = true;
      return;
    }
    this.at += 1;
    if (this.bytes[this.at] === CLOSE_BRACKET) {
      this.at += 1;
      return;
    }
    for (;;) {
      this.value(depth);
      if (this.fail || !this.next(CLOSE_BRACKET)) return;
      if (this.bytes[this.at - 1] === CLOSE_BRACKET) return;
    }
  }

  /**
   * Scans `"key":`, refusing a digit-led key (JSON.parse moves those first) and one already in
   * `keys` (start/end pairs of this object's keys), and leaves the key's text in start/end.
   */
  key(keys: number[]): boolean {
    this.string();
    if (this.fail) return false;
    const bytes = this.bytes;
    const { start, end } = this;
    const first = bytes[start];
    if ((first !== undefined && first >= ZERO && first <= NINE && start < end) || keys.length >= 2 * MAX_KEYS || bytes[this.at] !== COLON) {
      this.fail = true;
      return false;
    }
    for (let k = 0; k < keys.length; k += 2) {
      if (sameText(bytes, keys[k]!, keys[k + 1]!, start, end)) {
        this.fail = true;
        return false;
      }
    }
    keys.push(start, end);
    this.at += 1;
    return true;
  }

  /** After a member or element: `,` (and more follows) or `close` (consumed). False on anything else. */
  next(close: number): boolean {
    const c = this.bytes[this.at];
    if (c === COMMA || c === close) {
      this.at += 1;
      return true;
    }
    this.fail = true;
    return false;
  }

  /** Whether the last string's text is exactly `word` (ASCII). */
  is(word: string): boolean {
    return textIs(this.bytes, this.start, this.end, word);
  }
}

/** Whether bytes [a, aEnd) equal bytes [b, bEnd): keys are short, and a native compare costs more to call. */
function sameText(bytes: Buffer, a: number, aEnd: number, b: number, bEnd: number): boolean {
  if (aEnd - a !== bEnd - b) return false;
  for (let k = 0; a + k < aEnd; k++) if (bytes[a + k] !== bytes[b + k]) return false;
  return true;
}

/** Whether bytes [start, end) are exactly the ASCII `word`. */
function textIs(bytes: Buffer, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (bytes[start + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** Whether bytes [start, end) are one of `words`. */
function textIsOneOf(bytes: Buffer, start: number, end: number, words: readonly string[]): boolean {
  return words.some((word) => textIs(bytes, start, end, word));
}


/** The top-level members an event's validity depends on; every other member may hold anything. */
interface Members {
  role?: { kind: Kind; start: number; end: number };
  kindField?: { kind: Kind; start: number; end: number };
  text?: Kind;
  at?: Kind;
  sidechain?: Kind;
  meta?: Kind;
  queued?: Kind;
  id?: Kind;
  name?: Kind;
  input?: Kind;
  memory?: { kind: Kind; command: boolean };
  toolUseId?: Kind;
  isError?: Kind;
}

/**
 * Checks one line of a normalized session without parsing it: the event's type and error flag
 * when the line is a valid, canonical event line (see above), else `undefined` — the line may
 * still be valid, and is then parsed.
 */
export function scanSessionEvent(bytes: Buffer): ScannedEvent | undefined {
  const s = new Scanner(bytes);
  // `{"type":"<type>","turn":<n>` first, as the writer puts them.
  if (!s.literal('{"type":')) return undefined;
  s.string();
  if (s.fail) return undefined;
  const type = SessionEventTypes.find((t) => s.is(t));
  const typeEnd = s.end;
  if (type === undefined || !s.literal(',"turn":')) return undefined;
  const turnAt = s.at;
  s.number();
  if (s.fail || bytes[turnAt] === MINUS || bytes[turnAt] === ZERO) return undefined;
  // The texts of "type" and "turn" as [start, end) pairs, so that neither comes again.
  const keys = [2, 6, typeEnd + 3, typeEnd + 7];
  const members: Members = {};
  let c = bytes[s.at];
  while (c === COMMA) {
    s.at += 1;
    if (!s.key(keys)) return undefined;
    const name = memberName(bytes, s.start, s.end);
    let kind: Kind;
    if (name === "memory" && bytes[s.at] === OPEN_BRACE) {
      s.object(1, true);
      kind = Kind.Object;
    } else kind = s.value(0);
    if (s.fail) return undefined;
    record(members, name, kind, s);
    c = bytes[s.at];
  }
  if (c !== CLOSE_BRACE || s.at + 1 !== bytes.length) return undefined;
  if (s.nonAscii && !isUtf8(bytes)) return undefined;
  return isValid(type, members, s) ? { type, isError: type === "tool_result" && members.isError === Kind.True } : undefined;
}

const MEMBER_NAMES = ["role", "kind", "text", "at", "sidechain", "meta", "queued", "id", "name", "input", "tool_use_id", "is_error", "memory"] as const;
type MemberName = (typeof MEMBER_NAMES)[number];

/** Which member the key at [start, end) names, if one that validity depends on. */
function memberName(bytes: Buffer, start: number, end: number): MemberName | undefined {
  const length = end - start;
  if (length < 2 || length > 11) return undefined;
  for (const name of MEMBER_NAMES) if (name.length === length && bytes[start] === name.charCodeAt(0) && textIs(bytes, start, end, name)) return name;
  return undefined;
}

/** Notes member `name` (just scanned, of `kind`) if an event's validity depends on it. */
function record(members: Members, name: MemberName | undefined, kind: Kind, s: Scanner): void {
  switch (name) {
    case "role":
      members.role = { kind, start: s.start, end: s.end };
      return;
    case "kind":
      members.kindField = { kind, start: s.start, end: s.end };
      return;
    case "text":
    case "at":
    case "sidechain":
    case "meta":
    case "queued":
    case "id":
    case "name":
    case "input":
      members[name] = kind;
      return;
    case "tool_use_id":
      members.toolUseId = kind;
      return;
    case "is_error":
      members.isError = kind;
      return;
    case "memory":
      members.memory = { kind, command: kind === Kind.Object && s.commandStart !== -1 && textIsOneOf(s.bytes, s.commandStart, s.commandEnd, MemoryCommands) };
      s.commandStart = s.commandEnd = -1;
  }
}

const optionalString = (kind: Kind | undefined) => kind === undefined || kind === Kind.String;
const optionalBoolean = (kind: Kind | undefined) => kind === undefined || kind === Kind.True || kind === Kind.False;

/** The rules of `invalidSessionLine`, for an event line whose members were scanned. */
function isValid(type: ScannedEvent["type"], m: Members, s: Scanner): boolean {
  if (!optionalString(m.at) || !optionalBoolean(m.sidechain)) return false;
  switch (type) {
    case "message":
      return m.role?.kind === Kind.String && textIsOneOf(s.bytes, m.role.start, m.role.end, MessageRoles) && m.text === Kind.String && optionalBoolean(m.meta) && optionalBoolean(m.queued);
    case "tool_use":
      return m.id === Kind.String && m.name === Kind.String && m.input !== undefined && (m.memory === undefined || m.memory.command);
    case "tool_result":
      return m.toolUseId === Kind.String && (m.isError === Kind.True || m.isError === Kind.False) && m.text === Kind.String;
    case "summary":
      return m.text === Kind.String && m.kindField?.kind === Kind.String && textIsOneOf(s.bytes, m.kindField.start, m.kindField.end, SummaryKinds);
  }
}
