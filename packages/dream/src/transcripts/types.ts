/**
 * The normalized session format (DESIGN §3): one JSONL file per session, a `session` header
 * line then events. Every event keeps its `turn` so that evidence can cite `ses_…#turn`.
 * Tool output and assistant text are untrusted input.
 */

/** Formats the importers read. */
export const TranscriptFormats = ["claude-code", "claude-code-text", "anthropic", "openai", "gemini-cli", "reverie"] as const;
export type TranscriptFormat = (typeof TranscriptFormats)[number];

/*
 * The closed vocabularies of an event line, each listed once: the types below, the validator
 * (`invalidSessionLine`), the byte scanner (`scanSessionEvent`) and the memory-tool recogniser read them.
 */
export const SessionEventTypes = ["message", "tool_use", "tool_result", "summary"] as const;
export const MessageRoles = ["user", "assistant", "system"] as const;
export const SummaryKinds = ["summary", "compaction"] as const;
export const MemoryCommands = ["view", "create", "str_replace", "insert", "delete", "rename"] as const;

export interface SessionSource {
  format: TranscriptFormat;
  /** Absolute path of the file the session was imported from. */
  path: string;
  /** Lowercase hex SHA-256 of the source file's bytes. */
  sha256: string;
  /**
   * The id the agent itself gave the session (Claude Code / Gemini CLI `sessionId`), when the
   * source has one. Sessions that have it take their `ses_…` id from it (see `session-id.ts`).
   */
  nativeId?: string;
}

export interface SessionOutcome {
  status: "success" | "failure" | "unknown";
  detail?: string;
}

export interface SessionHeader {
  type: "session";
  /** `ses_…`; the same source bytes always give the same id. */
  id: string;
  agent?: string;
  /** ISO-8601 timestamps of the first and last event, when the source has them. */
  started?: string;
  ended?: string;
  source: SessionSource;
  outcome?: SessionOutcome;
  /** Working directory / project the agent ran in, when known. */
  cwd?: string;
  title?: string;
  /** The model that produced the assistant turns (the first one seen), when the source names it. */
  model?: string;
}

interface EventBase {
  /** 1-based position of the event in the session; stable across re-imports of the same bytes. */
  turn: number;
  at?: string;
}

export interface MessageEvent extends EventBase {
  type: "message";
  role: (typeof MessageRoles)[number];
  text: string;
  /** True for text the harness injected (command output, reminders), not a person's words. */
  meta?: boolean;
  /** True for messages of a sidechain (sub-agent) conversation. */
  sidechain?: boolean;
  /** True for user text typed while the agent was busy (Claude Code `queue-operation`). */
  queued?: boolean;
}

/** A memory-tool command recognised inside a tool call (`memory_20250818` and the MCP `memory_*` tools). */
export interface MemoryOperation {
  command: (typeof MemoryCommands)[number];
  path?: string;
  newPath?: string;
  text?: string;
}

export interface ToolUseEvent extends EventBase {
  type: "tool_use";
  id: string;
  name: string;
  input: unknown;
  memory?: MemoryOperation;
  sidechain?: boolean;
}

export interface ToolResultEvent extends EventBase {
  type: "tool_result";
  tool_use_id: string;
  is_error: boolean;
  text: string;
  sidechain?: boolean;
}

/** A summary or compaction boundary written by the harness. */
export interface SummaryEvent extends EventBase {
  type: "summary";
  text: string;
  kind: (typeof SummaryKinds)[number];
}

export type SessionEvent = MessageEvent | ToolUseEvent | ToolResultEvent | SummaryEvent;
export type SessionLine = SessionHeader | SessionEvent;

/** A whole session in memory, as the dream reads it. */
export interface Session {
  header: SessionHeader;
  events: SessionEvent[];
}
