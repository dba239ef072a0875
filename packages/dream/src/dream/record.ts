import { hostname } from "node:os";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { ReverieError, reverieTempDir, writeFileAtomic } from "@reverie/core";
import { deleteDreamBranch } from "./branch.js";
import type { DreamOperationKind, Evidence } from "../consolidate/operations.js";
import type { IndexSummary } from "../memory-index.js";

export const DreamStatuses = ["pending", "running", "completed", "failed", "canceled"] as const;
export type DreamStatus = (typeof DreamStatuses)[number];

/** Error types mirror the hosted service's, so tooling can treat both alike. */
export const DreamErrorTypes = [
  "timeout",
  "internal_error",
  "budget_exceeded",
  "input_memory_store_too_large",
  "input_session_unavailable",
  "model_error",
  "rate_limited",
  "invalid_input",
] as const;
export type DreamErrorType = (typeof DreamErrorTypes)[number];

export interface DreamUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cost_usd: number;
}

export interface GateResult {
  name: string;
  passed: boolean;
  detail: string;
}

/** One operation as the record lists it for `dream show` and `adopt --skip`. */
export interface RecordedOperation {
  /** 1-based, the number `adopt --skip N` takes. */
  index: number;
  kind: DreamOperationKind;
  reason: string;
  evidence: Evidence[];
  /** Memory paths the operation writes, deletes or moves. */
  paths: string[];
  /** Its commit on the dream branch. */
  commit: string | null;
  /** Tokens and cost spent on it, when a model proposed it. */
  usage?: { input_tokens: number; output_tokens: number; cost_usd: number };
}

/** The run record `.reverie/runs/<id>.json` (DESIGN §4), rewritten atomically at every state change. */
export interface DreamRecord {
  id: string;
  status: DreamStatus;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  archived_at: string | null;
  inputs: {
    memory_dir: string;
    base_commit: string | null;
    sessions: Array<{ id: string; sha256: string }>;
    /** Sessions with no start time (text exports): their order was guessed from the file name. */
    undated?: string[];
  };
  provider: string;
  model: string | null;
  instructions: string | null;
  /** Instruction lines the consolidator could not apply. */
  ignored_instructions: string[];
  budget: { usd: number | null };
  usage: DreamUsage;
  outputs: {
    branch: string | null;
    head: string | null;
    ops: Record<DreamOperationKind, number>;
    /** The rebuilt `MEMORY.md` index, in a memory that keeps one (a Claude Code auto memory folder). */
    index?: IndexSummary;
  };
  operations: RecordedOperation[];
  gates: GateResult[];
  error: { type: DreamErrorType; message: string } | null;
  /** Set once the dream is merged into the memory branch. */
  adopted: { commit: string; at: string; skipped: number[] } | null;
  /** Problems met on the way that did not stop the dream (e.g. transcript lines skipped). */
  warnings: string[];
  /** The process running the dream, so another process can tell a live run from a dead one. */
  runner: { pid: number; host: string } | null;
  /** The failed or canceled dream this one resumed, reusing its paid-for model answers. */
  resumed_from: string | null;
  /**
   * Credentials replaced by `<redacted:kind>` in the sessions and memories before the consolidator
   * read them (always on): how many, and how many of each kind. Never the values. Absent in
   * records written before redaction existed.
   */
  redacted?: { count: number; kinds: Record<string, number> };
}

export const EMPTY_OPS: Readonly<Record<DreamOperationKind, number>> = { dedup: 0, stale: 0, pattern: 0, verify: 0, learn: 0, reorganize: 0 };

export function runsDir(memoryDir: string): string {
  return join(memoryDir, ".reverie", "runs");
}

export function recordPath(memoryDir: string, id: string): string {
  return join(runsDir(memoryDir), `${id}.json`);
}

/** Where a running dream looks for a cancel request from another process. */
export function cancelRequestPath(memoryDir: string, id: string): string {
  return join(runsDir(memoryDir), `${id}.cancel`);
}

const DREAM_ID = /^drm_[0-9A-HJKMNP-TV-Z]{26}$/;

export function assertDreamId(id: string): void {
  if (!DREAM_ID.test(id)) {
    throw new ReverieError("INVALID_INPUT", `${JSON.stringify(id)} is not a dream id: ids look like drm_01JD3Q9W6T8ZP4M2K7X5B1C0RA (see reverie dream list).`, { id });
  }
}

export async function writeRecord(memoryDir: string, record: DreamRecord): Promise<void> {
  await writeFileAtomic(recordPath(memoryDir, record.id), `${JSON.stringify(record, null, 2)}\n`, { tempDir: reverieTempDir(memoryDir), kind: "record" });
}

function isAlive(runner: DreamRecord["runner"]): boolean {
  if (!runner || runner.host !== hostname()) return true; // another machine: cannot tell, assume alive
  try {
    process.kill(runner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * Reads a run record. A run still marked pending/running whose process is gone is a crashed
 * run: it is rewritten as failed (`internal_error`) and its branch, if the crash left one,
 * deleted, so a dead run never looks in progress or complete.
 */
export async function readDream(memoryDir: string, id: string): Promise<DreamRecord> {
  assertDreamId(id);
  let text: string;
  try {
    text = await readFile(recordPath(memoryDir, id), "utf8");
  } catch {
    throw new ReverieError("NOT_FOUND", `No dream ${id} in ${memoryDir}. List dreams with: reverie dream list`, { id });
  }
  const record = JSON.parse(text) as DreamRecord;
  if ((record.status === "pending" || record.status === "running") && !isAlive(record.runner)) {
    record.status = "failed";
    record.ended_at = new Date().toISOString();
    record.error = {
      type: "internal_error",
      message: `The process running this dream (pid ${record.runner?.pid}) stopped before it finished; nothing was adopted. Run the dream again.`,
    };
    await deleteDreamBranch(memoryDir, id);
    record.outputs.branch = null;
    record.outputs.head = null;
    await writeRecord(memoryDir, record);
    await rm(cancelRequestPath(memoryDir, id), { force: true });
  }
  return record;
}

/** Every run record, newest first. */
export async function listDreamIds(memoryDir: string): Promise<string[]> {
  const names = await readdir(runsDir(memoryDir)).catch(() => [] as string[]);
  return names
    .filter((n) => n.endsWith(".json") && DREAM_ID.test(n.slice(0, -5)))
    .map((n) => n.slice(0, -5))
    .sort()
    .reverse();
}
