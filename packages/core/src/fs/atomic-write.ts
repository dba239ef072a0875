import { randomBytes } from "node:crypto";
import { closeSync, fsync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname } from "node:path";
import { tempFileName } from "../recovery/temp-files.js";

export interface AtomicWriteOptions {
  /**
   * Where the temp file is made; it must be on the target's filesystem (for reverie, the memory's
   * `.reverie/tmp/`, where a crash's leftovers are swept). @default the target's own folder
   */
  tempDir?: string;
  /** The temp file's kind, part of its name (`write`, `record`, …). @default "write" */
  kind?: string;
  /**
   * fsync the folder after the rename so the new name itself survives a power cut. Off only for
   * derived data (the search cache). @default true
   */
  durable?: boolean;
}

/**
 * Writes a file so that readers see either the old bytes or the new ones, never a torn mix:
 * write a temp file, fsync it, rename it over the target (atomic on POSIX), fsync the folder
 * (and the folders above it that this call created, whose names are new too).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  // The outermost folder mkdir made, if any: its name (and each new one below it) is an entry of
  // its parent, to be made durable as well as the file's own. The small steps are synchronous:
  // each is microseconds, and a thread-pool round trip for it costs more on a busy machine.
  const made = mkdirSync(dirname(path), { recursive: true });
  let temp: string;
  if (options.tempDir === undefined) temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  else {
    mkdirSync(options.tempDir, { recursive: true });
    temp = tempFileName(options.tempDir, options.kind ?? "write");
  }
  try {
    const fd = openSync(temp, "wx");
    try {
      const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      await new Promise<void>((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  if (options.durable !== false) await fsyncFolders(dirname(path), made === undefined ? dirname(path) : dirname(made));
}

/**
 * fsyncs `folder` and each folder above it up to and including `top` (innermost first): after
 * a rename into `folder`, or a delete from it, these hold the names that changed.
 */
export async function fsyncFolders(folder: string, top: string = folder): Promise<void> {
  for (let at = folder; ; at = dirname(at)) {
    await fsyncDir(at);
    if (at === top || dirname(at) === at || !at.startsWith(top)) break;
  }
}

/** fsyncs a folder, making the names created, renamed or removed in it durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems cannot fsync a directory (EINVAL/EISDIR); their renames are as durable as they get.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "EPERM") throw error;
  } finally {
    await handle.close();
  }
}
