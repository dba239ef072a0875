import { createHash } from "node:crypto";
import { closeSync, openSync, read, readSync } from "node:fs";
import { ReverieError } from "@reverie/core";

/**
 * One line of a text file: its 1-based number and its text without the line break. A line read
 * from a file shares the reader's buffer: read `text` and `bytes` before asking for the next
 * batch (`text` is decoded on first use, so a line nobody reads as text costs no decoding).
 */
export interface RawLine {
  readonly line: number;
  readonly text: string;
  /** The line's bytes without the line break. */
  readonly bytes?: Buffer;
}

/** A streaming line source that hashes the bytes it reads. */
export interface LineSource {
  lines: AsyncIterable<RawLine>;
  /**
   * The same lines, handed over a read buffer at a time: one `await` per batch instead of one per
   * line. Use either `lines` or `batches`, not both.
   */
  batches: AsyncIterable<RawLine[]>;
  /** Lowercase hex SHA-256 of every byte read; complete once the lines are exhausted. */
  sha256(): string;
  /** Number of bytes read so far. */
  bytes(): number;
}

/** A {@link LineSource} opened ahead of reading: its first bytes are already in memory. */
export interface OpenedLines extends LineSource {
  /** The first bytes of the file (up to one read), e.g. to tell its format. */
  head: Buffer;
  /** Closes the file; needed only when the lines are not read to their end. */
  close(): Promise<void>;
}

const NEWLINE = 0x0a;
const CR = 0x0d;
/** Large reads keep syscalls and hash updates few; the buffer is the only per-file memory. */
const READ_BYTES = 1 << 20;
/** Read buffers are reused from file to file: a fresh megabyte per small file is mostly garbage-collector work. */
const pool: Buffer[] = [];
const POOL_SIZE = 8;
const BATCH_LINES = 256;

/**
 * Reads a file line by line, a buffer at a time, so memory stays flat whatever the file size
 * (one read buffer plus the line that straddles it). The SHA-256 of the bytes is computed on the
 * same pass, one update per read. `\r\n` and `\n` both end a line; a last line without a break is
 * still yielded. A line's `bytes` share the read buffer, which is reused: they are valid until
 * the next batch (or line) is asked for.
 */
export function readLines(file: string, signal?: AbortSignal, readBytes = READ_BYTES): LineSource {
  return new LineFile(file, signal, readBytes);
}

/**
 * {@link readLines}, with the file opened and its first read done before returning, so one open
 * serves both telling the format (`head`) and reading the lines.
 * @throws the error of `open` (e.g. ENOENT).
 */
export async function openLines(file: string, signal?: AbortSignal): Promise<OpenedLines> {
  const lines = new LineFile(file, signal, READ_BYTES);
  lines.start();
  return lines;
}

class LineFile implements OpenedLines {
  private readonly hash = createHash("sha256");
  private total = 0;
  private digest: string | undefined;
  private fd: number | undefined;
  private buffer: Buffer | undefined;
  /** Bytes of the first read, not yet split into lines. */
  private firstRead: number | undefined;
  /** Whether the last read filled the buffer, i.e. the file is large. */
  private filled = false;
  private closed = false;
  readonly lines: AsyncIterable<RawLine>;
  readonly batches: AsyncIterable<RawLine[]>;

  constructor(
    private readonly file: string,
    private readonly signal: AbortSignal | undefined,
    private readonly readBytes: number,
  ) {
    this.batches = this.readBatches();
    this.lines = this.readEach();
  }

  get head(): Buffer {
    return this.buffer === undefined ? Buffer.alloc(0) : this.buffer.subarray(0, this.firstRead ?? 0);
  }

  /*
   * Small files are opened and read synchronously: from the page cache that takes microseconds,
   * while a round trip through libuv's thread pool costs tens of microseconds of CPU per call
   * (most of an import of many small sessions). Once a read fills the buffer the file is large,
   * and later reads go through the pool, which also lets the event loop run (timers, an abort)
   * between buffers.
   */
  start(): void {
    this.fd = openSync(this.file, "r");
    this.buffer = this.readBytes === READ_BYTES ? (pool.pop() ?? Buffer.allocUnsafe(READ_BYTES)) : Buffer.allocUnsafe(this.readBytes);
    try {
      this.firstRead = this.took(readSync(this.fd, this.buffer, 0, this.buffer.length, null));
    } catch (error) {
      this.closeSync();
      throw error;
    }
  }

  private async read(): Promise<number> {
    const buffer = this.buffer!;
    const bytesRead = this.filled ? await readAsync(this.fd!, buffer) : readSync(this.fd!, buffer, 0, buffer.length, null);
    return this.took(bytesRead);
  }

  private took(bytesRead: number): number {
    const buffer = this.buffer!;
    this.filled = bytesRead === buffer.length;
    if (bytesRead > 0) {
      this.hash.update(this.filled ? buffer : buffer.subarray(0, bytesRead));
      this.total += bytesRead;
    }
    return bytesRead;
  }

  private async *readBatches(): AsyncGenerator<RawLine[]> {
    try {
      if (this.fd === undefined) this.start();
      /** The start of a line that began in an earlier read (copied: the buffer is reused). */
      let carry: Buffer[] = [];
      let number = 0;
      for (;;) {
        if (this.signal?.aborted) throw canceled(this.file);
        let bytesRead = this.firstRead;
        this.firstRead = undefined;
        bytesRead ??= await this.read();
        if (bytesRead === 0) break;
        const data = this.buffer!.subarray(0, bytesRead);
        let batch: RawLine[] = [];
        let start = 0;
        for (let i = data.indexOf(NEWLINE); i !== -1; i = data.indexOf(NEWLINE, start)) {
          let bytes = data.subarray(start, i);
          if (carry.length > 0) {
            carry.push(bytes);
            bytes = Buffer.concat(carry);
            carry = [];
          }
          number += 1;
          batch.push(rawLine(number, bytes));
          start = i + 1;
          // Small batches die young: a whole buffer's worth of lines would outlive a scavenge and fill the old generation.
          if (batch.length === BATCH_LINES) {
            yield batch;
            batch = [];
          }
        }
        if (start < bytesRead) carry.push(Buffer.from(data.subarray(start)));
        if (batch.length > 0) yield batch;
      }
      if (carry.length > 0) yield [rawLine(number + 1, Buffer.concat(carry))];
      this.digest = this.hash.digest("hex");
    } finally {
      this.closeSync();
    }
  }

  private async *readEach(): AsyncGenerator<RawLine> {
    for await (const batch of this.batches) yield* batch;
  }

  sha256(): string {
    if (this.digest === undefined) throw new ReverieError("INTERNAL", `sha256 of ${this.file} asked for before the file was read to its end`);
    return this.digest;
  }

  bytes(): number {
    return this.total;
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  private closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    const { fd, buffer } = this;
    this.fd = undefined;
    this.buffer = undefined;
    if (buffer?.length === READ_BYTES && pool.length < POOL_SIZE) pool.push(buffer);
    if (fd !== undefined) closeSync(fd);
  }
}

function readAsync(fd: number, buffer: Buffer): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buffer, 0, buffer.length, null, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))));
}

function rawLine(line: number, bytes: Buffer): RawLine {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
  return new BufferLine(line, end === bytes.length ? bytes : bytes.subarray(0, end));
}

class BufferLine implements RawLine {
  private decoded: string | undefined;

  constructor(
    readonly line: number,
    readonly bytes: Buffer,
  ) {}

  get text(): string {
    return (this.decoded ??= this.bytes.toString("utf8"));
  }
}

/** The error raised when an AbortSignal stops an import. */
export function canceled(file?: string): ReverieError {
  return new ReverieError("CANCELED", file ? `Import canceled while reading ${file}` : "Import canceled", file ? { file } : {});
}

/**
 * Splits text that holds several JSON values written back to back with no line break between
 * them (`{…}{…}`, seen in real Claude Code files) into the text of each value. Returns `null`
 * when the text is not such a run of complete top-level objects/arrays.
 */
export function splitConcatenatedJson(text: string): string[] | null {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      if (depth === 0) return null;
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === 0) start = i;
      depth += 1;
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
      if (depth < 0) return null;
      if (depth === 0) parts.push(text.slice(start, i + 1));
    } else if (depth === 0 && !(c === 0x20 || c === 0x09 || c === 0x0d)) {
      return null;
    }
  }
  if (depth !== 0 || inString || parts.length < 2) return null;
  return parts;
}
