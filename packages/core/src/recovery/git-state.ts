import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ReverieError } from "../errors.js";

/** A rebase, merge, cherry-pick or revert that stopped half-way, as git marks it in the git dir. */
export interface OperationInProgress {
  code: "REBASE_IN_PROGRESS" | "MERGE_IN_PROGRESS";
  /** The git-dir entry that marks it: `rebase-merge`, `rebase-apply`, `MERGE_HEAD`, … */
  file: string;
  /** The git command, e.g. `rebase`. */
  command: "rebase" | "merge" | "cherry-pick" | "revert";
  /** The branch being rebased, when git recorded it. */
  branch: string | null;
}

/** Asked before every write: a stat each, synchronous (a thread-pool round trip costs more). */
const exists = (path: string) => existsSync(path);

/** Every operation in progress in the repository whose git dir is `gitDir` (a few stats). */
export async function operationsInProgress(gitDir: string): Promise<OperationInProgress[]> {
  const found: OperationInProgress[] = [];
  for (const file of ["rebase-merge", "rebase-apply"]) {
    if (!exists(join(gitDir, file))) continue;
    const head = await readFile(join(gitDir, file, "head-name"), "utf8").catch(() => "");
    const branch = head.trim().startsWith("refs/heads/") ? head.trim().slice("refs/heads/".length) : null;
    found.push({ code: "REBASE_IN_PROGRESS", file, command: "rebase", branch });
    break;
  }
  for (const [file, command] of [["MERGE_HEAD", "merge"], ["CHERRY_PICK_HEAD", "cherry-pick"], ["REVERT_HEAD", "revert"]] as const) {
    if (exists(join(gitDir, file))) found.push({ code: "MERGE_IN_PROGRESS", file, command, branch: null });
  }
  return found;
}

/** "A rebase of main, started outside reverie," — what a person reads first. */
export function describeOperation(op: OperationInProgress): string {
  return `A ${op.command}${op.branch ? ` of ${op.branch}` : ""}, started outside reverie,`;
}

/** How to finish or undo `op`: git's own commands, with `-C dir` so they work from anywhere. */
export function operationFix(op: OperationInProgress, dir: string): string {
  if (op.command === "merge") return `finish it (resolve, git add, git -C ${dir} commit) or undo it (git -C ${dir} merge --abort)`;
  return `finish it (resolve, git add, git -C ${dir} ${op.command} --continue) or undo it (git -C ${dir} ${op.command} --abort)`;
}

/**
 * Refuses to start a change while the repository is mid-rebase or mid-merge: a commit made now
 * would land inside that operation (or fail on its conflicts). Reverie's own interrupted syncs
 * are undone before this runs (recovery), so what is found here was started by someone else.
 * `blocked` says what cannot happen, e.g. "the write of a.md cannot be committed".
 * @throws ReverieError `LOCKED`, naming the operation and how to finish or undo it.
 */
export async function assertNoOperationInProgress(dir: string, gitDir: string, blocked: string): Promise<void> {
  const [op] = await operationsInProgress(gitDir);
  if (!op) return;
  throw new ReverieError(
    "LOCKED",
    `${describeOperation(op)} is in progress in ${dir}, so ${blocked}; nothing was changed. ${capitalize(operationFix(op, dir))}, then try again.`,
    { dir, operation: op.command, ...(op.branch ? { branch: op.branch } : {}) },
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
