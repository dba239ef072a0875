export { ReverieError, ErrorCodes, isReverieError, truncateForMessage } from "./errors.js";
export type { ErrorCode, ReverieErrorJSON } from "./errors.js";
export { ulid, newId } from "./ids.js";
export { contentHash, isContentHash } from "./hash.js";
export { writeFileAtomic, fsyncDir } from "./fs/atomic-write.js";
export type { AtomicWriteOptions } from "./fs/atomic-write.js";
export type { Note, MemoryFrontmatter, MemorySource, MemoryVerification, Trust } from "./note/types.js";
export { parseNote, renderNote, updateNote, noteTitle, decodeUtf8 } from "./note/parse.js";
export { splitFrontmatter } from "./note/frontmatter.js";
export { capSources, MAX_SOURCES, SOURCES_DROPPED_KEY } from "./note/sources-cap.js";
export type { FrontmatterPatch, FrontmatterSplit } from "./note/frontmatter.js";
export { openMemory } from "./memory/memory.js";
export type {
  Memory,
  MemoryFile,
  MemoryEntry,
  HistoryEntry,
  OpenMemoryOptions,
  MutationOptions,
  WriteOptions,
  WriteResult,
  RemoveResult,
  RenameResult,
} from "./memory/memory.js";
export { initMemory } from "./memory/init-memory.js";
export type { InitMemoryOptions } from "./memory/init-memory.js";
export type { Scope, Resolved } from "./memory/scopes.js";
export type { Attribution } from "./memory/stamp.js";
export { isoSeconds } from "./memory/stamp.js";
export { loadConfig, CONFIG_PATH, DEFAULT_MEMORY_TYPES } from "./config.js";
export type { MemoryConfig, MountConfig, MountAccess } from "./config.js";
export { normalizeMemoryFolder, normalizeMemoryPath, normalizeMemoryFilePath } from "./paths.js";
export { acquireLock } from "./lock.js";
export type { LockHandle, LockOptions } from "./lock.js";
export { runGit } from "./git/exec-git.js";
export type { GitRunOptions, GitResult } from "./git/exec-git.js";
export { openRepo, initRepo, repoTopLevel, agentIdentity, DEFAULT_IDENTITY, DURABLE_GIT_CONFIG } from "./git/repo.js";
export type { OpenRepoOptions, GitRepo, CommitInfo, CommitMessage, ChangedPath, Identity } from "./git/repo.js";
export { formatTrailers, parseTrailers } from "./git/trailers.js";
export { mergeMemoryText, mergeText } from "./git/merge-memory.js";
export type { MergeInput, MergeOutput } from "./git/merge-memory.js";
export { registerMergeDriver, mergeDriverCommand, mergeDriverScript, MERGE_ATTRIBUTE } from "./git/merge-driver.js";
export type { Trailers } from "./git/trailers.js";
export { listMarkdownFiles } from "./memory/walk.js";
export { operationsInProgress, assertNoOperationInProgress } from "./recovery/git-state.js";
export type { OperationInProgress } from "./recovery/git-state.js";
export type { Diagnostic, Repair } from "./memory/doctor.js";
export { openSearchIndex } from "./search/search-index.js";
export type { SearchIndex, SearchIndexOptions, SearchDoc, SearchHit, SearchQueryOptions, SearchProblem, RefreshStats, FileStamp } from "./search/search-index.js";
export type { CacheStatus } from "./search/cache-file.js";
export { tokenize } from "./search/tokenize.js";
export { watchIndex } from "./search/watch-index.js";
export type { IndexWatcher, WatchIndexOptions, ChokidarLib } from "./search/watch-index.js";
export { memoryToolHandlers } from "./memory-tool/memory-tool-handlers.js";
export { memoryToolPath, toMemoryToolPath, MEMORY_TOOL_ROOT } from "./memory-tool/memory-tool-path.js";
export type {
  MemoryToolHandlers,
  MemoryToolCommand,
  MemoryToolViewCommand,
  MemoryToolCreateCommand,
  MemoryToolStrReplaceCommand,
  MemoryToolInsertCommand,
  MemoryToolDeleteCommand,
  MemoryToolRenameCommand,
} from "./memory-tool/types.js";
export { syncMemory } from "./git/sync.js";
export type { SyncOptions, SyncResult, SyncDone, SyncConflict } from "./git/sync.js";
export { loadSearchDoc, searchCacheFile } from "./memory/search-docs.js";
export { FOLDER_DOC_PATHS, isFolderDocPath, isMemoryFileName, isMemoryFilePath, NON_MEMORY_DIRS } from "./memory-files.js";
export { gitVersion, requireGit } from "./git/version.js";
export { findGitLocks, gitRunningIn, removeStaleGitLocks } from "./recovery/git-locks.js";
export type { GitLock, StaleLockOptions } from "./recovery/git-locks.js";
export { beginJournal, readJournal, journalDir, journalOwnerDead } from "./recovery/journal.js";
export type { JournalEntry, JournalHandle, PendingEntry } from "./recovery/journal.js";
export { lockMemoryFolder, memoryLockPath, needsRecovery, recoverMemory, stderrNotice } from "./recovery/recover.js";
export type { FilesIntent, JournalHandler, Notice, RecoveryOptions } from "./recovery/recover.js";
export { leftoverTemps, leftoverSpoolTemps, reverieTempDir, sweepTemps, tempFileName, tempOwnerTag, UNOWNED_TEMP_GRACE_MS } from "./recovery/temp-files.js";
export type { LeftTemp } from "./recovery/temp-files.js";
export { findSecrets, redactSecrets, redactSecretsInTexts, redactionMarker } from "./secrets/find-secrets.js";
export { assertNoNewSecrets } from "./secrets/refuse-secrets.js";
export { findSecretsInHistory } from "./secrets/history-secrets.js";
export type { HistorySecret } from "./secrets/history-secrets.js";
export type { SecretCheck, FoundSecret } from "./secrets/refuse-secrets.js";
export type { SecretKind, SecretMatch, Redaction, Redactions } from "./secrets/find-secrets.js";
export { shellWord } from "./shell-word.js";
export { LIMITS, assertFileSize, assertPathLength, formatBytes } from "./limits.js";
export { explainOsError, osErrorCode } from "./fs/os-errors.js";
export { walkMemoryFolder } from "./memory/walk.js";
export type { FoundLink } from "./memory/walk.js";
