import { join } from "node:path";
import { isReverieError, redactSecretsInTexts } from "@reverie/core";
import { readSession, sessionsDir } from "../transcripts/normalized.js";
import type { Session, SessionEvent, ToolResultEvent, ToolUseEvent } from "../transcripts/types.js";
import type { DreamRecord } from "./record.js";

/** One line of a quoted turn: who said or did it, and the text, trimmed to what matters. */
export interface QuoteLine {
  /** `user`, `assistant`, `system` or `summary` for text; `ran` for a command; `error` or `output` for what it returned. */
  label: "user" | "assistant" | "system" | "summary" | "ran" | "error" | "output";
  text: string;
}

/** A cited turn as a reviewer reads it: where it is, when it happened, and its text. */
export interface QuotedTurn {
  session: string;
  turn: number;
  /** When the turn happened, else when its session started, if the transcript says. */
  at: string | null;
  /** The transcript the session was imported from, and the copy reverie keeps. */
  source: string | null;
  stored: string;
  lines: QuoteLine[];
  /** Why the turn could not be quoted (session or turn gone); `lines` is then empty. */
  missing?: string;
}

/** Longest quote of one message, and of one line of command output, in characters. */
const MESSAGE_CHARS = 320;
const OUTPUT_LINE_CHARS = 200;
const OUTPUT_LINES = 3;
const FAILURE = /error|fail|cannot|can't|not found|denied|refused|exception|invalid|missing|not set/i;

/**
 * The cited turns of every operation of `record`, quoted from the sessions stored in the memory
 * (`.reverie/sessions/*.jsonl`), aligned with `record.operations`. A user or assistant turn is
 * the sentence that matters (the one sharing most words with the operation's reason); a command
 * is the command and the first lines of its error or output; a tool result is the command that
 * produced it and those lines. Credentials are redacted as the dream's inputs were.
 */
export async function quoteEvidence(memoryDir: string, record: DreamRecord): Promise<QuotedTurn[][]> {
  const sessions = new Map<string, Session | string>();
  const load = async (id: string): Promise<Session | string> => {
    if (!sessions.has(id)) {
      sessions.set(
        id,
        await readSession(memoryDir, id).catch((error: unknown) => {
          if (isReverieError(error)) return error.message;
          throw error;
        }),
      );
    }
    return sessions.get(id)!;
  };
  const quoted: QuotedTurn[][] = [];
  for (const op of record.operations) {
    const quotes: QuotedTurn[] = [];
    for (const e of op.evidence) {
      const session = await load(e.session);
      const stored = join(sessionsDir(memoryDir), `${e.session}.jsonl`);
      if (typeof session === "string") {
        quotes.push({ session: e.session, turn: e.turn, at: e.at ?? null, source: null, stored, lines: [], missing: session });
        continue;
      }
      const event = session.events.find((ev) => ev.turn === e.turn);
      const base = { session: e.session, turn: e.turn, at: event?.at ?? e.at ?? session.header.started ?? null, source: session.header.source?.path ?? null, stored };
      if (!event) quotes.push({ ...base, lines: [], missing: `Session ${e.session} has no turn ${e.turn} (it has ${session.events.length}).` });
      else quotes.push({ ...base, lines: quoteTurn(session, event, `${op.reason} ${e.note ?? ""}`) });
    }
    quoted.push(quotes);
  }
  return redact(quoted);
}

function quoteTurn(session: Session, event: SessionEvent, about: string): QuoteLine[] {
  switch (event.type) {
    case "message":
      return [{ label: event.role, text: sentenceAbout(event.text, about) }];
    case "summary":
      return [{ label: "summary", text: sentenceAbout(event.text, about) }];
    case "tool_use": {
      const result = session.events.find((ev): ev is ToolResultEvent => ev.type === "tool_result" && ev.tool_use_id === event.id);
      return [{ label: "ran", text: commandOf(event) }, ...(result ? [resultLine(result)] : [])];
    }
    case "tool_result": {
      const call = session.events.find((ev): ev is ToolUseEvent => ev.type === "tool_use" && ev.id === event.tool_use_id && ev.turn < event.turn);
      return [...(call ? [{ label: "ran" as const, text: commandOf(call) }] : []), resultLine(event)];
    }
  }
}

/** A tool call as one line: a shell command as typed, a file tool by its file, anything else by its name and input. */
function commandOf(call: ToolUseEvent): string {
  const input = (call.input ?? {}) as Record<string, unknown>;
  if (typeof input.command === "string") return clip(input.command, OUTPUT_LINE_CHARS);
  const file = input.file_path ?? input.path ?? input.url;
  if (typeof file === "string") return `${call.name} ${file}`;
  return clip(`${call.name} ${JSON.stringify(call.input)}`, OUTPUT_LINE_CHARS);
}

/** An error from its first line that names the failure; an output from its first lines. */
function resultLine(result: ToolResultEvent): QuoteLine {
  const lines = result.text.split("\n").map((l) => l.trimEnd()).filter((l) => l.trim() !== "");
  const from = result.is_error ? Math.max(0, lines.findIndex((l) => FAILURE.test(l))) : 0;
  const kept = lines.slice(from, from + OUTPUT_LINES).map((l) => clip(l, OUTPUT_LINE_CHARS));
  const more = lines.length > from + OUTPUT_LINES ? "\n…" : "";
  return { label: result.is_error ? "error" : "output", text: `${from > 0 ? "…\n" : ""}${kept.join("\n")}${more}` || "(no output)" };
}

/** The whole text when short; else the sentence sharing most words with `about`, marked `…` where cut. */
function sentenceAbout(text: string, about: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= MESSAGE_CHARS) return flat;
  const sentences = flat.split(/(?<=[.!?])\s+/);
  const words = new Set(wordsOf(about));
  let best = 0;
  let bestScore = -1;
  sentences.forEach((s, i) => {
    const score = wordsOf(s).filter((w) => words.has(w)).length;
    if (score > bestScore) [best, bestScore] = [i, score];
  });
  const quote = clip(sentences[best]!, MESSAGE_CHARS);
  return `${best > 0 ? "… " : ""}${quote}${best < sentences.length - 1 && !quote.endsWith("…") ? " …" : ""}`;
}

function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9_.-]{3,}|\d+/g) ?? [];
}

/**
 * Text fit for a terminal and a page: colour codes (common in command output) dropped, any
 * other control character shown as `\xNN`, so a transcript cannot drive the reviewer's terminal.
 */
function printable(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, "").replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Every quoted text with its credentials replaced by `<redacted:kind>`, in one scan. */
async function redact(quoted: QuotedTurn[][]): Promise<QuotedTurn[][]> {
  const lines = quoted.flatMap((quotes) => quotes.flatMap((q) => q.lines));
  const { texts } = await redactSecretsInTexts(lines.map((l) => l.text));
  lines.forEach((line, i) => (line.text = printable(texts[i]!)));
  return quoted;
}
