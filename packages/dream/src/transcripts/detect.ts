import { open, stat } from "node:fs/promises";
import { ReverieError } from "@reverie/core";
import { messageList } from "./anthropic-messages.js";
import { isRecord, preview } from "./context.js";
import type { TranscriptFormat } from "./types.js";

/** JSON-array formats are read whole; files above this size are refused with a clear error. */
export const DEFAULT_MAX_JSON_BYTES = 256 * 1024 * 1024;

/** How much of a file's start format detection looks at. */
export const HEAD_BYTES = 64 * 1024;

/** What `format: "auto"` tries, in order, and what each one looks like. */
const TRIED = [
  'reverie (normalized JSONL whose first line is {"type":"session","id":"ses_…",…})',
  'claude-code (JSONL lines with "type" plus "sessionId"/"uuid"/"leafUuid")',
  'gemini-cli (one JSON object {"sessionId",…,"messages":[{"type":"user"|"gemini",…}]})',
  'openai (a JSON message array using "tool_calls", role "tool" or role "system")',
  'anthropic (a JSON message array [{"role","content"}] or {"messages":[…]})',
  "claude-code-text (Claude Code terminal export with ● tool calls and ⎿ results)",
];

const CLAUDE_CODE_TYPES = new Set(["user", "assistant", "system", "summary", "progress", "file-history-snapshot", "queue-operation", "pr-link", "attachment"]);

/** A detected format, with the parsed JSON when detection already had to read the file whole. */
export interface Detection {
  format: TranscriptFormat;
  json?: { value: unknown; bytes: Buffer };
}

/**
 * Tells which transcript format a file is in from its first bytes (JSON-array formats are parsed
 * whole, within the size guard).
 * @throws ReverieError INVALID_INPUT when the file matches no format; the message lists what was tried.
 * @example await detectFormat("~/.claude/projects/-work-app/0a03….jsonl") // "claude-code"
 */
export async function detectFormat(file: string, options: { maxJsonBytes?: number } = {}): Promise<TranscriptFormat> {
  return (await detect(file, options)).format;
}

/** {@link detectFormat}, keeping the parsed JSON so the reader does not read the file twice. */
export async function detect(file: string, options: { maxJsonBytes?: number } = {}): Promise<Detection> {
  return detectHead(file, await readHead(file), options);
}

/**
 * {@link detect} over the file's first bytes, already read (only the first {@link HEAD_BYTES}
 * are looked at, as `detect` reads them).
 */
export async function detectHead(file: string, bytes: Buffer, options: { maxJsonBytes?: number } = {}): Promise<Detection> {
  // A multi-byte character cut at the end of the sample decodes to U+FFFD, which is harmless here.
  const head = bytes.subarray(0, HEAD_BYTES).toString("utf8").replace(/^\uFEFF/, "");
  const trimmed = head.trimStart();
  const first = trimmed[0];
  if (first === "{" || first === "[") {
    const newline = trimmed.indexOf("\n");
    const firstLine = newline === -1 ? trimmed : trimmed.slice(0, newline);
    const value = tryParse(firstLine);
    if (isRecord(value) && value.messages === undefined) {
      const format = jsonlFormat(value);
      if (format !== undefined) return { format };
    } else if (value === undefined && newline === -1) {
      // A first line longer than the sample (multi-MB images): judge by its opening keys.
      if (/^\{"type":"session","id":"ses_/.test(trimmed)) return { format: "reverie" };
      if (/"type":"[a-z-]+"/.test(trimmed) && /"(?:sessionId|parentUuid|leafUuid)":/.test(trimmed)) return { format: "claude-code" };
    }
    if (value === undefined || newline === -1 || trimmed.slice(newline + 1).trim() === "" || first === "[") {
      const json = await readJson(file, options.maxJsonBytes, false);
      const format = json === undefined ? undefined : jsonFormat(json.value);
      if (format !== undefined && json !== undefined) return { format, json };
    }
  } else if (/Claude Code v\d/.test(head) || (/^● /m.test(head) && /^ {2}⎿ /m.test(head))) {
    return { format: "claude-code-text" };
  }
  throw new ReverieError(
    "INVALID_INPUT",
    `Cannot tell the transcript format of ${file}. Tried: ${TRIED.join("; ")}. It starts with ${preview(trimmed.slice(0, 200), 80)}. Pass the format explicitly if you know it.`,
    { file, tried: ["reverie", "claude-code", "gemini-cli", "openai", "anthropic", "claude-code-text"] },
  );
}

function jsonlFormat(value: Record<string, unknown>): TranscriptFormat | undefined {
  if (value.type === "session" && isRecord(value.source) && typeof value.id === "string") return "reverie";
  if (typeof value.type === "string" && CLAUDE_CODE_TYPES.has(value.type) && ("sessionId" in value || "uuid" in value || "leafUuid" in value || "messageId" in value)) {
    return "claude-code";
  }
  return undefined;
}

function jsonFormat(value: unknown): TranscriptFormat | undefined {
  if (isRecord(value) && Array.isArray(value.messages) && ("sessionId" in value || "projectHash" in value || "startTime" in value)) {
    if (value.messages.every((m) => isRecord(m) && typeof m.type === "string")) return "gemini-cli";
  }
  const messages = messageList(value);
  if (messages === undefined || !messages.every((m) => isRecord(m) && typeof m.role === "string")) return undefined;
  const list = messages as Record<string, unknown>[];
  const openai = list.some(
    (m) =>
      m.role === "tool" ||
      m.role === "system" ||
      m.role === "developer" ||
      m.role === "function" ||
      m.tool_calls !== undefined ||
      m.function_call !== undefined ||
      (Array.isArray(m.content) && m.content.some((part) => isRecord(part) && (part.type === "image_url" || part.type === "input_text"))),
  );
  if (openai) return "openai";
  if (list.every((m) => m.role === "user" || m.role === "assistant")) return "anthropic";
  return undefined;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function readHead(file: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    throw notFound(file, error);
  }
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A missing transcript as NOT_FOUND; any other error of opening it as it is. */
export function notFound(file: string, error: unknown): unknown {
  if ((error as NodeJS.ErrnoException).code === "ENOENT") return new ReverieError("NOT_FOUND", `No transcript file at ${file}`, { file }, { cause: error });
  return error;
}

/**
 * Reads and parses a JSON transcript whole, refusing files above `maxJsonBytes`.
 * @throws ReverieError INVALID_INPUT over the size limit; PARSE_ERROR (when `required`) for invalid JSON.
 */
export async function readJson(file: string, maxJsonBytes = DEFAULT_MAX_JSON_BYTES, required = true): Promise<{ value: unknown; bytes: Buffer } | undefined> {
  const { size } = await stat(file);
  if (size > maxJsonBytes) {
    throw new ReverieError(
      "INVALID_INPUT",
      `${file} is ${size} bytes, over the ${maxJsonBytes}-byte limit for JSON transcripts (they are read whole). Convert it to JSONL (one message per line) or raise maxJsonBytes.`,
      { file, size, maxJsonBytes },
    );
  }
  const handle = await open(file, "r");
  let bytes: Buffer;
  try {
    bytes = await handle.readFile();
  } finally {
    await handle.close();
  }
  try {
    return { value: JSON.parse(bytes.toString("utf8").replace(/^\uFEFF/, "")) as unknown, bytes };
  } catch (error) {
    if (!required) return undefined;
    const reason = `invalid JSON (${(error as Error).message})`;
    throw new ReverieError("PARSE_ERROR", `${file}: ${reason}; a JSON transcript must parse as a whole`, { file, line: lineOf(bytes, error as Error), reason });
  }
}

/** The 1-based line of a JSON.parse error position, when the message gives one. */
function lineOf(bytes: Buffer, error: Error): number {
  const position = /position (\d+)/.exec(error.message)?.[1];
  if (position === undefined) return 1;
  const text = bytes.toString("utf8").slice(0, Number(position));
  return text.split("\n").length;
}
