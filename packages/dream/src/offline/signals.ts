import type { MessageEvent, Session, ToolResultEvent, ToolUseEvent } from "../transcripts/types.js";

/** One tool call and what came back. */
export interface ToolCall {
  session: string;
  use: ToolUseEvent;
  result: ToolResultEvent | undefined;
  /** The call's main text: a shell command, else its string arguments joined. */
  command: string;
  /** A result came back and it was not an error. */
  ok: boolean;
  /** Milliseconds of the call, NaN when unknown. */
  at: number;
}

/** A person's message (not harness-injected, not a sub-agent's). */
export interface UserMessage {
  session: string;
  event: MessageEvent;
  at: number;
}

/** What the offline passes read from one session, extracted once. */
export interface SessionSignals {
  id: string;
  /** Index of the session in dream order. */
  rank: number;
  started: number;
  /** Working directory the agent ran in, when the transcript says. */
  cwd: string | undefined;
  /** The session's last turn, to place a call early or late in it. */
  lastTurn: number;
  calls: ToolCall[];
  userMessages: UserMessage[];
}

const COMMAND_KEYS = ["command", "cmd", "script", "file_path", "path", "url", "query", "pattern", "args"];

/** The text of a tool input a claim can be checked against. */
export function commandText(input: unknown): string {
  if (typeof input === "string") return input;
  if (typeof input !== "object" || input === null) return "";
  const record = input as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of COMMAND_KEYS) {
    const v = record[key];
    if (typeof v === "string") parts.push(v);
    else if (Array.isArray(v)) parts.push(v.filter((x) => typeof x === "string").join(" "));
  }
  return parts.join(" ");
}

/*
 * Tool names (lowercase) by what they do, across the agents reverie imports: one list, so every
 * pass agrees on what reads, what changes a file and what only searches.
 */
const READ_TOOLS = new Set(["read", "view", "read_file", "read_many_files"]);
const EDIT_TOOLS = new Set(["edit", "multiedit", "write", "update", "create", "notebookedit", "str_replace_based_edit_tool", "apply_patch", "replace", "write_file", "edit_file"]);
const SEARCH_TOOLS = new Set(["grep", "glob", "search", "ls", "list", "list_directory", "glob_files", "search_file_content"]);

/** A tool that opens a file to read it. */
export const isReadTool = (name: string) => READ_TOOLS.has(name.toLowerCase());
/** A tool that changes a file's content. */
export const isEditTool = (name: string) => EDIT_TOOLS.has(name.toLowerCase());
/** A tool that looks for files or text without opening one. */
export const isSearchTool = (name: string) => SEARCH_TOOLS.has(name.toLowerCase());

/** Input keys that name the file or folder a file tool acts on, in the order agents use them. */
const TARGET_KEYS = ["file_path", "path", "notebook_path", "absolute_path", "args", "command"];

/** The file or folder a tool call names as its target (a Read's path, an Edit's file), trimmed. */
export function targetOf(call: ToolCall): string | undefined {
  const input = call.use.input;
  if (typeof input !== "object" || input === null) return undefined;
  const record = input as Record<string, unknown>;
  for (const key of TARGET_KEYS) {
    const v = record[key];
    if (typeof v === "string" && v.trim() !== "") return v.trim();
  }
  return undefined;
}

/** The project a session worked in: the last folder of its cwd (clones of one repository share it). */
export function projectOf(signals: SessionSignals): string {
  const cwd = signals.cwd?.replace(/[\\/]+$/, "");
  const name = cwd === undefined || cwd === "" ? "" : cwd.split(/[\\/]/).pop()!;
  return name === "" || name === "~" ? "project" : name;
}

function timeOf(at: string | undefined, fallback: number): number {
  const t = at === undefined ? Number.NaN : Date.parse(at);
  return Number.isNaN(t) ? fallback : t;
}

/** Extracts tool calls (paired with their results) and user messages from sessions in dream order. */
export function sessionSignals(sessions: readonly Session[]): SessionSignals[] {
  return sessions.map((session, rank) => {
    const id = session.header.id;
    const started = timeOf(session.header.started, Number.NaN);
    const results = new Map<string, ToolResultEvent>();
    for (const e of session.events) if (e.type === "tool_result" && !results.has(e.tool_use_id)) results.set(e.tool_use_id, e);
    const calls: ToolCall[] = [];
    const userMessages: UserMessage[] = [];
    for (const e of session.events) {
      if (e.type === "tool_use") {
        if (e.memory) continue;
        const result = results.get(e.id);
        calls.push({ session: id, use: e, result, command: commandText(e.input), ok: result !== undefined && !result.is_error, at: timeOf(e.at, started) });
      } else if (e.type === "message" && e.role === "user" && !e.meta && !e.sidechain) {
        userMessages.push({ session: id, event: e, at: timeOf(e.at, started) });
      }
    }
    calls.sort((a, b) => a.use.turn - b.use.turn);
    userMessages.sort((a, b) => a.event.turn - b.event.turn);
    const lastTurn = session.events.reduce((max, e) => Math.max(max, e.turn), 0);
    return { id, rank, started, cwd: session.header.cwd, lastTurn, calls, userMessages };
  });
}
