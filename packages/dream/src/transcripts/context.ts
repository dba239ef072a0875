import { ReverieError } from "@reverie/core";
import { canceled, splitConcatenatedJson } from "./line-reader.js";
import type { RawLine } from "./line-reader.js";
import type { ScannedEvent } from "./scan-event.js";
import type { SessionEvent, SessionHeader, SessionOutcome } from "./types.js";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A session event before it is numbered: readers emit these, the collector assigns `turn`. */
export type DraftEvent = DistributiveOmit<SessionEvent, "turn">;

/** A line that could not be read, by file and 1-based line number (for JSON formats: the array index + 1). */
export interface BadLine {
  file: string;
  line: number;
  reason: string;
}

/** What one transcript file held, counted while reading it. */
export interface TranscriptCounts {
  /** Non-empty lines read (JSON-array formats: entries of the message array). */
  lines: number;
  /** Events written to the normalized session. */
  events: number;
  messages: number;
  toolCalls: number;
  toolErrors: number;
  /** Lines dropped on purpose: progress, hook and bookkeeping noise that carries no conversation. */
  skippedLines: number;
  /** Lines of a type this importer does not know; skipped, and counted by type in `unknownTypes`. */
  unknownLines: number;
  /** Malformed lines; listed in `badLines`. */
  badLines: number;
  /** Lines that held several JSON objects with no line break between them, split and read. */
  recoveredLines: number;
}

/** Header facts a reader learns while it reads; the collector fills `started`/`ended` from event times. */
export interface SessionInfo {
  agent?: string;
  started?: string;
  ended?: string;
  cwd?: string;
  title?: string;
  model?: string;
  nativeId?: string;
  outcome?: SessionOutcome;
  /** The original header, when the source is itself a normalized session (kept as is). */
  header?: SessionHeader;
}

/** What a format reader gets: somewhere to put events, facts and problems. */
export interface ReaderContext {
  readonly file: string;
  readonly info: SessionInfo;
  /**
   * Adds an event; its `turn` is its position unless the source already numbered it. Returns a
   * promise only when the caller must wait (the writer is spilling to disk); await it either way.
   */
  emit(event: DraftEvent, turn?: number): Promise<void> | undefined;
  /**
   * Adds an event that is already in its final shape (`type`, `turn`, then the rest, in that key
   * order). Returns a promise only when the caller must wait.
   */
  emitEvent(event: SessionEvent): Promise<void> | undefined;
  /**
   * Whether the consumer takes events as lines alone (see `emitLine`), so a reader of the
   * normalized format may check a line without parsing it into an event.
   */
  readonly takesLines: boolean;
  /**
   * Adds an event known by its exact serialization, checked by `scanSessionEvent`; only when
   * `takesLines`. Its time is not read: only a normalized file, whose header is kept as it is, emits lines.
   */
  emitLine(line: Buffer, event: ScannedEvent): Promise<void> | undefined;
  /** Reports a malformed line; in strict mode this throws PARSE_ERROR instead. */
  bad(line: number, reason: string): void;
  skip(): void;
  unknown(type: string): void;
  recovered(): void;
  countLine(): void;
}

/** Where a collector hands each event. */
export type EventSink = (event: SessionEvent) => void | Promise<void>;

/**
 * Where a collector hands events known only as their exact serialization (UTF-8, no line
 * break). The bytes share a reused read buffer: valid until the call returns or its promise settles.
 */
export type LineSink = (line: Buffer) => void | Promise<void>;

/**
 * A format reader over lines (streamed) or over one parsed JSON value (read whole, size-guarded).
 * `line` may finish synchronously and return nothing: a line is a few hundred bytes, and a
 * promise and an `await` for each cost more than reading most of them.
 */
export type TranscriptParser =
  | { kind: "lines"; create(ctx: ReaderContext): { line(raw: RawLine): Promise<void> | undefined; end(): Promise<void> } }
  | { kind: "json"; parse(value: unknown, ctx: ReaderContext): Promise<void> };

/** At most this many bad lines are kept in a report; `counts.badLines` stays exact. */
export const MAX_REPORTED_BAD_LINES = 1000;

/** Collects the events of one transcript, numbers them, counts them, and keeps the bad lines. */
export class SessionCollector implements ReaderContext {
  readonly info: SessionInfo = {};
  readonly counts: TranscriptCounts = {
    lines: 0,
    events: 0,
    messages: 0,
    toolCalls: 0,
    toolErrors: 0,
    skippedLines: 0,
    unknownLines: 0,
    badLines: 0,
    recoveredLines: 0,
  };
  readonly unknownTypes: Record<string, number> = {};
  readonly badLines: BadLine[] = [];
  lastToolResultError: boolean | undefined;
  private firstAt: string | undefined;
  private lastAt: string | undefined;

  constructor(
    readonly file: string,
    private readonly strict: boolean,
    private readonly sink: EventSink,
    private readonly signal?: AbortSignal,
    private readonly lineSink?: LineSink,
  ) {}

  get takesLines(): boolean {
    return this.lineSink !== undefined;
  }

  emit(draft: DraftEvent, turn?: number): Promise<void> | undefined {
    const { type, ...rest } = draft;
    return this.emitEvent({ type, turn: turn ?? this.counts.events + 1, ...rest } as SessionEvent);
  }

  emitEvent(event: SessionEvent): Promise<void> | undefined {
    if (this.signal?.aborted) throw canceled(this.file);
    this.count(event.type, event.type === "tool_result" && event.is_error);
    if (event.at !== undefined) {
      this.firstAt ??= event.at;
      this.lastAt = event.at;
    }
    return this.sink(event) ?? undefined;
  }

  emitLine(line: Buffer, event: ScannedEvent): Promise<void> | undefined {
    if (this.signal?.aborted) throw canceled(this.file);
    if (this.lineSink === undefined) throw new ReverieError("INTERNAL", `emitLine without a line sink, reading ${this.file}`);
    this.count(event.type, event.isError);
    return this.lineSink(line) ?? undefined;
  }

  private count(type: SessionEvent["type"], isError: boolean): void {
    this.counts.events += 1;
    if (type === "message") this.counts.messages += 1;
    else if (type === "tool_use") this.counts.toolCalls += 1;
    else if (type === "tool_result") {
      if (isError) this.counts.toolErrors += 1;
      this.lastToolResultError = isError;
    }
  }

  bad(line: number, reason: string): void {
    if (this.strict) {
      throw new ReverieError("PARSE_ERROR", `${this.file}:${line}: ${reason}. Fix or remove the line, or import without strict to skip it.`, {
        file: this.file,
        line,
        reason,
      });
    }
    this.counts.badLines += 1;
    if (this.badLines.length < MAX_REPORTED_BAD_LINES) this.badLines.push({ file: this.file, line, reason });
  }

  skip(): void {
    this.counts.skippedLines += 1;
  }

  unknown(type: string): void {
    this.counts.unknownLines += 1;
    this.unknownTypes[type] = (this.unknownTypes[type] ?? 0) + 1;
  }

  recovered(): void {
    this.counts.recoveredLines += 1;
  }

  countLine(): void {
    this.counts.lines += 1;
  }

  /** Event times, unless the reader knew better (e.g. a session's own start time). */
  timeRange(): { started?: string; ended?: string } {
    const started = this.info.started ?? this.firstAt;
    const ended = this.info.ended ?? this.lastAt;
    return { ...(started !== undefined && { started }), ...(ended !== undefined && { ended }) };
  }
}

/**
 * Parses one JSONL line into the JSON values it holds: normally one; several when objects were
 * written back to back on one line (recovered and counted); none for a blank line or a bad
 * line (reported through `ctx.bad`).
 */
export function parseJsonLine(raw: RawLine, ctx: ReaderContext): unknown[] {
  if (raw.text.trim() === "") return [];
  ctx.countLine();
  try {
    return [JSON.parse(raw.text)];
  } catch (error) {
    const parts = splitConcatenatedJson(raw.text);
    if (parts !== null) {
      const values: unknown[] = [];
      try {
        for (const part of parts) values.push(JSON.parse(part));
        ctx.recovered();
        return values;
      } catch {
        // fall through: report the original error
      }
    }
    ctx.bad(raw.line, `invalid JSON (${(error as Error).message}): ${preview(raw.text)}`);
    return [];
  }
}

/** A short one-line preview of untrusted text for reasons and messages. */
export function preview(text: string, max = 60): string {
  const oneLine = JSON.stringify(text);
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…"`;
}

/** Narrowing helper for parsed JSON. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value if it is a non-empty string. */
export function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
