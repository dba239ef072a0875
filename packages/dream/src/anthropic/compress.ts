import type { Session, SessionEvent } from "../transcripts/types.js";
import { screenText } from "../offline/injection.js";
import { commandText } from "../offline/signals.js";
import { errorLine } from "../offline/signature.js";
import { extractValues } from "../offline/values.js";

/** Limits of transcript compression, in characters. */
export interface CompressOptions {
  /** A person's message. @default 1200 */
  userChars?: number;
  /** Assistant text (reasoning narration is the first thing to go). @default 240 */
  assistantChars?: number;
  /** A tool call's command or arguments. @default 200 */
  callChars?: number;
  /**
   * A successful tool result, shown on its call's line and only when it states a value the
   * call did not (long output is noise for consolidation). @default 100
   */
  resultChars?: number;
  /** An error result: the error line and what follows. @default 400 */
  errorChars?: number;
  /**
   * Values the memories state (paths, ports, versions…). When given, a file navigation call
   * (Read, Edit, Grep…) is shown only when it touches one of them, fails, or recovers from an
   * error: reading and editing source is what a coding agent does all day, and says nothing
   * about its memories otherwise. @default every call is shown
   */
  memoryValues?: ReadonlySet<string>;
}

/** A session reduced to the lines a consolidator needs, each citing its turn. */
export interface CompressedSession {
  id: string;
  /** Header line then one line per kept event (`#turn …`); a successful result shares its call's line. */
  lines: string[];
  /** The first turn of each line of `lines` after the header (what evidence may cite from this text). */
  turns: number[];
  /** Characters of the full event text, for the compression ratio. */
  rawChars: number;
}

const NOISE_TOOLS = new Set(["TodoWrite", "TodoRead", "ExitPlanMode", "EnterPlanMode"]);
const NAVIGATION_TOOLS = new Set(["Read", "Edit", "MultiEdit", "Write", "NotebookEdit", "Grep", "Glob", "LS"]);
const HARNESS = /^\s*<(?:local-command-[\w-]+|command-(?:name|message|args)|system-reminder|user-prompt-submit-hook)>/;

function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Values a memory could state (a URL, a path, a version, a port, a region-like id), not words or code names. */
function concreteValues(text: string): string[] {
  return extractValues(text)
    .filter((v) => v.kind === "url" || v.kind === "path" || v.kind === "version" || (v.kind === "number" && v.value.length > 1) || (v.kind === "identifier" && /[a-z]-[a-z0-9]+-\d|[a-z]+\d*[.:]\d/.test(v.value)))
    .map((v) => v.value);
}

/** A path's shorter spellings (`dir/a.toml` of `/abs/dir/a.toml`). */
function suffixes(value: string): string[] {
  if (!value.includes("/") || value.includes("://")) return [];
  const parts = value.split("/").filter((p) => p !== "");
  return parts.slice(1).map((_, i) => parts.slice(i + 1).join("/"));
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
 * tool output trimmed, thinking-like and progress noise (todo lists, harness reminders)
 * dropped, a sub-agent's calls kept like the agent's own (its text trimmed like the
 * assistant's), errors kept with the call that recovered from them. Untrusted
 * text that looks like an instruction is labelled as such.
 */
export function compressSession(session: Session, options: CompressOptions = {}): CompressedSession {
  const userChars = options.userChars ?? 1200;
  const assistantChars = options.assistantChars ?? 240;
  const callChars = options.callChars ?? 200;
  const resultChars = options.resultChars ?? 100;
  const errorChars = options.errorChars ?? 400;
  const h = session.header;
  // The id is on the <session> tag that wraps these lines; the header does not repeat it.
  const head = [h.started && `started ${h.started}`, h.agent && `agent ${h.agent}`, h.cwd && `cwd ${h.cwd}`, h.outcome && `outcome ${h.outcome.status}`].filter(Boolean).join(" | ");
  const lines = [head];
  // Paths under the session's cwd are shown relative to it (the header states the cwd).
  const cwd = h.cwd ? `${h.cwd.replace(/\/+$/, "")}/` : undefined;
  const rel = (text: string) => (cwd && cwd.length > 1 ? text.split(cwd).join("") : text);
  const turns: number[] = [];
  const calls = new Map<string, { name: string; line: number; values: Set<string>; hidden?: { turn: number; line: string } }>();
  const known = options.memoryValues;
  let hidden = 0;
  let rawChars = 0;
  let afterError = false;
  let lastLine = "";
  const push = (turn: number, line: string): number => {
    if (line === lastLine) return -1;
    lastLine = line;
    lines.push(line);
    turns.push(turn);
    return lines.length - 1;
  };
  for (const e of session.events) {
    rawChars += eventText(e).length;
    switch (e.type) {
      case "message": {
        if (e.text.trim() === "") break;
        if (e.role === "user" && e.sidechain) {
          // A sub-agent's "user" is the agent that started it, not a person: its task, trimmed like assistant text.
          push(e.turn, `#${e.turn} sub-agent task: ${untrusted(clip(e.text, assistantChars))}`);
        } else if (e.role === "user") {
          if (e.meta || HARNESS.test(e.text)) break;
          push(e.turn, `#${e.turn} user: ${clip(e.text, userChars)}`);
        } else if (e.role === "assistant") {
          push(e.turn, `#${e.turn} assistant: ${untrusted(clip(e.text, assistantChars))}`);
        }
        break;
      }
      case "tool_use": {
        // A sub-agent's calls are shown like the agent's own: it is often the one that ran the commands.
        if (NOISE_TOOLS.has(e.name)) {
          calls.set(e.id, { name: e.name, line: -1, values: new Set() });
          break;
        }
        if (e.memory) {
          const m = e.memory;
          const line = push(e.turn, `#${e.turn} memory ${m.command} ${m.path ?? ""}${m.newPath ? ` → ${m.newPath}` : ""}${m.text ? `: ${untrusted(clip(m.text, callChars))}` : ""}`);
          // A memory command's own result only echoes its path: "ok" is all it adds.
          calls.set(e.id, { name: e.name, line, values: new Set(["*"]) });
          break;
        }
        const cmd = clip(rel(commandText(e.input) || JSON.stringify(e.input)), afterError ? callChars * 2 : callChars);
        const values = concreteValues(cmd);
        if (known && !afterError && NAVIGATION_TOOLS.has(e.name) && !values.some((v) => known.has(v) || suffixes(v).some((x) => known.has(x)))) {
          calls.set(e.id, { name: e.name, line: -1, values: new Set(values), hidden: { turn: e.turn, line: `#${e.turn} ${e.name}: ${untrusted(cmd)}` } });
          hidden++;
          break;
        }
        const line = push(e.turn, `#${e.turn} ${afterError ? "recovery " : ""}${e.name}: ${untrusted(cmd)}`);
        calls.set(e.id, { name: e.name, line, values: new Set(values) });
        afterError = false;
        break;
      }
      case "tool_result": {
        const call = calls.get(e.tool_use_id);
        if (call !== undefined && NOISE_TOOLS.has(call.name)) break;
        if (e.is_error) {
          if (call?.hidden) {
            // A failing call is shown after all, with its error.
            push(call.hidden.turn, call.hidden.line);
            hidden--;
          }
          const first = errorLine(e.text);
          const rest = e.text.replace(/\s+/g, " ").trim();
          // The error line leads; what surrounds it follows once, not repeated.
          const context = rest.replace(first, "").replace(/\s+/g, " ").trim();
          const text = context === "" ? first : `${first} … ${context}`;
          push(e.turn, `#${e.turn} ERROR: ${untrusted(clip(text, errorChars))}`);
          afterError = true;
          break;
        }
        if (call?.hidden) break;
        const first = clip(rel(e.text.split("\n").find((l) => l.trim() !== "") ?? ""), resultChars);
        // Success is what a consolidator needs from most output; the text only when it names a
        // value (a port, a version, a path) that the call itself did not.
        const adds = call?.values.has("*") !== true && concreteValues(first).some((v) => !call?.values.has(v));
        const shown = adds ? `ok: ${untrusted(first)}` : "ok";
        if (call !== undefined && call.line >= 0 && call.line === lines.length - 1) {
          lines[call.line] = lastLine = `${lines[call.line]} → ${shown}`;
        } else {
          push(e.turn, `#${e.turn} ${shown}`);
        }
        break;
      }
      case "summary":
        push(e.turn, `#${e.turn} ${e.kind}: ${clip(e.text, assistantChars)}`);
        break;
    }
  }
  if (hidden > 0) lines[0] = `${lines[0]}${lines[0] === "" ? "" : " | "}${hidden} reads/edits of files no memory mentions not shown`;
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
