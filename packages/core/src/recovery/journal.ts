import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { closeSync, fsync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { fsyncDir } from "../fs/atomic-write.js";
import { reverieTempDir, tempFileName } from "./temp-files.js";

/**
 * The intent journal: before a change of more than one step (write + commit, a folder move,
 * adopt's merge + branch delete + record) its intent is written to
 * `<memory>/.reverie/journal/<kind>.<random>.json` and fsync'd; after the last step it is
 * removed. An entry still there when the memory's lock is next taken was interrupted (its
 * process died holding the lock), and is finished or undone before anything else runs.
 */
export interface JournalEntry {
  kind: string;
  pid: number;
  host: string;
  at: string;
  [field: string]: unknown;
}

/** A written journal entry; `done` removes it. */
export interface JournalHandle {
  readonly path: string;
  readonly entry: JournalEntry;
  /** Rewrites the entry (a step learned something the recovery needs, e.g. a commit id). */
  update(fields: Record<string, unknown>): Promise<void>;
  done(): Promise<void>;
}

export function journalDir(memoryDir: string): string {
  return join(memoryDir, ".reverie", "journal");
}

async function writeDurable(memoryDir: string, path: string, entry: JournalEntry): Promise<void> {
  // Synchronous small steps (a thread-pool round trip each would cost more); the fsyncs wait.
  const tempDir = reverieTempDir(memoryDir);
  mkdirSync(tempDir, { recursive: true });
  const temp = tempFileName(tempDir, "journal");
  const fd = openSync(temp, "wx");
  try {
    const bytes = Buffer.from(`${JSON.stringify(entry)}\n`, "utf8");
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    await new Promise<void>((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  await fsyncDir(journalDir(memoryDir));
}

/** Writes (and fsyncs) an intent before its first step. */
export async function beginJournal(memoryDir: string, kind: string, fields: Record<string, unknown>): Promise<JournalHandle> {
  const dir = journalDir(memoryDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${kind}.${randomBytes(6).toString("hex")}.json`);
  let entry: JournalEntry = { ...fields, kind, pid: process.pid, host: hostname(), at: new Date().toISOString() };
  await writeDurable(memoryDir, path, entry);
  return {
    path,
    get entry() {
      return entry;
    },
    async update(more) {
      entry = { ...entry, ...more };
      await writeDurable(memoryDir, path, entry);
    },
    async done() {
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    },
  };
}

/** A journal entry found on disk, to finish or undo. */
export interface PendingEntry {
  path: string;
  entry: JournalEntry;
  /** Removes the entry once it has been dealt with. */
  done(): Promise<void>;
}

/** Every journal entry in the memory (an unreadable one — torn by a crash mid-write — is dropped: its first step never ran). */
export async function readJournal(memoryDir: string): Promise<PendingEntry[]> {
  const dir = journalDir(memoryDir);
  let all: string[] = [];
  try {
    all = readdirSync(dir); // before every write, of a folder that is almost always empty
  } catch {
    // no journal yet
  }
  const names = all.filter((n) => n.endsWith(".json")).sort();
  const out: PendingEntry[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const done = () => unlink(path).catch(() => undefined);
    try {
      const entry = JSON.parse(await readFile(path, "utf8")) as JournalEntry;
      if (typeof entry.kind !== "string") throw new Error("no kind");
      out.push({ path, entry, done });
    } catch {
      await done();
    }
  }
  return out;
}

/**
 * Whether the process that wrote an entry is gone (on this host); another host's entry counts
 * as live. Asked before this process has journaled anything, so an entry with its own pid is a
 * previous process's (pids are reused, in containers often).
 */
export function journalOwnerDead(entry: JournalEntry): boolean {
  if (entry.host !== hostname()) return false;
  if (entry.pid === process.pid) return true;
  try {
    process.kill(entry.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
