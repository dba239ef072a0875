export { TranscriptFormats } from "./transcripts/types.js";
export type {
  TranscriptFormat,
  SessionSource,
  SessionOutcome,
  SessionHeader,
  MessageEvent,
  MemoryOperation,
  ToolUseEvent,
  ToolResultEvent,
  SummaryEvent,
  SessionEvent,
  SessionLine,
  Session,
} from "./transcripts/types.js";
export type { BadLine, TranscriptCounts } from "./transcripts/context.js";
export { importTranscripts } from "./transcripts/import.js";
export type { ImportOptions, ImportResult, ImportStatus, ImportedSession, FailedImport } from "./transcripts/import.js";
export { readTranscript, loadTranscript } from "./transcripts/read-transcript.js";
export type { ReadTranscriptOptions, TranscriptReport, TranscriptRead, LoadedTranscript } from "./transcripts/read-transcript.js";
export { detectFormat, DEFAULT_MAX_JSON_BYTES } from "./transcripts/detect.js";
export {
  sessionsDir,
  isSessionId,
  serializeSessionLine,
  serializeSession,
  parseSessionLine,
  loadSessionFile,
  readSessionHeader,
  readSession,
  listSessions,
} from "./transcripts/normalized.js";
export type { SessionListing } from "./transcripts/normalized.js";
export { sessionIdFor } from "./transcripts/session-id.js";
export { recognizeMemoryOperation } from "./transcripts/memory-tool.js";
