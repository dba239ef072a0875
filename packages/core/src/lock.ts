import { hostname } from "node:os";
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { link, readFile, rename, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { tempFileName } from "./recovery/temp-files.js";
import { randomBytes } from "node:crypto";
import { ReverieError } from "./errors.js";

interface LockOwner {
  pid: number;
  host: string;
  at: string;
  token: string;
}

/** A held lock; `release` is idempotent. */
export interface LockHandle {
  release(): Promise<void>;
}

export interface LockOptions {
  /** How long to wait for another process to finish. @default 15000 */
  timeoutMs?: number;
}

/**
 * A cross-process mutex on a file created with O_EXCL. A lock whose owner process is gone
 * (same host, dead pid) is taken over, so a killed writer never wedges the memory; a live
 * owner is waited for, then reported with its pid.
 */
export async function acquireLock(lockPath: string, options: LockOptions = {}): Promise<LockHandle> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const me: LockOwner = { pid: process.pid, host: hostname(), at: new Date().toISOString(), token: randomBytes(8).toString("hex") };
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  mkdirSync(join(dirname(lockPath), "tmp"), { recursive: true });
  for (;;) {
    if (tryCreate(lockPath, me)) return { release: () => releaseLock(lockPath, me.token) };
    const owner = await readOwner(lockPath);
    if (owner ? isDead(owner) : await unreadableTooLong(lockPath)) {
      await takeOverStale(lockPath, owner);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = owner ? `process ${owner.pid} on ${owner.host} since ${owner.at}` : "another process";
      throw new ReverieError(
        "LOCKED",
        `The memory is locked by ${who} (${lockPath}). Wait for it to finish and try again; if that process is gone, delete ${lockPath}.`,
        { lockPath, owner },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 50);
  }
}

/**
 * Creates the lock file with its owner already inside: the owner is written to a private temp
 * file, then hard-linked into place (which fails if the lock exists). A lock file is therefore
 * never empty, even if its creator is killed mid-way.
 */
function tryCreate(lockPath: string, me: LockOwner): boolean {
  // In the lock folder's tmp/ (the memory's .reverie/tmp/), where a killed creator's temp is swept.
  // Synchronous: a handful of microsecond steps, taken on every write.
  const temp = tempFileName(join(dirname(lockPath), "tmp"), "lock");
  const fd = openSync(temp, "wx");
  try {
    writeSync(fd, JSON.stringify(me));
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return false;
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // swept later
    }
  }
}

/** A lock file nobody can read for this long (an older reverie's torn write) is treated as stale. */
const UNREADABLE_GRACE_MS = 10_000;

async function unreadableTooLong(lockPath: string): Promise<boolean> {
  const info = await stat(lockPath).catch(() => null);
  return info !== null && Date.now() - info.mtimeMs > UNREADABLE_GRACE_MS;
}

async function readOwner(lockPath: string): Promise<LockOwner | null> {
  try {
    return JSON.parse(await readFile(lockPath, "utf8")) as LockOwner;
  } catch {
    // Mid-write by its creator, or just released: treat as live and look again.
    return null;
  }
}

function isDead(owner: LockOwner): boolean {
  if (owner.host !== hostname() || !Number.isInteger(owner.pid)) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Moves the stale file aside before deleting it so two processes taking over at once cannot
 * delete a lock the other has just created; if what was moved aside turns out to be fresh,
 * it is put back.
 */
async function takeOverStale(lockPath: string, stale: LockOwner | null): Promise<void> {
  const aside = tempFileName(join(dirname(lockPath), "tmp"), "stale-lock");
  try {
    await rename(lockPath, aside);
  } catch {
    return;
  }
  const moved = await readOwner(aside);
  if (moved && moved.token !== stale?.token) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/** Whether the lock file at `lockPath` names an owner process that is gone (on this host). */
export async function lockOwnerDead(lockPath: string): Promise<boolean> {
  const owner = await readOwner(lockPath);
  return owner !== null && isDead(owner);
}

async function releaseLock(lockPath: string, token: string): Promise<void> {
  let owner: LockOwner | null = null;
  try {
    owner = JSON.parse(readFileSync(lockPath, "utf8")) as LockOwner;
  } catch {
    return; // gone, or not ours to judge
  }
  if (owner?.token !== token) return;
  try {
    unlinkSync(lockPath);
  } catch {
    // already gone
  }
}
