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
export { DreamOperationKinds, formatEvidence } from "./consolidate/operations.js";
export type {
  Evidence,
  DreamOperationKind,
  DreamOperation,
  DedupOperation,
  StaleOperation,
  StaleFrontmatterPatch,
  PatternOperation,
  VerifyOperation,
  ReorganizeOperation,
} from "./consolidate/operations.js";
export type {
  Consolidator,
  ConsolidateInput,
  ConsolidateOutput,
  ConsolidateUsage,
  ConsolidateContext,
  ConsolidateProgress,
} from "./consolidate/consolidator.js";
export { materialize } from "./consolidate/materialize.js";
export type { FileChange, MaterializedOperation, MaterializeOptions } from "./consolidate/materialize.js";
export { offlineConsolidator } from "./offline/offline-consolidator.js";
export type { OfflineConsolidatorOptions } from "./offline/offline-consolidator.js";
export type { DedupOptions } from "./offline/dedup.js";
export type { PatternOptions } from "./offline/patterns.js";
export { parseInstructions } from "./offline/instructions.js";
export type { DreamPolicy, ParsedInstructions } from "./offline/instructions.js";
export { screenText } from "./offline/injection.js";
export type { ScreenResult } from "./offline/injection.js";
export { dream, readInstructionsFile, MAX_INSTRUCTIONS_CHARS } from "./dream/run-dream.js";
export type { DreamOptions, DreamProgress } from "./dream/run-dream.js";
export { adoptDream, discardDream, cancelDream } from "./dream/adopt.js";
export type { AdoptOptions } from "./dream/adopt.js";
export { listDreams } from "./dream/list.js";
export { readDream, DreamStatuses, DreamErrorTypes } from "./dream/record.js";
export type { DreamRecord, DreamStatus, DreamErrorType, DreamUsage, GateResult, RecordedOperation } from "./dream/record.js";
export { evaluateGates, BLOCKING_GATES, GateNames } from "./dream/gates.js";
export type { GateName, GateInput } from "./dream/gates.js";
export { dreamBranch } from "./dream/branch.js";
