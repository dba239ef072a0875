import { hostname } from "node:os";
import { readFile, rm, stat } from "node:fs/promises";
import { beginJournal, isReverieError, lockMemoryFolder, newId, openMemory, redactSecrets, ReverieError, type Memory, type Note } from "@reverie/core";
import type { ConsolidateCheckpoint, ConsolidateOutput, ConsolidateProgress, ConsolidateUsage, Consolidator } from "../consolidate/consolidator.js";
import { materialize, type MaterializedOperation } from "../consolidate/materialize.js";
import { DreamOperationKinds, type DreamOperation } from "../consolidate/operations.js";
import { fileCheckpoint } from "./checkpoint.js";
import { applyCommandTrust, quarantinedOperations } from "./command-trust.js";
import { offlineConsolidator } from "../offline/offline-consolidator.js";
import { deleteDreamBranch, dreamBranch, writeBranch } from "./branch.js";
import { manifestCommit, operationCommit, touchedPaths } from "./commits.js";
import { BLOCKING_GATES, evaluateGates } from "./gates.js";
import { saveOperations } from "./operations-file.js";
import { cancelRequestPath, EMPTY_OPS, readDream, writeRecord, type DreamErrorType, type DreamRecord, type RecordedOperation } from "./record.js";
import { redactDreamInputs, type InputRedactions } from "./redact-inputs.js";
import { resolveSessions, type ResolvedSessions } from "./session-inputs.js";
import { readMemoriesAt } from "./snapshot.js";
import { undatedSessions } from "../offline/evidence.js";
import { commitFolderEdits, memoryUses, planMemoryIndex } from "../memory-index.js";

/** The hosted service's limit on instructions, kept so the same instructions work in both. */
export const MAX_INSTRUCTIONS_CHARS = 4096;

/** A step of a dream, for progress bars and logs. */
export interface DreamProgress {
  id: string;
  stage: "snapshot" | "sessions" | "consolidate" | "validate" | "write" | "adopt" | "done";
  /** Work done and total within the stage, when the stage can count. */
  done?: number;
  total?: number;
  message: string;
}

export interface DreamOptions {
  /** The memory folder, or a memory already open (e.g. the one an agent writes through), which is used as it is. */
  memory: string | Memory;
  /** Transcript files, folders (searched recursively) and imported session ids; none means every imported session. */
  sessions?: string[];
  /** Who consolidates. @default offlineConsolidator() */
  consolidator?: Consolidator;
  /** Recorded as the run's model. */
  model?: string;
  /** Steering for the consolidator, at most 4,096 characters (e.g. "leave decisions/ alone"). */
  instructions?: string;
  /** Recorded spending limit; the consolidator enforces it. */
  budgetUsd?: number;
  /** Share of memories a dream may retire before its loss-cap gate fails. @default the memory's config (0.25) */
  lossCap?: number;
  /** Merge the dream into the memory branch when every blocking gate passes. @default false */
  autoAdopt?: boolean;
  /**
   * Continue a failed or canceled dream: its model answers already paid for are reused, and its
   * sessions and instructions are the defaults. The resumed run gets a new id.
   */
  resume?: string;
  signal?: AbortSignal;
  onProgress?: (event: DreamProgress) => void;
  /**
   * Called once the run record exists (after the inputs were read), so `readDream(id)` and
   * `cancelDream(id)` find it; progress before that (snapshot, sessions) has no record yet.
   */
  onStart?: (id: string) => void;
  /** The dream's clock; injectable for reproducible runs. @default () => new Date() */
  clock?: () => Date;
}

const CANCEL_POLL_MS = 200;

/** A refused `autoAdopt` is recorded as the warning `not adopted: <CODE>: <message>`; the CLI reads the code for its exit status. */
const NOT_ADOPTED = "not adopted:";

function emptyRecord(id: string, memoryDir: string, options: DreamOptions, provider: string, now: string): DreamRecord {
  return {
    id,
    status: "pending",
    created_at: now,
    started_at: null,
    ended_at: null,
    archived_at: null,
    inputs: { memory_dir: memoryDir, base_commit: null, sessions: [] },
    provider,
    model: options.model ?? null,
    instructions: options.instructions ?? null,
    ignored_instructions: [],
    budget: { usd: options.budgetUsd ?? null },
    usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cost_usd: 0 },
    outputs: { branch: null, head: null, ops: { ...EMPTY_OPS } },
    operations: [],
    gates: [],
    error: null,
    adopted: null,
    warnings: [],
    runner: { pid: process.pid, host: hostname() },
    resumed_from: null,
    redacted: { count: 0, kinds: {} },
  };
}

/**
 * Runs a dream: pins the memory's current commit, reads the sessions, asks the consolidator
 * for operations, checks them against the gates, and writes them as branch `dream/<id>` — one
 * commit per operation, with `Dream`, `Dream-Op` and `Evidence` trailers — leaving the memory
 * branch, index and work tree untouched. The run record in `.reverie/runs/<id>.json` follows
 * every step (`pending → running → completed | failed | canceled`); `cancelDream` from any
 * process stops it.
 *
 * A failed run resolves (it does not throw) with `status: "failed"` and `error` set. Bad
 * arguments and bad inputs throw before any run record is made, so they never show as a failed
 * dream: a folder that is not a memory or has no commit, a session file or folder that is
 * missing, empty or not a transcript, an unknown session id, and nothing at all to dream over
 * (no memories and no sessions: INVALID_INPUT with `data.reason` `"nothing_to_dream"`).
 * @example
 * const run = await dream({ memory: "./memory", sessions: ["~/.claude/projects/my-app"] });
 * console.log(run.outputs.branch, run.outputs.ops); // "dream/drm_…", { dedup: 2, stale: 1, … }
 */
export async function dream(requested: DreamOptions): Promise<DreamRecord> {
  if (requested.instructions !== undefined && requested.instructions.length > MAX_INSTRUCTIONS_CHARS) {
    throw new ReverieError(
      "INVALID_INPUT",
      `Instructions are ${requested.instructions.length} characters; the limit is ${MAX_INSTRUCTIONS_CHARS}. Shorten them to what the dream should focus on or leave alone.`,
      { length: requested.instructions.length },
    );
  }
  const memory = typeof requested.memory === "string" ? await openMemory(requested.memory) : requested.memory;
  const resumed = requested.resume === undefined ? null : await readDream(memory.dir, requested.resume);
  const unscrubbed = resumed ? withResumedDefaults(requested, resumed) : requested;
  // Instructions are recorded and sent to the model like sessions are: a pasted credential is redacted first.
  const instructions = unscrubbed.instructions === undefined ? null : await redactSecrets(unscrubbed.instructions);
  const options = instructions ? { ...unscrubbed, instructions: instructions.text } : unscrubbed;
  const clock = options.clock ?? (() => new Date());
  const consolidator = options.consolidator ?? offlineConsolidator();
  const startedAt = clock();
  const id = newId("drm", startedAt.getTime());
  const progress = (event: Omit<DreamProgress, "id">) => options.onProgress?.({ id, ...event });
  const inputs = await readInputs(memory, options, progress);
  const record = emptyRecord(id, memory.dir, options, consolidator.name, startedAt.toISOString());
  record.resumed_from = resumed?.id ?? null;
  record.inputs.base_commit = inputs.base;
  record.inputs.sessions = inputs.sessions.map((s) => ({ id: s.header.id, sha256: s.header.source.sha256 }));
  const undated = undatedSessions(inputs.sessions).map((s) => s.header.id);
  if (undated.length > 0) record.inputs.undated = undated;
  record.warnings.push(...inputs.warnings);
  if (instructions) record.redacted = addRedactions({ count: 0, kinds: {} }, tally(instructions.kinds));
  const save = () => writeRecord(memory.dir, record);
  // Journaled before the record exists, removed once it is final: a kill in between is found by
  // the next command of any kind, which marks the run failed and deletes a branch it left (adopt.ts).
  const journal = await beginJournal(memory.dir, "dream", { id });
  await save();
  options.onStart?.(id);

  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  if (options.signal?.aborted) controller.abort(options.signal.reason);
  const cancelFile = cancelRequestPath(memory.dir, id);
  const poll = setInterval(() => {
    stat(cancelFile).then(
      () => controller.abort(new ReverieError("CANCELED", `Dream ${id} was canceled.`, { id })),
      () => undefined,
    );
  }, CANCEL_POLL_MS); // not unref'd: a consolidator waiting on a slow peer must not let the process exit mid-dream

  try {
    record.status = "running";
    record.started_at = clock().toISOString();
    await save();
    const checkpoint = fileCheckpoint(memory.dir, resumed?.id ?? id);
    await runStages(memory, inputs, options, consolidator, record, controller.signal, progress, clock, save, checkpoint);
  } catch (error) {
    recordSpending(record, error);
    const canceled = controller.signal.aborted || isReverieError(error, "CANCELED");
    record.status = canceled ? "canceled" : "failed";
    record.error = canceled ? null : toRunError(error);
    await deleteDreamBranch(memory.dir, id);
    record.outputs.branch = null;
    record.outputs.head = null;
  } finally {
    clearInterval(poll);
    options.signal?.removeEventListener("abort", onOuterAbort);
    record.ended_at = clock().toISOString();
    record.runner = null;
    await save();
    await rm(cancelFile, { force: true });
    await journal.done();
  }
  progress({ stage: "done", message: `dream ${id} ${record.status}` });
  return record;
}

/** What a dream reads before its record exists: the pinned commit, its memories, the sessions. */
interface DreamInputs extends ResolvedSessions {
  base: string;
  notes: Note[];
}

/**
 * Pins the memory's current commit and reads the sessions (importing transcript files first).
 * Every way these inputs can be wrong throws here, before the run record is made.
 */
async function readInputs(memory: Memory, options: DreamOptions, progress: (event: Omit<DreamProgress, "id">) => void): Promise<DreamInputs> {
  progress({ stage: "snapshot", message: "pinning the memory's current commit" });
  const edits = await commitFolderEdits(memory, (work) => withWriteLock(memory, work));
  const base = await memory.repo.head();
  if (!base) throw new ReverieError("INVALID_INPUT", `${memory.dir} has no commits yet; write a memory first.`, {});
  const notes = await readMemoriesAt(memory.repo, base);

  progress({ stage: "sessions", message: "reading sessions" });
  const resolved = await resolveSessions(memory.dir, options.sessions, {
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: ({ step, done, total }) => progress({ stage: "sessions", done, total, message: step }),
  });
  if (resolved.sessions.length === 0 && notes.length === 0) {
    throw new ReverieError(
      "INVALID_INPUT",
      `Nothing to dream over: ${memory.dir} has no memories and no imported sessions. Import transcripts first (reverie import <files or folders>), or pass them as the dream's sessions.`,
      { reason: "nothing_to_dream", memory_dir: memory.dir },
    );
  }
  const edited = edits ? [`committed edits made in the folder outside reverie (by Claude Code) as ${edits.slice(0, 7)} before dreaming`] : [];
  return { base, notes, ...resolved, warnings: [...edited, ...resolved.warnings] };
}

async function runStages(
  memory: Memory,
  inputs: DreamInputs,
  options: DreamOptions,
  consolidator: Consolidator,
  record: DreamRecord,
  signal: AbortSignal,
  progress: (event: Omit<DreamProgress, "id">) => void,
  clock: () => Date,
  save: () => Promise<void>,
  checkpoint: ConsolidateCheckpoint,
): Promise<void> {
  const { base, notes } = inputs;
  // No consolidator, offline or model, ever reads a credential: whatever it proposes is built from redacted text.
  const redacted = await redactDreamInputs(inputs.sessions, notes, signal);
  const sessions = redacted.sessions;
  record.redacted = addRedactions(record.redacted ?? { count: 0, kinds: {} }, redacted.redacted);
  await save();

  signal.throwIfAborted();
  progress({ stage: "consolidate", done: 0, total: sessions.length, message: `${consolidator.name}: ${notes.length} memories, ${sessions.length} sessions` });
  const now = record.created_at.replace(/\.\d{3}Z$/, "Z");
  const output = await consolidator.consolidate(
    { memories: redacted.memories, sessions, now, ...(options.instructions !== undefined ? { instructions: options.instructions } : {}) },
    { signal, checkpoint, onProgress: (e: ConsolidateProgress) => progress({ stage: "consolidate", done: e.done, total: e.total, message: e.stage }) },
  );
  signal.throwIfAborted();
  record.ignored_instructions = output.ignoredInstructions;
  if (output.usage) Object.assign(record.usage, output.usage);
  if (output.costUsd !== undefined) record.usage.cost_usd = output.costUsd;
  for (const dropped of output.dropped ?? []) {
    record.warnings.push(`dropped a ${dropped.kind} proposal${dropped.path ? ` for ${dropped.path}` : ""} (${dropped.request}): ${dropped.reason}`);
  }
  const usageOf = operationUsageLookup(output);

  progress({ stage: "validate", message: `checking ${output.operations.length} operations` });
  const patternIds: string[] = [];
  const makeId = () => {
    const id = newId("mem", Date.parse(now));
    patternIds.push(id);
    return id;
  };
  // Trust from effect: whoever proposed them, operations carrying a dangerous command are quarantined (command-trust.ts).
  const trusted = applyCommandTrust(output.operations, sessions);
  const proposedAs = new Map(trusted.map((op, i) => [op, output.operations[i]!]));
  const materialized = dropNoOps(materialize(trusted, notes, { now, newId: makeId }), notes);
  record.gates = await evaluateGates({ base: notes, operations: materialized, sessions, lossCap: options.lossCap ?? memory.config.dream.lossCap });

  const changes = materialized.flatMap((m) => m.changes);
  const known = [...notes.map((n) => n.path), ...changes.map((c) => c.path)];
  const index = await planMemoryIndex({ repo: memory.repo, base, dreamId: record.id, notes, changes, uses: memoryUses(sessions, memory.dir, known) });

  if (materialized.length > 0 || index?.commit) {
    progress({ stage: "write", done: 0, total: materialized.length, message: `writing ${materialized.length} commits to ${dreamBranch(record.id)}` });
    const commits = [manifestCommit(record, notes.length, materialized.length), ...materialized.map((m) => operationCommit(record.id, m)), ...(index?.commit ? [index.commit] : [])];
    const ids = await writeBranch(memory.repo, dreamBranch(record.id), base, commits, signal);
    if (index?.commit) index.summary.commit = ids[ids.length - 1] ?? null;
    await saveOperations(memory.dir, record.id, { now, operations: materialized.map((m) => m.operation), patternIds });
    record.outputs.branch = dreamBranch(record.id);
    record.outputs.head = ids[ids.length - 1] ?? null;
    record.operations = materialized.map((m, i) => ({
      index: i + 1,
      kind: m.operation.kind,
      reason: m.operation.reason,
      evidence: m.operation.evidence,
      paths: touchedPaths(m),
      commit: ids[i + 1] ?? null,
      ...usageOf(proposedAs.get(m.operation) ?? m.operation),
    }));
  }
  for (const kind of DreamOperationKinds) record.outputs.ops[kind] = materialized.filter((m) => m.operation.kind === kind).length;
  if (index) record.outputs.index = index.summary;
  record.status = "completed";
  await save();

  const blocked = record.gates.filter((g) => BLOCKING_GATES.has(g.name) && !g.passed);
  // A command that downloads and runs code (and the like) is never adopted without a person.
  const held = options.autoAdopt ? quarantinedOperations(materialized.map((m) => m.operation), sessions) : [];
  if (held.length > 0) {
    record.warnings.push(`left out of --auto-adopt: operation(s) ${held.join(", ")} carry a dangerous command (see the injection gate); review them with reverie dream show ${record.id}`);
  }
  if (options.autoAdopt && materialized.length > 0 && blocked.length === 0 && held.length === materialized.length) {
    record.warnings.push("not adopted automatically: every operation carries a dangerous command");
    await save();
  } else if (options.autoAdopt && record.outputs.branch !== null && blocked.length === 0) {
    progress({ stage: "adopt", message: `adopting ${record.id}` });
    const { adoptDream } = await import("./adopt.js");
    try {
      const adopted = await adoptDream(memory.dir, record.id, { clock, skip: held });
      Object.assign(record, adopted);
    } catch (error) {
      // The dream itself succeeded: a refused adopt (the memory moved, a hook said no) leaves it for review, never failed.
      const code = isReverieError(error) ? error.code : "INTERNAL";
      record.warnings.push(`${NOT_ADOPTED} ${code}: ${error instanceof Error ? error.message : String(error)}`);
      await save();
    }
  } else if (options.autoAdopt && blocked.length > 0) {
    record.warnings.push(`not adopted automatically: gate(s) ${blocked.map((g) => g.name).join(", ")} failed`);
  }
}

/** Runs `work` holding the memory's write lock, the one every write and adopt takes. */
async function withWriteLock<T>(memory: Memory, work: () => Promise<T>): Promise<T> {
  const { journalHandlers } = await import("./adopt.js");
  const lock = await lockMemoryFolder(memory.dir, async () => memory.repo, { handlers: journalHandlers });
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

function tally(kinds: readonly string[]): InputRedactions {
  const counts: Record<string, number> = {};
  for (const kind of kinds) counts[kind] = (counts[kind] ?? 0) + 1;
  return { count: kinds.length, kinds: counts };
}

/** Both counts together, kinds in alphabetical order. */
function addRedactions(a: InputRedactions, b: InputRedactions): InputRedactions {
  const kinds: Record<string, number> = {};
  for (const kind of [...new Set([...Object.keys(a.kinds), ...Object.keys(b.kinds)])].sort()) kinds[kind] = (a.kinds[kind] ?? 0) + (b.kinds[kind] ?? 0);
  return { count: a.count + b.count, kinds };
}

/** Operations whose changes leave every file as it was are dropped: they would be empty commits for a reviewer. */
function dropNoOps(materialized: MaterializedOperation[], base: readonly { path: string; content: string }[]): MaterializedOperation[] {
  const files = new Map(base.map((n) => [n.path, n.content]));
  const kept: MaterializedOperation[] = [];
  for (const m of materialized) {
    const changes = m.changes.filter((c) => c.from !== undefined || files.get(c.path) !== (c.content ?? undefined));
    for (const c of m.changes) {
      if (c.from !== undefined) files.delete(c.from);
      if (c.content === null) files.delete(c.path);
      else files.set(c.path, c.content);
    }
    if (changes.length > 0) kept.push({ ...m, changes });
  }
  return kept;
}

/** Per-operation token attribution, when the consolidator reports it (parallel to its operations). */
function operationUsageLookup(output: ConsolidateOutput): (operation: DreamOperation) => { usage?: RecordedOperation["usage"] } {
  const perOperation = (output as { operationUsage?: Array<ConsolidateUsage & { costUsd?: number }> }).operationUsage;
  if (!perOperation) return () => ({});
  const byOperation = new Map(output.operations.map((op, i) => [op, perOperation[i]]));
  return (operation) => {
    const u = byOperation.get(operation);
    return u ? { usage: { input_tokens: u.input_tokens, output_tokens: u.output_tokens, cost_usd: u.costUsd ?? 0 } } : {};
  };
}

/** A model failure still cost money: keep what it reported so the record shows the spend. */
function recordSpending(record: DreamRecord, error: unknown): void {
  if (!isReverieError(error, "MODEL_ERROR")) return;
  const usage = error.data.usage as Partial<ConsolidateUsage> | undefined;
  if (usage) {
    for (const key of ["input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"] as const) {
      if (typeof usage[key] === "number") record.usage[key] = usage[key];
    }
  }
  if (typeof error.data.costUsd === "number") record.usage.cost_usd = error.data.costUsd;
}

function toRunError(error: unknown): { type: DreamErrorType; message: string } {
  if (isReverieError(error)) {
    const type = error.data.type;
    if (error.code === "MODEL_ERROR" && typeof type === "string") return { type: type as DreamErrorType, message: error.message };
    if (error.code === "NOT_FOUND") return { type: "input_session_unavailable", message: error.message };
    if (error.code === "INVALID_INPUT" || error.code === "PARSE_ERROR" || error.code === "INVALID_PATH") return { type: "invalid_input", message: error.message };
    return { type: "internal_error", message: error.message };
  }
  return { type: "internal_error", message: error instanceof Error ? error.message : String(error) };
}

/** A resumed dream reads the same sessions and instructions as the run it continues, unless told otherwise. */
function withResumedDefaults(requested: DreamOptions, resumed: DreamRecord): DreamOptions {
  if (resumed.status === "pending" || resumed.status === "running") {
    throw new ReverieError("INVALID_INPUT", `Dream ${resumed.id} is still ${resumed.status}; it can be resumed once it has stopped.`, { id: resumed.id });
  }
  return {
    ...requested,
    sessions: requested.sessions ?? resumed.inputs.sessions.map((s) => s.id),
    ...(requested.instructions === undefined && resumed.instructions !== null ? { instructions: resumed.instructions } : {}),
  };
}

/** Reads a file of dream instructions, enforcing the 4,096-character limit with a clear message. */
export async function readInstructionsFile(path: string): Promise<string> {
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new ReverieError("NOT_FOUND", `Cannot read --instructions ${path}: ${error.code === "ENOENT" ? "no such file" : error.message}.`, { path });
  });
  if (text.length > MAX_INSTRUCTIONS_CHARS) {
    throw new ReverieError("INVALID_INPUT", `${path} has ${text.length} characters; dream instructions may have at most ${MAX_INSTRUCTIONS_CHARS}.`, { path, length: text.length });
  }
  return text;
}
