import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { ReverieError } from "@reverie/core";
import { anthropicMessagesParser } from "./anthropic-messages.js";
import { claudeCodeTextParser } from "./claude-code-text.js";
import { claudeCodeParser } from "./claude-code.js";
import { SessionCollector } from "./context.js";
import type { BadLine, EventSink, LineSink, TranscriptCounts, TranscriptParser } from "./context.js";
import { detectHead, notFound, readJson } from "./detect.js";
import type { Detection } from "./detect.js";
import { geminiCliParser } from "./gemini-cli.js";
import { canceled, openLines, readLines } from "./line-reader.js";
import type { OpenedLines } from "./line-reader.js";
import { normalizedParser } from "./normalized.js";
import { openaiChatParser } from "./openai-chat.js";
import { sessionIdFor } from "./session-id.js";
import { TranscriptFormats } from "./types.js";
import type { Session, SessionEvent, SessionHeader, SessionOutcome, TranscriptFormat } from "./types.js";

const PARSERS: Record<TranscriptFormat, TranscriptParser> = {
  "claude-code": claudeCodeParser,
  "claude-code-text": claudeCodeTextParser,
  anthropic: anthropicMessagesParser,
  openai: openaiChatParser,
  "gemini-cli": geminiCliParser,
  reverie: normalizedParser,
};

/** Options shared by every transcript reader. */
export interface ReadTranscriptOptions {
  /**
   * The source format, or `"auto"` to detect it from the file's first bytes.
   * @default "auto"
   */
  format?: "auto" | TranscriptFormat;
  /**
   * Fail on the first malformed line (PARSE_ERROR naming file and line) instead of skipping it
   * and listing it in `badLines`. Strict is right for pipelines that must not lose a turn;
   * lenient is right for real-world files, which are sometimes cut mid-line.
   * @default false
   */
  strict?: boolean;
  /** Stops reading between lines; the call rejects with CANCELED. */
  signal?: AbortSignal;
  /**
   * JSON (non-JSONL) transcripts are read whole; larger files are refused (INVALID_INPUT).
   * @default 268435456 (256 MiB)
   */
  maxJsonBytes?: number;
}

/** What reading one transcript file found, besides its events. */
export interface TranscriptReport {
  file: string;
  format: TranscriptFormat;
  counts: TranscriptCounts;
  /** Unknown line types and how often each occurred (skipped, not errors). */
  unknownTypes: Record<string, number>;
  /** Malformed lines (at most 1,000 are listed; `counts.badLines` is exact). */
  badLines: BadLine[];
}

/** The header and the report of a transcript that was read. */
export interface TranscriptRead {
  header: SessionHeader;
  report: TranscriptReport;
}

/** A transcript turned into a session in memory. */
export interface LoadedTranscript {
  session: Session;
  report: TranscriptReport;
}

/**
 * Streams one transcript file as normalized events, in order, each with its `turn`: JSONL and
 * text formats are read line by line in flat memory; JSON formats are read whole within
 * `maxJsonBytes`. The header is returned at the end, because its id, time range and outcome are
 * known only once the whole source (and its SHA-256) has been read.
 * @throws ReverieError INVALID_INPUT (unknown format, file too large), NOT_FOUND, PARSE_ERROR
 * (strict mode, or a JSON file that does not parse), CANCELED.
 * @example
 * const { header, report } = await readTranscript("session.jsonl", { onEvent: (e) => console.log(e.turn, e.type) });
 */
export async function readTranscript(
  file: string,
  options: ReadTranscriptOptions & {
    onEvent: EventSink;
    /** Called once, early, when the source carries its own header (a normalized file); that header is the one returned. */
    onHeader?: (header: SessionHeader) => void;
    /**
     * Takes, instead of `onEvent`, the events that can be copied as they are — lines of a
     * normalized file that are already their exact serialization — as those bytes alone, which
     * spares parsing them (most of the cost of reading a normalized file). The bytes are reused
     * once the call returns or its promise settles.
     */
    onLine?: LineSink;
  },
): Promise<TranscriptRead> {
  const { detection, opened } = await openTranscript(file, options);
  return readDetected(file, detection, options, opened);
}

/**
 * {@link readTranscript} once the format is known, reading the lines from `opened` when the
 * caller already opened the file (to tell its format); `opened` is closed either way.
 */
export async function readDetected(
  file: string,
  detection: Detection,
  options: ReadTranscriptOptions & { onEvent: EventSink; onHeader?: (header: SessionHeader) => void; onLine?: LineSink },
  opened?: OpenedLines,
): Promise<TranscriptRead> {
  const format = detection.format;
  const collector = new SessionCollector(file, options.strict ?? false, options.onEvent, options.signal, options.onLine);
  const parser = PARSERS[format];
  let sha256: string;
  try {
    if (parser.kind === "lines") {
      const source = opened ?? readLines(file, options.signal);
      const reader = parser.create(collector);
      let announce = options.onHeader;
      for await (const batch of source.batches) {
        for (const raw of batch) {
          const waiting = reader.line(raw);
          if (waiting !== undefined) await waiting;
        }
        if (announce !== undefined && collector.info.header !== undefined) {
          announce(collector.info.header);
          announce = undefined;
        }
      }
      await reader.end();
      sha256 = source.sha256();
    } else {
      await opened?.close();
      const json = detection.json ?? (await readJson(file, options.maxJsonBytes));
      if (json === undefined) throw new ReverieError("INTERNAL", `readJson returned nothing for ${file}`);
      if (options.signal?.aborted) throw canceled(file);
      sha256 = createHash("sha256").update(json.bytes).digest("hex");
      await parser.parse(json.value, collector);
    }
  } finally {
    await opened?.close();
  }
  const report: TranscriptReport = { file, format, counts: collector.counts, unknownTypes: collector.unknownTypes, badLines: collector.badLines };
  return { header: collector.info.header ?? buildHeader(file, format, sha256, collector), report };
}

/**
 * Reads one transcript file into a {@link Session} in memory, without writing anything — what a
 * dream uses when it is given transcript files directly. Holds the whole session in memory; use
 * {@link readTranscript} or `importTranscripts` for very large files.
 * @example const { session } = await loadTranscript("conversation.json", { format: "anthropic" });
 */
export async function loadTranscript(file: string, options: ReadTranscriptOptions = {}): Promise<LoadedTranscript> {
  const events: SessionEvent[] = [];
  const { header, report } = await readTranscript(file, { ...options, onEvent: (event) => void events.push(event) });
  return { session: { header, events }, report };
}

/**
 * Tells the format of a transcript (`options.format`, or detected from its first bytes). To
 * detect, the file is opened and its first buffer read once for both detection and, when it is a
 * line format, the reading that follows: pass `opened` on to {@link readDetected}.
 * @throws ReverieError INVALID_INPUT (unknown or undetectable format), NOT_FOUND.
 */
export async function openTranscript(file: string, options: ReadTranscriptOptions): Promise<{ detection: Detection; opened?: OpenedLines }> {
  const format = options.format ?? "auto";
  if (format !== "auto") {
    if (!TranscriptFormats.includes(format)) {
      throw new ReverieError("INVALID_INPUT", `Unknown transcript format ${JSON.stringify(format)}; expected "auto" or one of ${TranscriptFormats.join(", ")}`, { format });
    }
    return { detection: { format } };
  }
  let opened: OpenedLines;
  try {
    opened = await openLines(file, options.signal);
  } catch (error) {
    throw notFound(file, error);
  }
  try {
    return { detection: await detectHead(file, opened.head, options.maxJsonBytes === undefined ? {} : { maxJsonBytes: options.maxJsonBytes }), opened };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

function buildHeader(file: string, format: TranscriptFormat, sha256: string, collector: SessionCollector): SessionHeader {
  const info = collector.info;
  const { started, ended } = collector.timeRange();
  const outcome: SessionOutcome =
    collector.lastToolResultError === undefined
      ? { status: "unknown" }
      : collector.lastToolResultError
        ? { status: "failure", detail: "the last tool call failed" }
        : { status: "success", detail: "the last tool call succeeded" };
  return {
    type: "session",
    id: sessionIdFor(format, sha256, info.nativeId),
    ...(info.agent !== undefined && { agent: info.agent }),
    ...(started !== undefined && { started }),
    ...(ended !== undefined && { ended }),
    source: { format, path: resolve(file), sha256, ...(info.nativeId !== undefined && { nativeId: info.nativeId }) },
    outcome: info.outcome ?? outcome,
    ...(info.cwd !== undefined && { cwd: info.cwd }),
    ...(info.title !== undefined && { title: info.title }),
    ...(info.model !== undefined && { model: info.model }),
  };
}
