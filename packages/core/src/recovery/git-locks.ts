import { readdirSync, statSync, type Dirent } from "node:fs";
import { readdir, readFile, readlink, stat, unlink } from "node:fs/promises";
import { join, relative, sep } from "node:path";

/** A `*.lock` file git left in a repository's git dir. */
export interface GitLock {
  /** Absolute path of the lock file. */
  path: string;
  /** Its path inside the git dir, e.g. `index.lock`, `refs/heads/main.lock`. */
  name: string;
  mtimeMs: number;
  ino: number;
}

/**
 * The lock files git creates while it changes a repository: the index (and the temporary
 * `next-index-*.lock` of `commit -- <paths>`), HEAD and other top-level refs, config,
 * packed-refs, and every loose ref under `refs/`.
 */
export async function findGitLocks(gitDir: string): Promise<GitLock[]> {
  // Synchronous reads: this runs before every write, over a handful of small folders.
  const found: GitLock[] = [];
  let top: string[] = [];
  try {
    top = readdirSync(gitDir);
  } catch {
    // no git dir: no locks
  }
  for (const name of top) {
    if (name.endsWith(".lock")) addLock(found, gitDir, join(gitDir, name));
  }
  walkRefs(found, gitDir, join(gitDir, "refs"));
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function walkRefs(found: GitLock[], gitDir: string, dir: string): void {
  let entries: Dirent[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walkRefs(found, gitDir, path);
    else if (entry.name.endsWith(".lock")) addLock(found, gitDir, path);
  }
}

function addLock(found: GitLock[], gitDir: string, path: string): void {
  const info = statSync(path, { throwIfNoEntry: false });
  if (info?.isFile()) found.push({ path, name: relative(gitDir, path).split(sep).join("/"), mtimeMs: info.mtimeMs, ino: info.ino });
}

/** Where there is no process table to read, a lock this old is taken to be a crash's leftover. */
const NO_PROC_STALE_MS = 60_000;

/**
 * Whether a git process may be working in the repository whose work tree is `workTree` (and
 * git dir `gitDir`). On Linux the process table answers it: a process whose name starts with
 * `git` and whose working directory is the work tree, the git dir, or inside either, may own
 * a lock there (git always runs in the repository it changes; `git -C` chdirs before it locks).
 * A git process whose working directory cannot be read (another user's) counts as live.
 * Elsewhere (no /proc) the answer is `null` and callers fall back to the lock's age.
 */
export async function gitRunningIn(workTree: string, gitDir: string): Promise<boolean | null> {
  let pids: string[];
  try {
    pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const inside = (cwd: string) => [workTree, gitDir].some((root) => cwd === root || cwd.startsWith(`${root}${sep}`));
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    const comm = await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "");
    if (!comm.startsWith("git")) continue;
    const cwd = await readlink(`/proc/${pid}/cwd`).catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" || error.code === "ESRCH" ? null : "?"));
    if (cwd === null) continue; // it exited while we looked
    if (cwd === "?" || inside(cwd)) return true;
  }
  return false;
}

export interface StaleLockOptions {
  /** How long to wait for a live git process to finish and release its locks. @default 10000 */
  waitMs?: number;
  /** Told one line per lock removed. */
  onNotice?: (line: string) => void;
}

/**
 * Removes git lock files that no live git process holds, so a git child killed with its parent
 * never blocks later writes. Callers hold reverie's own lock, so no git reverie starts can be
 * racing for these locks; a git the user runs by hand is seen in the process table and waited
 * for (up to `waitMs`), then left alone. Before unlinking, the lock is checked to be the very
 * file that was found (same inode and mtime), so a lock a new git has just made is never removed.
 * Returns the locks removed.
 */
export async function removeStaleGitLocks(workTree: string, gitDir: string, options: StaleLockOptions = {}): Promise<GitLock[]> {
  const removed: GitLock[] = [];
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  let delay = 5;
  for (;;) {
    const locks = await findGitLocks(gitDir);
    if (locks.length === 0) return removed;
    const running = await gitRunningIn(workTree, gitDir);
    const stale = running === null ? locks.filter((l) => Date.now() - l.mtimeMs > NO_PROC_STALE_MS) : running ? [] : locks;
    for (const lock of stale) {
      const now = await stat(lock.path).catch(() => null);
      if (!now || now.ino !== lock.ino || now.mtimeMs !== lock.mtimeMs) continue;
      if (await unlink(lock.path).then(() => true, () => false)) {
        removed.push(lock);
        options.onNotice?.(`reverie: removed ${lock.name} from ${gitDir}: left by a git process that is no longer running (a crash or a kill).`);
      }
    }
    if (stale.length === locks.length || Date.now() >= deadline) return removed;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 100);
  }
}
