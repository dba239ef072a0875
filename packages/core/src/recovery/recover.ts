import { readFile, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { isReverieError } from "../errors.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { openRepo, type GitRepo, type Identity } from "../git/repo.js";
import type { Trailers } from "../git/trailers.js";
import { acquireLock, lockOwnerDead, type LockHandle } from "../lock.js";
import { findGitLocks, gitRunningIn, removeStaleGitLocks } from "./git-locks.js";
import { operationsInProgress } from "./git-state.js";
import { journalOwnerDead, readJournal, type PendingEntry } from "./journal.js";
import { leftoverSpoolTemps, leftoverTemps, reverieTempDir, sessionSpoolDir, sweepTemps } from "./temp-files.js";

/** Receives the one-line notices of what recovery repaired (the CLI prints them on stderr). */
export type Notice = (line: string) => void;

/** Finishes or undoes one interrupted journal entry of its kind, then removes it (`pending.done()`). */
export type JournalHandler = (pending: PendingEntry, context: { dir: string; notice: Notice; repo: () => Promise<GitRepo> }) => Promise<void>;

export interface RecoveryOptions {
  /** @default writes the line to process.stderr */
  onNotice?: Notice;
  /** Handlers for journal kinds beyond core's own (`files`); `@reverie/dream` adds `adopt`. */
  handlers?: Readonly<Record<string, JournalHandler>>;
  /** How long to wait for the memory's lock. @default 15000 */
  lockTimeoutMs?: number;
}

export const stderrNotice: Notice = (line) => void process.stderr.write(`${line}\n`);

/** The memory's cross-process write lock, `<dir>/.reverie/lock`. */
export function memoryLockPath(dir: string): string {
  return join(dir, ".reverie", "lock");
}

async function plainGitDir(dir: string): Promise<string | null> {
  const path = join(dir, ".git");
  return (await stat(path).catch(() => null))?.isDirectory() ? path : null;
}

/**
 * Takes the memory's write lock, then, holding it, repairs what a crash may have left: git
 * locks no live git holds, temp files of dead processes in `.reverie/tmp/`, and interrupted
 * journal entries of the kinds it has handlers for (others wait for a caller that knows them).
 * Every writer of the memory takes its lock through here, so none starts on a wedged folder.
 */
export async function lockMemoryFolder(dir: string, repo: () => Promise<GitRepo>, options: RecoveryOptions = {}): Promise<LockHandle> {
  const handle = await acquireLock(memoryLockPath(dir), options.lockTimeoutMs === undefined ? {} : { timeoutMs: options.lockTimeoutMs });
  try {
    await repairLocked(dir, repo, options);
    return handle;
  } catch (error) {
    await handle.release();
    throw error;
  }
}

async function repairLocked(dir: string, repo: () => Promise<GitRepo>, options: RecoveryOptions): Promise<void> {
  const notice = options.onNotice ?? stderrNotice;
  await removeStaleGitLocks(dir, await (await repo()).gitDir(), { onNotice: notice });
  const swept = await sweepTemps(dir);
  for (const [where, temps] of [[reverieTempDir(dir), swept.filter((t) => t.path.startsWith(reverieTempDir(dir)))], [sessionSpoolDir(dir), swept.filter((t) => !t.path.startsWith(reverieTempDir(dir)))]] as const) {
    if (temps.length === 0) continue;
    const bytes = temps.reduce((sum, t) => sum + t.size, 0);
    notice(`reverie: removed ${temps.length} temp file(s) (${formatBytes(bytes)}) in ${where} left by processes that are no longer running.`);
  }
  const handlers: Record<string, JournalHandler> = { files: finishFiles, sync: finishSync, ...options.handlers };
  for (const pending of await readJournal(dir)) {
    const handler = handlers[pending.entry.kind];
    if (handler) await handler(pending, { dir, notice, repo });
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} B`;
}

/**
 * What a crash may have left that needs the lock to repair: the memory's lock held by a dead
 * process, a journal entry or temp file of one, or any git lock (whether a live git holds it is asked under the lock).
 * Costs a few readdirs, so every command can ask it first.
 */
export async function needsRecovery(dir: string): Promise<boolean> {
  if (await lockOwnerDead(memoryLockPath(dir))) return true;
  if ((await readJournal(dir)).some((p) => journalOwnerDead(p.entry))) return true;
  if ((await leftoverTemps(reverieTempDir(dir))).length > 0 || (await leftoverSpoolTemps(dir)).length > 0) return true;
  const gitDir = await plainGitDir(dir);
  return gitDir !== null && (await findGitLocks(gitDir)).length > 0;
}

/**
 * Repairs the memory at `dir` if a crash left anything (see `lockMemoryFolder`), saying what it
 * did through `onNotice`; a folder with nothing to repair is not locked at all, so reads never
 * wait on a writer. Run by every CLI command and by the MCP server when it starts.
 */
export async function recoverMemory(dir: string, options: RecoveryOptions = {}): Promise<void> {
  if (!(await needsRecovery(dir))) return;
  let repo: Promise<GitRepo> | null = null;
  const handle = await lockMemoryFolder(dir, () => (repo ??= openRepo(dir)), options);
  await handle.release();
}

/** The journal entry of a write, delete or move (core's `files` kind). */
export interface FilesIntent {
  subject: string;
  trailers: Trailers;
  author?: Identity;
  /** Paths (relative to the repository) written in place by one atomic rename each. */
  writes?: string[];
  removes?: string[];
  moves?: Array<{ from: string; to: string }>;
}

/**
 * Finishes an interrupted write, delete or move: performs the file steps not yet done (a move
 * whose source is still there, a file still to delete), then commits whatever of its paths git
 * has not recorded, with the attribution the command would have given it. A write whose
 * rename never happened has nothing left to do: its temp is swept, and the file is as before.
 */
const finishFiles: JournalHandler = async (pending, { dir, notice, repo }) => {
  const intent = pending.entry as unknown as FilesIntent;
  const abs = (rel: string) => join(dir, ...rel.split("/"));
  const exists = (rel: string) => stat(abs(rel)).then(() => true, () => false);
  const rels = new Set<string>([...(intent.writes ?? []), ...(intent.removes ?? [])]);
  const added = new Set<string>(intent.writes ?? []);
  try {
    for (const { from, to } of intent.moves ?? []) {
      rels.add(from).add(to);
      added.add(to);
      if (!(await exists(from))) continue;
      const bytes = await readFile(abs(from));
      if (!(await exists(to))) await writeFileAtomic(abs(to), bytes, { tempDir: reverieTempDir(dir), kind: "move" });
      else if (!Buffer.from(await readFile(abs(to))).equals(bytes)) continue; // not this move's copy: leave both
      await rm(abs(from));
    }
    for (const rel of intent.removes ?? []) await rm(abs(rel), { force: true });
    for (const { from } of intent.moves ?? []) await pruneEmpty(dirname(abs(from)), dir);
    for (const rel of intent.removes ?? []) await pruneEmpty(dirname(abs(rel)), dir);
    const git = await repo();
    const status = await git.run(["status", "--porcelain", "-z", "--untracked-files=all", "--", ...rels]);
    const changed = porcelainPaths(status.stdout);
    const toCommit = [...rels].filter((rel) => changed.includes(rel));
    if (toCommit.length === 0) {
      notice(`reverie: an interrupted "${intent.subject}" had already been committed; nothing left to do.`);
    } else {
      const existing = [];
      for (const rel of toCommit) if (added.has(rel) && (await exists(rel))) existing.push(rel);
      const commit = await git.commitPaths(toCommit, { subject: intent.subject, trailers: intent.trailers }, intent.author, existing);
      notice(`reverie: finished an interrupted "${intent.subject}" (commit ${commit.slice(0, 7)}).`);
    }
  } catch (error) {
    if (!isReverieError(error) && !(error as NodeJS.ErrnoException).code) throw error;
    notice(`reverie: could not finish an interrupted "${intent.subject}": ${(error as Error).message} The files are left as they are; see reverie doctor.`);
  }
  await pending.done();
};

/** The journal entry of sync's rebase (or merge) of the remote's commits. */
interface SyncIntent {
  branch: string;
  /** The branch's commit before the rebase: where it is put back. */
  head: string;
  upstreamName: string;
}

/** How long a recovery waits for an orphaned git (its reverie parent killed, it ran on) to finish. */
const ORPHAN_GIT_WAIT_MS = 30_000;

/**
 * Undoes a sync killed while it took in the remote's commits: a rebase (or merge) it left
 * half-done is aborted, and the branch is checked out again at the commit it had before that
 * sync — nothing is lost, since sync commits every local edit before it rebases, and the next
 * sync takes the remote's commits in again. A git the killed sync started that still runs is
 * waited for first (it may finish the rebase by itself). A rebase that finished is kept.
 */
const finishSync: JournalHandler = async (pending, { dir, notice, repo }) => {
  const intent = pending.entry as unknown as SyncIntent;
  const git = await repo();
  const gitDir = await git.gitDir();
  for (const deadline = Date.now() + ORPHAN_GIT_WAIT_MS; Date.now() < deadline && (await gitRunningIn(dir, gitDir)) === true; ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await removeStaleGitLocks(dir, gitDir, { onNotice: notice, waitMs: 0 });
  const undone: string[] = [];
  let torn = false;
  for (const op of await operationsInProgress(gitDir)) {
    const abort = await git.run([op.command, "--abort"], { okCodes: [1, 128] });
    // A rebase killed as it began may have left its state too torn to abort: drop it.
    if (abort.code !== 0) {
      await rm(join(gitDir, op.file), { recursive: true, force: true });
      torn = true;
    }
    undone.push(op.command);
  }
  const onBranch = (await git.run(["symbolic-ref", "-q", "HEAD"], { okCodes: [1] })).stdout.trim() === `refs/heads/${intent.branch}`;
  const branchAt = (await git.run(["rev-parse", "--verify", "-q", `refs/heads/${intent.branch}`], { okCodes: [1] })).stdout.trim();
  // Back on the branch, work tree and index equal to its commit, when the abort could not do it
  // (a torn rebase leaves neither). A clean abort already did, and keeps edits made since.
  if (!onBranch || torn) await git.run(["checkout", "-q", "-f", intent.branch]);
  const at = branchAt.slice(0, 7);
  if (undone.length > 0 || !onBranch) {
    const what = undone.length > 0 ? `the ${undone[0]} of ${intent.branch} onto ${intent.upstreamName}` : `the detached HEAD`;
    notice(`reverie: undid ${what} that a killed sync left half-done; ${intent.branch} is checked out at ${at}${branchAt === intent.head ? ", as before that sync" : ""}.`);
  } else {
    notice(`reverie: a killed sync of ${intent.branch} left nothing half-done (${intent.branch} at ${at}).`);
  }
  await pending.done();
};

/** The paths of `git status --porcelain -z` output (a rename's entry is followed by its source path). */
function porcelainPaths(out: string): string[] {
  const entries = out.split("\0");
  const paths: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    if (entry[0] === "R" || entry[0] === "C") paths.push(entries[++i] ?? "");
  }
  return paths;
}

async function pruneEmpty(start: string, root: string): Promise<void> {
  for (let folder = start; folder !== root && folder.startsWith(`${root}${sep}`); folder = dirname(folder)) {
    if (!(await rmdir(folder).then(() => true, () => false))) break;
  }
}
