import { rm, writeFile } from "node:fs/promises";
import { formatTrailers, isReverieError, openMemory, ReverieError } from "@reverie/core";
import { materialize } from "../consolidate/materialize.js";
import { deleteDreamBranch, dreamBranch, dreamBranchHead, writeBranch, type BranchCommit } from "./branch.js";
import { operationCommit } from "./commits.js";
import { loadOperations } from "./operations-file.js";
import { cancelRequestPath, readDream, writeRecord, type DreamRecord } from "./record.js";
import { readMemoriesAt } from "./snapshot.js";

export interface AdoptOptions {
  /** 1-based operation numbers (as `dream show` lists them) to leave out. */
  skip?: number[];
  clock?: () => Date;
}

function adoptable(record: DreamRecord): void {
  if (record.status !== "completed") {
    throw new ReverieError("INVALID_INPUT", `Dream ${record.id} is ${record.status}; only a completed dream can be adopted.`, { id: record.id, status: record.status });
  }
  if (record.adopted) {
    throw new ReverieError("INVALID_INPUT", `Dream ${record.id} was already adopted in commit ${record.adopted.commit.slice(0, 7)}.`, { id: record.id });
  }
  if (record.archived_at || !record.outputs.branch) {
    throw new ReverieError("INVALID_INPUT", `Dream ${record.id} has no branch to adopt (${record.archived_at ? "it was discarded" : "it changed nothing"}).`, { id: record.id });
  }
}

/**
 * Merges a dream into the memory branch, whole or without the skipped operations. The merge is
 * computed first with `git merge-tree`, touching nothing: if the memory branch moved since the
 * dream's base and an operation truly conflicts, adopt stops with `CONFLICT` naming the
 * operations, and the folder is exactly as it was. Otherwise a normal `git merge --no-ff`
 * records it (the user's hooks and signing apply).
 */
export async function adoptDream(memoryDir: string, id: string, options: AdoptOptions = {}): Promise<Pick<DreamRecord, "adopted" | "archived_at">> {
  const memory = await openMemory(memoryDir);
  const record = await readDream(memory.dir, id);
  adoptable(record);
  const skip = [...new Set(options.skip ?? [])].sort((a, b) => a - b);
  for (const n of skip) {
    if (!Number.isInteger(n) || n < 1 || n > record.operations.length) {
      throw new ReverieError("INVALID_INPUT", `--skip ${n}: dream ${id} has operations 1 to ${record.operations.length} (see reverie dream show ${id}).`, { id, skip: n });
    }
  }
  if (skip.length === record.operations.length) {
    throw new ReverieError("INVALID_INPUT", `Skipping all ${skip.length} operations leaves nothing to adopt; discard the dream instead: reverie dream discard ${id}`, { id });
  }
  const branchHead = await dreamBranchHead(memory.repo, id);
  if (!branchHead) throw new ReverieError("NOT_FOUND", `Branch ${dreamBranch(id)} is gone; the dream cannot be adopted. Run it again.`, { id });

  const ref = skip.length === 0 ? `refs/heads/${dreamBranch(id)}` : await writeSelection(memory.repo, memory.dir, record, skip);
  try {
    const merge = await memory.repo.run(["merge-tree", "--write-tree", "--name-only", "--no-messages", "HEAD", ref], { okCodes: [1] });
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
    try {
      await memory.repo.run(args);
    } catch (error) {
      if (isReverieError(error, "GIT_FAILED") && /would be overwritten|untracked working tree files/.test(String(error.data.stderr))) {
        throw new ReverieError(
          "INVALID_INPUT",
          `Cannot adopt ${id}: files it changes have uncommitted edits in ${memory.dir} (${String(error.data.stderr).split("\n").filter((l) => l.startsWith("\t")).map((l) => l.trim()).join(", ")}). Commit or discard those edits, then adopt again. Nothing was changed.`,
          { id },
          { cause: error },
        );
      }
      throw error;
    }
  } finally {
    if (skip.length > 0) await memory.repo.run(["update-ref", "-d", ref], { okCodes: [1] });
  }
  const commit = (await memory.repo.head())!;
  record.adopted = { commit, at: (options.clock?.() ?? new Date()).toISOString(), skipped: skip };
  // A dream adopted whole is in the memory's history; one adopted in part keeps its branch so the skipped operations stay reviewable.
  if (skip.length === 0) {
    await deleteDreamBranch(memory.dir, id);
    record.archived_at = record.adopted.at;
  }
  await writeRecord(memory.dir, record);
  return { adopted: record.adopted, archived_at: record.archived_at };
}

/** Writes the kept operations again on top of the dream's base, as a temporary ref to merge. */
async function writeSelection(repo: import("@reverie/core").GitRepo, memoryDir: string, record: DreamRecord, skip: number[]): Promise<string> {
  const saved = await loadOperations(memoryDir, record.id);
  const base = record.inputs.base_commit!;
  const notes = await readMemoriesAt(repo, base);
  const ids = [...saved.patternIds];
  const patternIdFor = new Map<number, string>();
  saved.operations.forEach((op, i) => {
    if (op.kind === "pattern") patternIdFor.set(i + 1, ids.shift()!);
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
  const ref = `dream-adopt/${record.id}`;
  await writeBranch(repo, ref, base, commits);
  return `refs/heads/${ref}`;
}

/** Drops a dream: deletes its branch and marks the record archived. The memory branch is untouched. */
export async function discardDream(memoryDir: string, id: string, options: { clock?: () => Date } = {}): Promise<DreamRecord> {
  const memory = await openMemory(memoryDir);
  const record = await readDream(memory.dir, id);
  if (record.status === "pending" || record.status === "running") {
    throw new ReverieError("INVALID_INPUT", `Dream ${id} is still ${record.status}; cancel it first: reverie dream cancel ${id}`, { id });
  }
  if (record.adopted && !record.outputs.branch) {
    throw new ReverieError("INVALID_INPUT", `Dream ${id} was adopted in commit ${record.adopted.commit.slice(0, 7)}; to undo it, revert that commit (git revert -m 1 ${record.adopted.commit.slice(0, 7)}).`, { id });
  }
  await deleteDreamBranch(memory.dir, id);
  record.archived_at ??= (options.clock?.() ?? new Date()).toISOString();
  await writeRecord(memory.dir, record);
  return record;
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
