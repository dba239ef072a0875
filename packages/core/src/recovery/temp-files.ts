import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { readdirSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
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

/**
 * `<host>.<pid>`: put into a temp file's name made outside `.reverie/tmp/` (an import's spool in
 * `.reverie/sessions/`, renamed into place there), so a sweep can tell whose it is.
 */
export function tempOwnerTag(): string {
  return `${HOST}.${process.pid}`;
}

/** An import spool's temp in `.reverie/sessions/`: `….<host>.<pid>.<hex>-<n>[.events].tmp`. */
const SPOOL = /\.([A-Za-z0-9-]+)\.(\d+)\.[0-9a-f]+-[0-9a-z]+(?:\.events)?\.tmp$/;

/** Where an import spools sessions before renaming them into place. */
export function sessionSpoolDir(memoryDir: string): string {
  return join(memoryDir, ".reverie", "sessions");
}

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
  return findLeftovers(tempDir, now, (name) => OWNED.exec(name) ?? [], UNOWNED_TEMP_GRACE_MS);
}

/**
 * The import spool temps of dead processes in `.reverie/sessions/` (a killed import leaves
 * tens of MB each). Only `*.tmp` names are looked at; one without an owner (an older reverie's)
 * is swept once it is a day old, since an import may run for minutes.
 */
export async function leftoverSpoolTemps(memoryDir: string, now = Date.now()): Promise<LeftTemp[]> {
  return findLeftovers(sessionSpoolDir(memoryDir), now, (name) => (name.endsWith(".tmp") ? SPOOL.exec(name) ?? [] : null), OWNED_TEMP_MAX_MS);
}

/** `owner` gives a name's [_, host, pid] match, `[]` for a temp without an owner, or `null` for no temp at all. */
async function findLeftovers(dir: string, now: number, owner: (name: string) => readonly string[] | null, unownedMs: number): Promise<LeftTemp[]> {
  // Synchronous: asked before every write, over a folder that is almost always empty.
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // no folder: no temps
  }
  const out: LeftTemp[] = [];
  for (const name of names) {
    const match = owner(name);
    if (match === null) continue;
    const path = join(dir, name);
    const info = statSync(path, { throwIfNoEntry: false });
    if (!info) continue;
    const age = now - info.mtimeMs;
    const owned = match.length >= 3;
    const stale = owned ? (match[1] === HOST && !pidAlive(Number(match[2]))) || age > OWNED_TEMP_MAX_MS : age > unownedMs;
    if (stale) out.push({ path, size: info.isFile() ? info.size : 0 });
  }
  return out;
}

/** Removes every leftover temp of the memory at `memoryDir` (`.reverie/tmp/` and import spools); returns what was removed. */
export async function sweepTemps(memoryDir: string): Promise<LeftTemp[]> {
  const left = [...(await leftoverTemps(reverieTempDir(memoryDir))), ...(await leftoverSpoolTemps(memoryDir))];
  for (const temp of left) await rm(temp.path, { recursive: true, force: true });
  return left;
}
