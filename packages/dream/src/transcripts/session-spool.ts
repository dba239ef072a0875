import { closeSync, fsync, openSync, renameSync, writevSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { ReverieError } from "@reverie/core";
import { serializeSessionLine } from "./normalized.js";
import type { SessionHeader } from "./types.js";

/** Output is gathered in buffers of this size, so files get a few large writes. */
const CHUNK_BYTES = 1 << 20;
/** Sessions up to this size are written from memory; longer ones are spilled to disk as they are read. */
const SPILL_BYTES = 8 << 20;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);
/** Spool buffers are reused across sessions: a fresh megabyte per small session is mostly garbage-collector work. */
const pool: Buffer[] = [];
/** Enough buffers for the sessions an import holds at once. */
const POOL_SIZE = 8;

function takeChunk(need: number): Buffer {
  if (need > CHUNK_BYTES) return Buffer.allocUnsafe(need);
  return pool.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
}

function giveChunk(buffer: Buffer | undefined): void {
  if (buffer?.length === CHUNK_BYTES && pool.length < POOL_SIZE) pool.push(buffer);
}

/**
 * The normalized output of one session on its way to `<id>.jsonl`. The header comes first in
 * the file but is usually known only at the end (its id, time range and outcome depend on the
 * whole source), so events are held in memory and the file is written once, header first — no
 * temp file at all for most sessions. Past {@link SPILL_BYTES} the events go to disk as they come,
 * keeping memory flat: straight into the final temp file when the header was known up front (a
 * normalized source), else into an events temp file copied after the header at the end.
 */
export class SessionSpool {
  private readonly chunks: Buffer[] = [];
  private chunk = takeChunk(CHUNK_BYTES);
  /** Every pooled buffer this spool took, handed back once nothing reads them. */
  /** The pooled buffer under each of `chunks` (none for one that is not pooled), handed back once written. */
  private readonly owners: (Buffer | undefined)[] = [];
  private used = 0;
  private held = 0;
  private earlyHeader: SessionHeader | undefined;
  private spill: { handle: FileHandle; path: string; header?: Buffer } | undefined;
  private writing: Promise<void> | undefined;
  private writeError: unknown;
  /** Temp files to remove unless renamed into place. */
  private readonly temps: string[] = [];

  constructor(
    readonly dir: string,
    private readonly suffix: string,
  ) {}

  /** A header read from the source itself, before its events. */
  knowHeader(header: SessionHeader): void {
    this.earlyHeader = header;
  }

  /** Appends one line (a `\n` is added). Returns a promise only when the caller must wait for the disk. */
  add(line: string | Buffer): Promise<void> | undefined {
    const room = this.chunk.length - this.used;
    if (typeof line === "string") {
      // UTF-8 takes at most 3 bytes per UTF-16 unit, so most lines skip measuring.
      if (room <= line.length * 3 && room <= Buffer.byteLength(line)) return this.rotate(Buffer.byteLength(line) + 1).then(() => void this.add(line));
      this.used += this.chunk.write(line, this.used);
    } else {
      if (room <= line.length) return this.rotate(line.length + 1).then(() => void this.add(line));
      this.chunk.set(line, this.used);
      this.used += line.length;
    }
    this.chunk[this.used++] = NEWLINE;
    return undefined;
  }

  /** Retires the current buffer for one that holds at least `need` bytes, spilling to disk past the memory bound. */
  private async rotate(need: number): Promise<void> {
    if (this.used > 0) {
      this.chunks.push(this.chunk.subarray(0, this.used));
      this.owners.push(this.chunk);
      this.held += this.used;
    } else giveChunk(this.chunk);
    this.chunk = takeChunk(need);
    this.used = 0;
    if (this.spill === undefined && this.held > SPILL_BYTES) {
      const header = this.earlyHeader;
      const path = header === undefined ? join(this.dir, `.import.${this.suffix}.events.tmp`) : this.finalTemp(header);
      this.temps.push(path);
      const handle = await open(path, "wx");
      this.spill = { handle, path, ...(header !== undefined && { header: Buffer.from(`${serializeSessionLine(header)}\n`) }) };
      if (this.spill.header !== undefined) {
        this.chunks.unshift(this.spill.header);
        this.owners.unshift(undefined);
      }
    }
    if (this.spill !== undefined) await this.writeHeld();
  }

  /** Starts writing the held buffers, after the write before it (one write in flight at a time). */
  private async writeHeld(): Promise<void> {
    await this.writing;
    if (this.writeError !== undefined) throw this.writeError;
    const buffers = this.chunks.splice(0);
    const owners = this.owners.splice(0);
    this.held = 0;
    if (buffers.length === 0) return;
    const handle = this.spill!.handle;
    // Caught here so a failure is raised at the next wait rather than as an unhandled rejection.
    this.writing = writeAll(handle, buffers).then(
      () => owners.forEach(giveChunk),
      (error: unknown) => void (this.writeError = error),
    );
  }

  /**
   * Writes the session to `target` through a synced temp file and a rename, header first. A
   * session held in memory is written with synchronous calls (one open, one writev, one close: a
   * thread-pool round trip each would cost more than the work); only the fsync, which waits for
   * the disk, goes through the pool, so other sessions are parsed meanwhile.
   */
  async commit(header: SessionHeader, target: string): Promise<void> {
    const headerLine = Buffer.from(`${serializeSessionLine(header)}\n`);
    if (this.used > 0) {
      this.chunks.push(this.chunk.subarray(0, this.used));
      this.owners.push(this.chunk);
      this.chunk = EMPTY;
    }
    this.used = 0;
    const spill = this.spill;
    let path: string;
    if (spill?.header !== undefined) {
      // Only a normalized source announces its header early, and that header is the final one.
      if (!spill.header.equals(headerLine)) throw new ReverieError("INTERNAL", `the header of ${target} changed after its events were written`);
      await this.writeHeld();
      await this.settle();
      this.spill = undefined;
      path = spill.path;
      try {
        await spill.handle.sync();
      } finally {
        await spill.handle.close();
      }
    } else if (spill !== undefined) {
      path = this.finalTemp(header);
      this.temps.push(path);
      const handle = await open(path, "wx");
      try {
        await writeAll(handle, [headerLine]);
        await this.settle();
        await copyInto(spill.path, handle);
        await writeAll(handle, this.chunks.splice(0));
        await handle.sync();
      } finally {
        await handle.close();
      }
    } else {
      path = this.finalTemp(header);
      this.temps.push(path);
      const fd = openSync(path, "wx");
      try {
        writeAllSync(fd, [headerLine, ...this.chunks.splice(0)]);
        await fsyncAsync(fd);
      } finally {
        closeSync(fd);
      }
    }
    renameSync(path, target);
    this.temps.splice(this.temps.indexOf(path), 1);
  }

  /** Waits for the write in flight and raises its error. */
  private async settle(): Promise<void> {
    await this.writing;
    this.writing = undefined;
    if (this.writeError !== undefined) throw this.writeError;
  }

  /** Closes and removes whatever was not renamed into place. */
  async discard(): Promise<void> {
    await this.writing;
    if (this.spill !== undefined) {
      await this.spill.handle.close().catch(() => undefined);
      this.spill = undefined;
    }
    for (const path of this.temps.splice(0)) await rm(path, { force: true });
    this.chunks.length = 0;
    this.owners.splice(0).forEach(giveChunk);
    giveChunk(this.chunk);
    this.chunk = EMPTY;
    this.used = 0;
  }

  private finalTemp(header: SessionHeader): string {
    return join(this.dir, `${header.id}.jsonl.${this.suffix}.tmp`);
  }
}

async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  // writev takes at most IOV_MAX buffers per call and may write short; loop until all is out.
  for (let i = 0; i < buffers.length; i += 1024) {
    let batch = buffers.slice(i, i + 1024);
    let left = batch.reduce((sum, b) => sum + b.length, 0);
    while (left > 0) {
      const { bytesWritten } = await handle.writev(batch);
      left -= bytesWritten;
      if (left > 0) batch = skipBytes(batch, bytesWritten);
    }
  }
}

function skipBytes(buffers: Buffer[], count: number): Buffer[] {
  let n = count;
  let i = 0;
  while (i < buffers.length && n >= buffers[i]!.length) n -= buffers[i++]!.length;
  const rest = buffers.slice(i);
  if (n > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}

function writeAllSync(fd: number, buffers: Buffer[]): void {
  for (let i = 0; i < buffers.length; i += 1024) {
    let batch = buffers.slice(i, i + 1024);
    let left = batch.reduce((sum, b) => sum + b.length, 0);
    while (left > 0) {
      const bytesWritten = writevSync(fd, batch);
      left -= bytesWritten;
      if (left > 0) batch = skipBytes(batch, bytesWritten);
    }
  }
}

function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
}

async function copyInto(source: string, target: FileHandle): Promise<void> {
  const input = await open(source, "r");
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await input.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      await writeAll(target, [buffer.subarray(0, bytesRead)]);
    }
  } finally {
    await input.close();
  }
}
