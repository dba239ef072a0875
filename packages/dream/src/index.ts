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
export { DreamOperationKinds, LearnedTypes, createsMemory, formatEvidence } from "./consolidate/operations.js";
export type {
  Evidence,
  DreamOperationKind,
  DreamOperation,
  DedupOperation,
  StaleOperation,
  StaleFrontmatterPatch,
  PatternOperation,
  LearnOperation,
  LearnedType,
  CreatingOperation,
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
export type { PatternOptions } from "./offline/lessons.js";
export { parseInstructions } from "./offline/instructions.js";
export type { DreamPolicy, ParsedInstructions } from "./offline/instructions.js";
export { screenText } from "./offline/injection.js";
export type { ScreenResult } from "./offline/injection.js";
export { dream, readInstructionsFile, MAX_INSTRUCTIONS_CHARS } from "./dream/run-dream.js";
export type { DreamOptions, DreamProgress } from "./dream/run-dream.js";
export { adoptDream, discardDream, cancelDream, journalHandlers } from "./dream/adopt.js";
export type { AdoptOptions, AdoptResult } from "./dream/adopt.js";
export { listDreams, newestDream } from "./dream/list.js";
export { quoteEvidence } from "./dream/quote-evidence.js";
export type { QuotedTurn, QuoteLine } from "./dream/quote-evidence.js";
export { readDream, DreamStatuses, DreamErrorTypes } from "./dream/record.js";
export type { DreamRecord, DreamStatus, DreamErrorType, DreamUsage, GateResult, RecordedOperation } from "./dream/record.js";
export { evaluateGates, gateState, BLOCKING_GATES, GateNames } from "./dream/gates.js";
export type { GateState } from "./dream/gates.js";
export type { GateName, GateInput } from "./dream/gates.js";
export { dreamBranch } from "./dream/branch.js";
export type { ConsolidateCheckpoint, DroppedOperationReport } from "./consolidate/consolidator.js";
export { anthropicConsolidator } from "./provider/anthropic-consolidator.js";
export type { AnthropicConsolidator, AnthropicConsolidatorOptions } from "./provider/anthropic-consolidator.js";
export { runAnthropicDream, buildParams } from "./anthropic/run-dream.js";
export type { AnthropicRunOptions, AnthropicConsolidateOutput, RequestRecord, OperationUsage, SentStats } from "./anthropic/run-dream.js";
export type { ModelTransport, ModelMessage, ModelContent, MessageParams, BatchItemResult } from "./anthropic/transport.js";
export { planDream, requestKey } from "./anthropic/plan.js";
export type { DreamPlan, PlannedRequest, PlannedRequestKind, PlanOptions } from "./anthropic/plan.js";
export { naiveDreamPrompt, SYSTEM_RULES } from "./anthropic/prompt.js";
export type { NaivePrompt } from "./anthropic/prompt.js";
export { ANTHROPIC_PRICES, BATCH_DISCOUNT, priceFor, costOf } from "./anthropic/pricing.js";
export type { ModelPrice, PricedUsage } from "./anthropic/pricing.js";
export { UsageLedger } from "./anthropic/usage-ledger.js";
export type { LedgerEntry, ReportedUsage } from "./anthropic/usage-ledger.js";
export { estimateTokens } from "./anthropic/token-estimate.js";
export { OPERATIONS_SCHEMA, OPERATIONS_TOOL } from "./anthropic/schema.js";
export type { ModelOperation, ModelAnswer } from "./anthropic/schema.js";
export type { DroppedOperation } from "./anthropic/gates.js";
export type { RetryOptions, ModelFailureType, Sleep } from "./anthropic/retry-policy.js";
export { compressSession } from "./anthropic/compress.js";
export type { CompressedSession, CompressOptions } from "./anthropic/compress.js";
export { buildMemoryIndex, memoryUses, isMemoryIndexPath, MEMORY_INDEX_PATH, INDEX_MAX_LINES, INDEX_MAX_BYTES } from "./memory-index.js";
export type { MemoryIndex, MemoryIndexOptions, MemoryUse, IndexSummary } from "./memory-index.js";
