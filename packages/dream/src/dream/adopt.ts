import { readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import {
  beginJournal,
  formatTrailers,
  isReverieError,
  journalOwnerDead,
  lockMemoryFolder,
  openMemory,
  ReverieError,
  requireGit,
  type GitRepo,
  type JournalHandler,
  type Memory,
  type Notice,
} from "@reverie/core";
import { materialize } from "../consolidate/materialize.js";
import { createsMemory } from "../consolidate/operations.js";
import { deleteDreamBranch, dreamBranch, dreamBranchHead, writeBranch, type BranchCommit } from "./branch.js";
import { operationCommit } from "./commits.js";
import { BLOCKING_GATES } from "./gates.js";
import { loadOperations } from "./operations-file.js";
import { cancelRequestPath, readDream, recordPath, writeRecord, type DreamRecord } from "./record.js";
import { readMemoriesAt } from "./snapshot.js";
import { commitFolderEdits, commitIndexAtHead, planMemoryIndex } from "../memory-index.js";

export interface AdoptOptions {
  /** 1-based operation numbers (as `dream show` lists them) to leave out. */
  skip?: number[];
  /** Adopt even though a blocking gate (loss cap, evidence, injection) failed. @default false */
  force?: boolean;
  clock?: () => Date;
  /** Told one line for each thing repaired before the adopt (an interrupted adopt finished, a stale git lock removed). @default stderr */
  onNotice?: Notice;
}

/** What adopt did: the record's adoption fields, and whether the dream had been adopted already (nothing was done). */
export type AdoptResult = Pick<DreamRecord, "adopted" | "archived_at" | "outputs"> & { alreadyAdopted: boolean };

/**
 * Adopt and discard hold the memory's write lock, the one `memory.write` takes, so they never
 * interleave with writes or each other; taking it finishes an adopt a crash interrupted.
 */
async function withMemoryLock<T>(memory: Memory, work: () => Promise<T>, onNotice?: Notice): Promise<T> {
  const lock = await lockMemoryFolder(memory.dir, async () => memory.repo, { handlers: journalHandlers, ...(onNotice ? { onNotice } : {}) });
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

function adoptable(record: DreamRecord, force: boolean): void {
  if (record.status !== "completed") {
    throw new ReverieError("INVALID_INPUT", `Dream ${record.id} is ${record.status}; only a completed dream can be adopted.`, { id: record.id, status: record.status });
  }
  if (record.archived_at || !record.outputs.branch) {
    throw new ReverieError("INVALID_INPUT", `Dream ${record.id} has no branch to adopt (${record.archived_at ? "it was discarded" : "it changed nothing"}).`, { id: record.id });
  }
  const failed = record.gates.filter((g) => BLOCKING_GATES.has(g.name) && !g.passed);
  if (failed.length > 0 && !force) {
    throw new ReverieError(
      "GATE_FAILED",
      `Dream ${record.id} failed its ${failed.map((g) => g.name).join(", ")} gate(s) (${failed.map((g) => `${g.name}: ${g.detail}`).join("; ")}); a dream that fails a blocking gate is not adopted. Fix the cause and dream again, or discard it (reverie dream discard ${record.id}); to adopt it anyway, pass --force.`,
      { id: record.id, gates: failed.map((g) => g.name) },
    );
  }
}

/** Every path adopting the dream may change: its operations' and the index it rebuilt. */
function touchedBy(record: DreamRecord): string[] {
  return [...new Set([...record.operations.flatMap((op) => op.paths), ...(record.outputs.index ? [record.outputs.index.path] : [])])];
}

/** The temporary ref `adopt --skip` writes the kept operations to. */
function selectionRef(id: string): string {
  return `refs/heads/dream-adopt/${id}`;
}

/**
 * Merges a dream into the memory branch, whole or without the skipped operations. The merge is
 * computed first with `git merge-tree`, touching nothing: if the memory branch moved since the
 * dream's base and an operation truly conflicts, adopt stops with `CONFLICT` naming the
 * operations, and the folder is exactly as it was. Otherwise a normal `git merge --no-ff`
 * records it (the user's hooks and signing apply).
 */
export async function adoptDream(memoryDir: string, id: string, options: AdoptOptions = {}): Promise<AdoptResult> {
  const memory = await openMemory(memoryDir);
  // The record is read under the lock: two adopts of one dream must not both find it unadopted.
  return withMemoryLock(memory, () => adoptLocked(memory, id, options), options.onNotice);
}

/**
 * Adopting is idempotent: a dream whose record says adopted, or whose adopt merge is in the
 * memory's history (an adopt from before the journal, killed before it wrote the record), is
 * reported as already adopted — its record brought in line with git — and nothing else is done.
 */
async function adoptLocked(memory: Memory, id: string, options: AdoptOptions): Promise<AdoptResult> {
  const record = await readDream(memory.dir, id);
  if (record.adopted) return { adopted: record.adopted, archived_at: record.archived_at, outputs: record.outputs, alreadyAdopted: true };
  const merged = record.status === "completed" ? await findAdoptMerge(memory.repo, id) : null;
  if (merged) {
    await recordAdoption(memory, record, merged, options.skip ?? [], options.clock);
    return { adopted: record.adopted, archived_at: record.archived_at, outputs: record.outputs, alreadyAdopted: true };
  }
  adoptable(record, options.force === true);
  // Claude Code's own edits in its folder since the dream are committed first, so the merge takes them in.
  await commitFolderEdits(memory, (work) => work());
  const skip = [...new Set(options.skip ?? [])].sort((a, b) => a - b);
  for (const n of skip) {
    if (!Number.isInteger(n) || n < 1 || n > record.operations.length) {
      throw new ReverieError("INVALID_INPUT", `--skip ${n}: dream ${id} has operations 1 to ${record.operations.length} (see reverie dream show ${id}).`, { id, skip: n });
    }
  }
  if (skip.length > 0 && skip.length === record.operations.length) {
    throw new ReverieError("INVALID_INPUT", `Skipping all ${skip.length} operations leaves nothing to adopt; discard the dream instead: reverie dream discard ${id}`, { id });
  }
  const branchHead = await dreamBranchHead(memory.repo, id);
  if (!branchHead) throw new ReverieError("NOT_FOUND", `Branch ${dreamBranch(id)} is gone; the dream cannot be adopted. Run it again.`, { id });

  const touched = touchedBy(record);
  // Written (and fsync'd) before the first step, removed after the last: a crash in between is finished by the next command.
  const journal = await beginJournal(memory.dir, "adopt", {
    id,
    skip,
    force: options.force === true,
    headBefore: await memory.repo.head(),
    dirtyBefore: await dirtyPaths(memory.repo, touched),
  });
  try {
    await mergeDream(memory, record, skip);
  } catch (error) {
    // Nothing was changed (mergeOrRestore and the conflict check guarantee it): there is nothing to finish.
    await journal.done();
    throw error;
  }
  await recordAdoption(memory, record, (await memory.repo.head())!, skip, options.clock);
  await journal.done();
  return { adopted: record.adopted, archived_at: record.archived_at, outputs: record.outputs, alreadyAdopted: false };
}

/** Merges the dream's branch (or, with `skip`, the kept operations written afresh) into HEAD, or changes nothing. */
async function mergeDream(memory: Memory, record: DreamRecord, skip: number[]): Promise<void> {
  const id = record.id;
  let ref = `refs/heads/${dreamBranch(id)}`;
  try {
    if (skip.length > 0) ref = await writeSelection(memory.repo, memory.dir, record, skip);
    await requireGit(memory.dir, [2, 38], "reverie dream adopt");
    const mergeTree = (r: string) => memory.repo.run(["merge-tree", "--write-tree", "--name-only", "--no-messages", "HEAD", r], { okCodes: [1] });
    let merge = await mergeTree(ref);
    let reindex = false;
    const index = record.outputs.index;
    if (merge.code === 1 && index && merge.stdout.split("\n").slice(1).filter(Boolean).every((f) => f === index.path)) {
      // Only the index collides (Claude Code rewrote MEMORY.md since the dream): merge the operations without
      // the dream's index, then rebuild the index over the merged memory.
      ref = skip.length > 0 ? await writeSelection(memory.repo, memory.dir, record, skip, false) : index.commit ? `${index.commit}^` : ref;
      merge = await mergeTree(ref);
      reindex = true;
    }
    if (merge.code === 1) {
      const files = merge.stdout.split("\n").slice(1).filter(Boolean);
      const ops = record.operations.filter((op) => !skip.includes(op.index) && op.paths.some((p) => files.includes(p)));
      throw new ReverieError(
        "CONFLICT",
        `Dream ${id} conflicts with changes made to the memory since it ran (in ${files.join(", ")}): operation(s) ${ops.map((o) => `${o.index} (${o.kind})`).join(", ")}. Nothing was changed. Adopt without them (--skip ${ops.map((o) => o.index).join(" --skip ")}) or run a new dream.`,
        { id, files, operations: ops.map((o) => o.index) },
      );
    }
    const kept = record.operations.length - skip.length;
    const trailers = formatTrailers({ Dream: id, "Memory-Op": "adopt" });
    const body = skip.length > 0 ? `Skipped operation(s): ${skip.join(", ")}.` : "";
    const args = ["merge", "--no-ff", "-q", "-m", `dream: adopt ${id} (${kept} operation${kept === 1 ? "" : "s"})`];
    if (body) args.push("-m", body);
    args.push("-m", trailers, ref);
    await mergeOrRestore(memory, id, args);
    if (reindex) await commitIndexAtHead(memory, id, new Map(Object.entries(index!.uses)));
  } finally {
    if (skip.length > 0) await memory.repo.run(["update-ref", "-d", selectionRef(id)], { okCodes: [1] });
  }
}

/** The steps after the merge: branch deleted (when adopted whole), record written. Each is safe to repeat. */
async function recordAdoption(memory: Memory, record: DreamRecord, commit: string, skip: number[], clock?: () => Date): Promise<void> {
  record.adopted = { commit, at: (clock?.() ?? new Date()).toISOString(), skipped: skip };
  // A dream adopted whole is in the memory's history; one adopted in part keeps its branch so the skipped operations stay reviewable.
  if (skip.length === 0) {
    await deleteDreamBranch(memory.dir, record.id);
    record.archived_at = record.adopted.at;
    // outputs.branch names a branch that exists; outputs.head still names the adopted commits.
    record.outputs.branch = null;
  }
  await writeRecord(memory.dir, record);
}

/** The merge commit that adopted dream `id` into the memory branch, if there is one (its `Dream:` trailer names it). */
async function findAdoptMerge(repo: GitRepo, id: string): Promise<string | null> {
  const found = await repo.run(["log", "--merges", "-F", `--grep=Dream: ${id}`, "--format=%H%x1f%(trailers:key=Memory-Op,valueonly)", "HEAD"], { okCodes: [128] });
  if (found.code !== 0) return null;
  const line = found.stdout.split("\n").find((l) => l.split("\x1f")[1]?.trim() === "adopt");
  return line ? line.split("\x1f")[0]! : null;
}

/** Of `paths`, those with changes git has not recorded (staged, unstaged or untracked). */
async function dirtyPaths(repo: GitRepo, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const status = await repo.run(["status", "--porcelain", "-z", "--untracked-files=all", "--", ...paths]);
  return status.stdout.split("\0").filter((e) => e.length > 3).map((e) => e.slice(3));
}

interface AdoptIntent {
  id: string;
  skip: number[];
  force: boolean;
  headBefore: string | null;
  dirtyBefore: string[];
}

/**
 * Finishes an adopt a crash interrupted. If its merge is in the history, the remaining steps
 * (branch delete, record) are done. If not, whatever the killed merge left is undone — MERGE_HEAD,
 * a merged index, files it had checked out (only files that were clean when the adopt began, so
 * no edit of the user's is touched) — and the adopt is run again.
 */
const finishAdopt: JournalHandler = async (pending, { dir, notice }) => {
  const intent = pending.entry as unknown as AdoptIntent;
  const memory = await openMemory(dir);
  const record = await readDream(dir, intent.id).catch(() => null);
  if (!record) {
    notice(`reverie: dropped the journal of an interrupted adopt of ${intent.id}: its run record is gone.`);
    return pending.done();
  }
  if (record.adopted) {
    notice(`reverie: an interrupted adopt of ${intent.id} had finished; nothing left to do.`);
    return pending.done();
  }
  const merged = await findAdoptMerge(memory.repo, intent.id);
  if (merged) {
    await recordAdoption(memory, record, merged, intent.skip);
    notice(`reverie: finished the interrupted adopt of ${intent.id} (merged in commit ${merged.slice(0, 7)}; branch and record updated).`);
    return pending.done();
  }
  await undoPartialMerge(memory.repo, touchedBy(record), intent.dirtyBefore);
  await pending.done();
  try {
    const done = await adoptLocked(memory, intent.id, { skip: intent.skip, force: intent.force });
    notice(`reverie: finished the interrupted adopt of ${intent.id} (merged in commit ${done.adopted!.commit.slice(0, 7)}).`);
  } catch (error) {
    notice(`reverie: undid an interrupted adopt of ${intent.id}, and adopting it again failed: ${(error as Error).message}`);
  }
};

async function undoPartialMerge(repo: GitRepo, touched: string[], dirtyBefore: readonly string[]): Promise<void> {
  const merging = (await repo.run(["rev-parse", "-q", "--verify", "MERGE_HEAD"], { okCodes: [1] })).code === 0;
  if (merging) await repo.run(["merge", "--abort"], { okCodes: [128] });
  const staged = (await repo.run(["diff", "--cached", "--quiet", "--", ...touched], { okCodes: [1] })).code === 1;
  if (staged) await repo.run(["reset", "-q", "--", ...touched], { okCodes: [1] });
  for (const path of await dirtyPaths(repo, touched)) {
    if (dirtyBefore.includes(path)) continue;
    const inHead = (await repo.run(["cat-file", "-e", `HEAD:${path}`], { okCodes: [128] })).code === 0;
    if (inHead) await repo.run(["checkout", "-q", "HEAD", "--", path]);
    else await rm(join(repo.dir, path), { force: true });
  }
}

/**
 * A dream whose process was killed: its record, still pending or running, is marked failed and
 * a branch the kill left is deleted (what `readDream` does for a dead runner), so the records
 * agree with git after the next command of any kind, not only after `dream list`. A dream still
 * running in another process (dreams do not hold the memory's lock) is left alone.
 */
const finishDream: JournalHandler = async (pending, { dir, notice }) => {
  // This process's own entry is a dream it is running (an MCP server dreams and writes in one process; --auto-adopt adopts inside its dream).
  const own = pending.entry.pid === process.pid && pending.entry.host === hostname();
  if (own || !journalOwnerDead(pending.entry)) return;
  const id = String(pending.entry.id);
  const before = await readFile(recordPath(dir, id), "utf8").then((text) => (JSON.parse(text) as DreamRecord).status, () => null);
  if (before === "pending" || before === "running") {
    const record = await readDream(dir, id);
    if (record.status === "failed") notice(`reverie: marked dream ${id} failed: its process (pid ${pending.entry.pid}) was killed before it finished; nothing was adopted, and no branch is left.`);
  }
  await pending.done();
};

/** Journal kinds `@reverie/dream` finishes after a crash; pass them to `recoverMemory` / `lockMemoryFolder`. */
export const journalHandlers: Readonly<Record<string, JournalHandler>> = { adopt: finishAdopt, dream: finishDream };

/**
 * Runs the adopt merge. A merge that stops after starting (a refusing `pre-merge-commit` or
 * `commit-msg` hook, failed signing) leaves MERGE_HEAD and a staged merge that would break
 * every later write, so it is aborted and the folder checked to be as it was.
 */
async function mergeOrRestore(memory: Memory, id: string, args: string[]): Promise<void> {
  const statusBefore = await porcelain(memory.repo);
  try {
    await memory.repo.run(args);
    return;
  } catch (error) {
    const stderr = isReverieError(error) ? String(error.data.stderr ?? "") : "";
    const merging = (await memory.repo.run(["rev-parse", "-q", "--verify", "MERGE_HEAD"], { okCodes: [1] })).code === 0;
    if (merging) await memory.repo.run(["merge", "--abort"]);
    const stillMerging = (await memory.repo.run(["rev-parse", "-q", "--verify", "MERGE_HEAD"], { okCodes: [1] })).code === 0;
    if (stillMerging || (await porcelain(memory.repo)) !== statusBefore) {
      throw new ReverieError(
        "INTERNAL",
        `Adopting ${id} failed (${firstLine(stderr) || (error as Error).message}) and the merge could not be undone: ${memory.dir} is not as it was before the adopt. Run git merge --abort (or git reset --merge) in ${memory.dir}, check git status, then adopt again.`,
        { id, stderr },
        { cause: error },
      );
    }
    if (/would be overwritten|untracked working tree files/.test(stderr)) {
      throw new ReverieError(
        "INVALID_INPUT",
        `Cannot adopt ${id}: files it changes have uncommitted edits in ${memory.dir} (${stderr.split("\n").filter((l) => l.startsWith("\t")).map((l) => l.trim()).join(", ")}). Commit or discard those edits, then adopt again. Nothing was changed.`,
        { id },
        { cause: error },
      );
    }
    if (!isReverieError(error, "GIT_FAILED")) throw error;
    throw new ReverieError(
      "INVALID_INPUT",
      `Cannot adopt ${id}: git merge was refused${firstLine(stderr) ? ` (${firstLine(stderr)})` : ""}; a git hook (pre-merge-commit, commit-msg) or commit signing refused the merge. Nothing was changed. Fix what the hook or signing reports (or its configuration), then adopt again.`,
      { id, stderr },
      { cause: error },
    );
  }
}

/** The index and tracked files' state, to tell that an aborted merge left the folder as it found it. */
async function porcelain(repo: GitRepo): Promise<string> {
  return (await repo.run(["status", "--porcelain=v1", "--untracked-files=no"])).stdout;
}

function firstLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? "";
}

/** Writes the kept operations again on top of the dream's base, as a temporary ref to merge. */
async function writeSelection(repo: GitRepo, memoryDir: string, record: DreamRecord, skip: number[], withIndex = true): Promise<string> {
  const saved = await loadOperations(memoryDir, record.id);
  const base = record.inputs.base_commit!;
  const notes = await readMemoriesAt(repo, base);
  const ids = [...saved.patternIds];
  const patternIdFor = new Map<number, string>();
  saved.operations.forEach((op, i) => {
    if (createsMemory(op)) patternIdFor.set(i + 1, ids.shift()!);
  });
  const keptIndexes = record.operations.map((o) => o.index).filter((n) => !skip.includes(n));
  const kept = keptIndexes.map((n) => saved.operations[n - 1]!);
  const keptPatternIds = keptIndexes.filter((n) => patternIdFor.has(n)).map((n) => patternIdFor.get(n)!);
  let materialized;
  try {
    materialized = materialize(kept, notes, { now: saved.now, newId: () => keptPatternIds.shift()! });
  } catch (error) {
    throw new ReverieError(
      "INVALID_INPUT",
      `The operations kept after --skip ${skip.join(" --skip ")} depend on a skipped one: ${(error as Error).message}`,
      { id: record.id, skip },
      { cause: error },
    );
  }
  const commits: BranchCommit[] = materialized.map((m) => operationCommit(record.id, m));
  // The index lists the memory as the kept operations leave it, ranked as the dream ranked it.
  const uses = new Map(Object.entries(record.outputs.index?.uses ?? {}));
  const index = await planMemoryIndex({ repo, base, dreamId: record.id, notes, changes: materialized.flatMap((m) => m.changes), uses });
  if (withIndex && index?.commit) commits.push(index.commit);
  const ref = selectionRef(record.id);
  // A killed adopt --skip leaves its ref behind; fast-import would refuse to move it to an unrelated tip.
  await repo.run(["update-ref", "-d", ref], { okCodes: [1] });
  await writeBranch(repo, ref.slice("refs/heads/".length), base, commits);
  return ref;
}

/**
 * Drops a dream: deletes its branch and marks the record archived. The memory branch is
 * untouched: a dream adopted whole cannot be discarded (revert its merge instead); for one
 * adopted in part, only the branch kept for review goes and the adopted operations stay.
 */
export async function discardDream(memoryDir: string, id: string, options: { clock?: () => Date; onNotice?: Notice } = {}): Promise<DreamRecord> {
  const memory = await openMemory(memoryDir);
  return withMemoryLock(memory, async () => {
    const record = await readDream(memory.dir, id);
    if (record.status === "pending" || record.status === "running") {
      throw new ReverieError("INVALID_INPUT", `Dream ${id} is still ${record.status}; cancel it first: reverie dream cancel ${id}`, { id });
    }
    if (record.adopted && record.adopted.skipped.length === 0) {
      const commit = record.adopted.commit.slice(0, 7);
      throw new ReverieError(
        "INVALID_INPUT",
        `Dream ${id} was adopted whole in commit ${commit}; there is no branch left to discard. To undo it, revert that merge: git revert -m 1 ${commit}`,
        { id, commit: record.adopted.commit },
      );
    }
    await deleteDreamBranch(memory.dir, id);
    record.outputs.branch = null;
    record.archived_at ??= (options.clock?.() ?? new Date()).toISOString();
    await writeRecord(memory.dir, record);
    return record;
  }, options.onNotice);
}

/**
 * Asks a running dream — in this process or another — to stop; waits until it has (a canceled
 * dream leaves no branch). A dream whose process is gone is marked failed by `readDream`.
 */
export async function cancelDream(memoryDir: string, id: string, options: { timeoutMs?: number } = {}): Promise<DreamRecord> {
  const memory = await openMemory(memoryDir);
  let record = await readDream(memory.dir, id);
  if (record.status !== "pending" && record.status !== "running") return record;
  await writeFile(cancelRequestPath(memory.dir, id), new Date().toISOString());
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    record = await readDream(memory.dir, id);
    if (record.status !== "pending" && record.status !== "running") return record;
  }
  await rm(cancelRequestPath(memory.dir, id), { force: true });
  throw new ReverieError("INTERNAL", `Dream ${id} did not stop within ${Math.round((options.timeoutMs ?? 30_000) / 1000)} s of being asked to; its process (pid ${record.runner?.pid}) may be stuck.`, { id });
}
