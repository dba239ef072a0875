import { isUtf8 } from "node:buffer";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { ReverieError } from "@reverie/core";
import { isRecord, parseJsonLine } from "./context.js";
import type { BadLine, DraftEvent, TranscriptParser } from "./context.js";
import { readLines } from "./line-reader.js";
import type { RawLine } from "./line-reader.js";
import { scanSessionEvent } from "./scan-event.js";
import { MemoryCommands, MessageRoles, SummaryKinds, TranscriptFormats } from "./types.js";
import type { Session, SessionEvent, SessionHeader, SessionLine } from "./types.js";

/** Where imported sessions live inside a memory folder (DESIGN §2). */
export function sessionsDir(memoryDir: string): string {
  return join(memoryDir, ".reverie", "sessions");
}

/** Session ids are `ses_` + letters, digits, `_` or `-`; anything else could escape the sessions folder. */
const SESSION_ID = /^ses_[A-Za-z0-9_-]+$/;

/** True for a well-formed `ses_…` id. */
export function isSessionId(value: string): boolean {
  return SESSION_ID.test(value);
}

/** One line of a normalized session file (no trailing newline). */
export function serializeSessionLine(line: SessionLine): string {
  return JSON.stringify(line);
}

/** A whole session as normalized JSONL text: the header line, then one line per event, each ending in `\n`. */
export function serializeSession(session: Session): string {
  return [session.header, ...session.events].map((line) => `${serializeSessionLine(line)}\n`).join("");
}

const ROLES = new Set<string>(MessageRoles);
const MEMORY_COMMANDS = new Set<string>(MemoryCommands);
const KINDS = new Set<string>(SummaryKinds);
const optional = (value: unknown, type: "string" | "boolean") => value === undefined || typeof value === type;

/** Why a parsed value is not a valid session line, or `undefined` when it is one. */
export function invalidSessionLine(value: unknown): string | undefined {
  if (!isRecord(value)) return "not a JSON object";
  switch (value.type) {
    case "session": {
      const source = value.source;
      if (typeof value.id !== "string" || !SESSION_ID.test(value.id)) return 'header "id" must be a ses_… id';
      if (!isRecord(source) || typeof source.path !== "string" || typeof source.sha256 !== "string") return 'header needs "source": {format, path, sha256}';
      if (!TranscriptFormats.includes(source.format as never)) return `header source.format must be one of ${TranscriptFormats.join(", ")}`;
      for (const key of ["agent", "started", "ended", "cwd", "title", "model"] as const) if (!optional(value[key], "string")) return `header "${key}" must be a string`;
      if (value.outcome !== undefined && (!isRecord(value.outcome) || !["success", "failure", "unknown"].includes(value.outcome.status as string))) {
        return 'header "outcome.status" must be success, failure or unknown';
      }
      return undefined;
    }
    case "message":
    case "tool_use":
    case "tool_result":
    case "summary":
      break;
    default:
      return `unknown line type ${JSON.stringify(value.type)}; expected session, message, tool_use, tool_result or summary`;
  }
  if (typeof value.turn !== "number" || !Number.isInteger(value.turn) || value.turn < 1) return `"turn" must be a positive integer`;
  if (!optional(value.at, "string")) return '"at" must be a string';
  if (!optional(value.sidechain, "boolean")) return '"sidechain" must be a boolean';
  switch (value.type) {
    case "message":
      if (!ROLES.has(value.role as string)) return '"role" must be user, assistant or system';
      if (typeof value.text !== "string") return 'message "text" must be a string';
      if (!optional(value.meta, "boolean") || !optional(value.queued, "boolean")) return '"meta" and "queued" must be booleans';
      return undefined;
    case "tool_use":
      if (typeof value.id !== "string" || typeof value.name !== "string") return 'tool_use needs string "id" and "name"';
      if (!("input" in value)) return 'tool_use needs "input"';
      if (value.memory !== undefined && (!isRecord(value.memory) || !MEMORY_COMMANDS.has(value.memory.command as string))) return '"memory.command" is not a memory-tool command';
      return undefined;
    case "tool_result":
      if (typeof value.tool_use_id !== "string" || typeof value.is_error !== "boolean" || typeof value.text !== "string") {
        return 'tool_result needs "tool_use_id" (string), "is_error" (boolean) and "text" (string)';
      }
      return undefined;
    default:
      if (typeof value.text !== "string" || !KINDS.has(value.kind as string)) return 'summary needs "text" and "kind": summary|compaction';
      return undefined;
  }
}

/**
 * Parses one line of a normalized session file.
 * @throws ReverieError PARSE_ERROR when the line is not JSON or not a valid session line.
 */
export function parseSessionLine(text: string): SessionLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ReverieError("PARSE_ERROR", `Not a session line: ${(error as Error).message}`, { reason: (error as Error).message });
  }
  const reason = invalidSessionLine(value);
  if (reason !== undefined) throw new ReverieError("PARSE_ERROR", `Not a session line: ${reason}`, { reason });
  return value as SessionLine;
}

/**
 * Reads the normalized format itself (a file this package wrote, or one moved between
 * machines). The header is kept as it is — id, source and turns included — so a session
 * round-trips byte for byte through import.
 */
export const normalizedParser: TranscriptParser = {
  kind: "lines",
  create(ctx) {
    let seenHeader = false;
    /** Takes one parsed value of line `raw`. */
    const take = (value: unknown, raw: RawLine): Promise<void> | undefined => {
      const reason = invalidSessionLine(value);
      if (reason !== undefined) {
        ctx.bad(raw.line, reason);
        return undefined;
      }
      const line = value as SessionLine;
      if (line.type === "session") {
        if (seenHeader) ctx.bad(raw.line, "a second session header; a file holds one session");
        else ctx.info.header = line;
        seenHeader = true;
        return undefined;
      }
      if (!seenHeader) {
        ctx.bad(raw.line, "an event before the session header; the first line must be the header");
        return undefined;
      }
      const { turn, ...draft } = line;
      return ctx.emit(draft as DraftEvent, turn);
    };
    return {
      line(raw) {
        // Most lines of a normalized file are canonical event lines: checked in one pass, never parsed.
        if (seenHeader && ctx.takesLines && raw.bytes !== undefined) {
          const scanned = scanSessionEvent(raw.bytes);
          if (scanned !== undefined) {
            ctx.countLine();
            return ctx.emitLine(raw.bytes, scanned);
          }
        }
        const values = parseJsonLine(raw, ctx);
        if (values.length === 1) return take(values[0], raw);
        if (values.length === 0) return undefined;
        return (async () => {
          for (const value of values) await take(value, raw);
        })();
      },
      async end() {
        if (!seenHeader) ctx.bad(1, "no session header line");
      },
    };
  },
};

/**
 * Loads a normalized session file whole (header then events).
 * @throws ReverieError NOT_FOUND when the file does not exist, PARSE_ERROR (with `file` and
 * `line`) when a line is not a valid session line.
 */
export async function loadSessionFile(path: string): Promise<Session> {
  let header: SessionHeader | undefined;
  const events: SessionEvent[] = [];
  const source = readLines(path);
  try {
    for await (const raw of source.lines) {
      if (raw.text.trim() === "") continue;
      let line: SessionLine;
      try {
        line = parseSessionLine(raw.text);
      } catch (error) {
        const reason = (error as ReverieError).data?.reason ?? String(error);
        throw new ReverieError("PARSE_ERROR", `${path}:${raw.line}: ${String(reason)}`, { file: path, line: raw.line, reason });
      }
      if (line.type === "session") {
        if (header !== undefined) throw new ReverieError("PARSE_ERROR", `${path}:${raw.line}: a second session header`, { file: path, line: raw.line, reason: "second header" });
        header = line;
      } else if (header === undefined) {
        throw new ReverieError("PARSE_ERROR", `${path}:${raw.line}: the first line must be the session header`, { file: path, line: raw.line, reason: "event before header" });
      } else events.push(line);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new ReverieError("NOT_FOUND", `No session file at ${path}`, { path }, { cause: error });
    throw error;
  }
  if (header === undefined) throw new ReverieError("PARSE_ERROR", `${path}: empty session file (no header line)`, { file: path, line: 1, reason: "no header" });
  return { header, events };
}

/** A header is one short line: no need for a full-size read buffer. */
const HEADER_READ_BYTES = 1 << 16;

/**
 * Reads the header (first line) of a normalized session file without reading the rest.
 * @throws ReverieError PARSE_ERROR when the first line is not a session header.
 */
export async function readSessionHeader(path: string): Promise<SessionHeader> {
  const source = readLines(path, undefined, HEADER_READ_BYTES);
  for await (const raw of source.lines) {
    if (raw.text.trim() === "") continue;
    const line = parseSessionLine(raw.text);
    if (line.type !== "session") break;
    return line;
  }
  throw new ReverieError("PARSE_ERROR", `${path}:1: the first line must be the session header`, { file: path, line: 1, reason: "no header" });
}

/**
 * Reads one imported session of a memory folder by id.
 * @throws ReverieError INVALID_INPUT for a malformed id, NOT_FOUND when no such session was imported.
 * @example const session = await readSession("./memory", "ses_3f9c0a…");
 */
export async function readSession(memoryDir: string, id: string): Promise<Session> {
  if (!SESSION_ID.test(id)) throw new ReverieError("INVALID_INPUT", `Not a session id: ${JSON.stringify(id)}; expected ses_ followed by letters/digits, e.g. ses_3f9c0a1b2c3d`, { id });
  try {
    return await loadSessionFile(join(sessionsDir(memoryDir), `${id}.jsonl`));
  } catch (error) {
    if ((error as ReverieError).code === "NOT_FOUND") throw new ReverieError("NOT_FOUND", `No session ${id} in ${memoryDir}; import it first (reverie import <file>)`, { id, memoryDir });
    throw error;
  }
}

/** The headers of all imported sessions, sorted by id, plus any session file whose header could not be read. */
export interface SessionListing {
  sessions: SessionHeader[];
  problems: BadLine[];
}

/** Lists the sessions imported into a memory folder (headers only; events are not read). */
export async function listSessions(memoryDir: string): Promise<SessionListing> {
  const dir = sessionsDir(memoryDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { sessions: [], problems: [] };
    throw error;
  }
  const listing: SessionListing = { sessions: [], problems: [] };
  for (const name of names.filter((n) => n.endsWith(".jsonl")).sort()) {
    const file = join(dir, name);
    try {
      listing.sessions.push(await readSessionHeader(file));
    } catch (error) {
      listing.problems.push({ file, line: 1, reason: (error as Error).message });
    }
  }
  return listing;
}
