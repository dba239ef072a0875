import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * Where reverie's temp files live: `<memory>/.reverie/tmp/`. Inside the memory folder, so a
 * rename from here into place stays on one filesystem (atomic), and in one known folder, so
 * whatever a crash leaves is found and swept by the next command.
 */
export function reverieTempDir(memoryDir: string): string {
  return join(memoryDir, ".reverie", "tmp");
}

/**
 * A fresh temp file name in `tempDir` that names its owner: `<kind>.<host>.<pid>.<random>.tmp`,
 * so a sweep can tell a live process's temp from a dead one's.
 */
export function tempFileName(tempDir: string, kind: string): string {
  return join(tempDir, `${kind}.${HOST}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

const HOST = hostname().replace(/[^A-Za-z0-9-]/g, "-") || "host";
const OWNED = /^[A-Za-z0-9_-]+\.([A-Za-z0-9-]+)\.(\d+)\.[0-9a-f]+\.tmp$/;

/** A temp file without an owner in its name (written by an older reverie) is swept once it is this old. */
export const UNOWNED_TEMP_GRACE_MS = 10_000;
/** A temp older than this is swept even if its pid is alive: pids are reused, and no reverie step runs a day. */
const OWNED_TEMP_MAX_MS = 24 * 60 * 60 * 1000;

/** A temp file left behind by a process that is gone (or one too old to be anyone's). */
export interface LeftTemp {
  path: string;
  size: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * The temps in `tempDir` that nobody will finish: a dead owner pid on this host, or no owner in
 * the name and older than UNOWNED_TEMP_GRACE_MS. Temps of live processes (an import writing
 * a 100 MB session for minutes) and of other hosts (a folder shared over a network) are kept.
 */
export async function leftoverTemps(tempDir: string, now = Date.now()): Promise<LeftTemp[]> {
  const names = await readdir(tempDir).catch(() => [] as string[]);
  const out: LeftTemp[] = [];
  for (const name of names) {
    const path = join(tempDir, name);
    const info = await stat(path).catch(() => null);
    if (!info) continue;
    const owner = OWNED.exec(name);
    const age = now - info.mtimeMs;
    const stale = owner ? (owner[1] === HOST && !pidAlive(Number(owner[2]))) || age > OWNED_TEMP_MAX_MS : age > UNOWNED_TEMP_GRACE_MS;
    if (stale) out.push({ path, size: info.isFile() ? info.size : 0 });
  }
  return out;
}

/** Removes every leftover temp of `tempDir`; returns what was removed. */
export async function sweepTemps(tempDir: string): Promise<LeftTemp[]> {
  const left = await leftoverTemps(tempDir);
  for (const temp of left) await rm(temp.path, { recursive: true, force: true });
  return left;
}
