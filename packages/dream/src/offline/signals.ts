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
