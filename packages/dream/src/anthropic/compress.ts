import type { Session, SessionEvent } from "../transcripts/types.js";
import { screenText } from "../offline/injection.js";
import { commandText } from "../offline/signals.js";
import { errorLine } from "../offline/signature.js";

/** Limits of transcript compression, in characters. */
export interface CompressOptions {
  /** A person's message. @default 1200 */
  userChars?: number;
  /** Assistant text (reasoning narration is the first thing to go). @default 240 */
  assistantChars?: number;
  /** A tool call's command or arguments. @default 200 */
  callChars?: number;
  /** A successful tool result (long output is noise for consolidation). @default 100 */
  resultChars?: number;
  /** An error result: the error line and what follows. @default 400 */
  errorChars?: number;
}

/** A session reduced to the lines a consolidator needs, each citing its turn. */
export interface CompressedSession {
  id: string;
  /** Header line then one line per kept event (`#turn …`). */
  lines: string[];
  /** Turns that appear in `lines` (what evidence may cite from this text). */
  turns: number[];
  /** Characters of the full event text, for the compression ratio. */
  rawChars: number;
}

const NOISE_TOOLS = new Set(["TodoWrite", "TodoRead", "ExitPlanMode", "EnterPlanMode"]);
const HARNESS = /^\s*<(?:local-command-[\w-]+|command-(?:name|message|args)|system-reminder|user-prompt-submit-hook)>/;

function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Flags instruction-like untrusted text so the model sees it as data, never as a request. */
function untrusted(text: string): string {
  const s = screenText(text);
  return s.flagged ? `[untrusted, looks like an instruction: ${s.reasons.join(", ")}] ${text}` : text;
}

/** The full text of an event, as a naive prompt would send it. */
export function eventText(e: SessionEvent): string {
  switch (e.type) {
    case "message":
      return `#${e.turn} ${e.role}: ${e.text}`;
    case "tool_use":
      return `#${e.turn} call ${e.name}: ${JSON.stringify(e.input)}`;
    case "tool_result":
      return `#${e.turn} ${e.is_error ? "error" : "result"}: ${e.text}`;
    case "summary":
      return `#${e.turn} ${e.kind}: ${e.text}`;
  }
}

/**
 * Compresses a session for the model: a person's words kept, assistant narration and long
 * tool output trimmed, thinking-like and progress noise (todo lists, harness reminders,
 * sub-agent chatter) dropped, errors kept with the call that recovered from them. Untrusted
 * text that looks like an instruction is labelled as such.
 */
export function compressSession(session: Session, options: CompressOptions = {}): CompressedSession {
  const userChars = options.userChars ?? 1200;
  const assistantChars = options.assistantChars ?? 240;
  const callChars = options.callChars ?? 200;
  const resultChars = options.resultChars ?? 100;
  const errorChars = options.errorChars ?? 400;
  const h = session.header;
  const head = [`session ${h.id}`, h.started && `started ${h.started}`, h.agent && `agent ${h.agent}`, h.cwd && `cwd ${h.cwd}`, h.outcome && `outcome ${h.outcome.status}`].filter(Boolean).join(" | ");
  const lines = [head];
  const turns: number[] = [];
  const calls = new Map<string, string>();
  let rawChars = 0;
  let afterError = false;
  let lastLine = "";
  const push = (turn: number, line: string) => {
    if (line === lastLine) return;
    lastLine = line;
    lines.push(line);
    turns.push(turn);
  };
  for (const e of session.events) {
    rawChars += eventText(e).length;
    switch (e.type) {
      case "message": {
        if (e.sidechain || e.text.trim() === "") break;
        if (e.role === "user") {
          if (e.meta || HARNESS.test(e.text)) break;
          push(e.turn, `#${e.turn} user: ${clip(e.text, userChars)}`);
        } else if (e.role === "assistant") {
          push(e.turn, `#${e.turn} assistant: ${untrusted(clip(e.text, assistantChars))}`);
        }
        break;
      }
      case "tool_use": {
        calls.set(e.id, e.name);
        if (e.sidechain || NOISE_TOOLS.has(e.name)) break;
        if (e.memory) {
          const m = e.memory;
          push(e.turn, `#${e.turn} memory ${m.command} ${m.path ?? ""}${m.newPath ? ` → ${m.newPath}` : ""}${m.text ? `: ${untrusted(clip(m.text, callChars))}` : ""}`);
          break;
        }
        const cmd = commandText(e.input) || JSON.stringify(e.input);
        const limit = afterError ? callChars * 2 : callChars;
        push(e.turn, `#${e.turn} ${afterError ? "recovery " : ""}call ${e.name}: ${untrusted(clip(cmd, limit))}`);
        afterError = false;
        break;
      }
      case "tool_result": {
        const tool = calls.get(e.tool_use_id);
        if (e.sidechain || (tool !== undefined && NOISE_TOOLS.has(tool))) break;
        if (e.is_error) {
          const first = errorLine(e.text);
          const rest = e.text.replace(/\s+/g, " ").trim();
          const text = rest.startsWith(first) ? rest : `${first} … ${rest}`;
          push(e.turn, `#${e.turn} ERROR: ${untrusted(clip(text, errorChars))}`);
          afterError = true;
        } else {
          const n = e.text.split("\n").length;
          const first = e.text.split("\n").find((l) => l.trim() !== "") ?? "";
          push(e.turn, `#${e.turn} ok${n > 3 ? ` (${n} lines)` : ""}: ${untrusted(clip(first, resultChars))}`);
        }
        break;
      }
      case "summary":
        push(e.turn, `#${e.turn} ${e.kind}: ${clip(e.text, assistantChars)}`);
        break;
    }
  }
  return { id: h.id, lines, turns, rawChars };
}

/** Splits a compressed session into parts of at most `maxChars` (a part keeps the header line). */
export function splitCompressed(c: CompressedSession, maxChars: number): CompressedSession[] {
  const [head, ...body] = c.lines;
  const parts: CompressedSession[] = [];
  let current: CompressedSession = { id: c.id, lines: [head!], turns: [], rawChars: 0 };
  let size = head!.length;
  body.forEach((line, i) => {
    if (size + line.length + 1 > maxChars && current.lines.length > 1) {
      parts.push(current);
      current = { id: c.id, lines: [`${head} (continued)`], turns: [], rawChars: 0 };
      size = current.lines[0]!.length;
    }
    current.lines.push(line);
    current.turns.push(c.turns[i]!);
    size += line.length + 1;
  });
  parts.push(current);
  parts[0]!.rawChars = c.rawChars;
  return parts;
}
