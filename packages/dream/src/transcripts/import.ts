import { randomBytes } from "node:crypto";
import { closeSync, fsync, openSync, renameSync, writevSync } from "node:fs";
import { mkdir, open, readdir, rm, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { isReverieError, ReverieError } from "@reverie/core";
import type { BadLine } from "./context.js";
import { canceled } from "./line-reader.js";
import { readSessionHeader, serializeSessionLine, sessionsDir } from "./normalized.js";
import { openTranscript, readDetected } from "./read-transcript.js";
import type { ReadTranscriptOptions, TranscriptRead, TranscriptReport } from "./read-transcript.js";
import type { SessionHeader, TranscriptFormat } from "./types.js";

/** Extensions picked up when an input is a directory. */
const IMPORTABLE = new Set([".jsonl", ".json", ".txt", ".ndjson"]);

/** Options of {@link importTranscripts}. */
export interface ImportOptions extends ReadTranscriptOptions {
  /** The memory folder; sessions are written to `<memoryDir>/.reverie/sessions/<id>.jsonl`. */
  memoryDir: string;
  /**
   * Transcript files, or directories walked recursively (`.jsonl`, `.json`, `.ndjson`, `.txt`;
   * dot-folders skipped; sorted by path so the order is deterministic).
   */
  inputs: string[];
}

/**
 * What happened to one session: written for the first time, rewritten because its source grew,
 * left alone because the same bytes were imported before, or not written (see `reason`).
 */
export type ImportStatus = "created" | "updated" | "unchanged" | "skipped";

/** The outcome for one imported file. */
export interface ImportedSession extends TranscriptReport {
  id: string;
  status: ImportStatus;
  /** The normalized session file. */
  path: string;
  /** Why a session was `skipped`. */
  reason?: string;
}

/** A file that could not be imported at all (lenient mode only; strict mode throws). */
export interface FailedImport {
  file: string;
  code: string;
  message: string;
}

/** The outcome of {@link importTranscripts}. */
export interface ImportResult {
  /** One entry per imported file, in input order. */
  sessions: ImportedSession[];
  /** Every bad line of every file, as `{file, line, reason}`. */
  badLines: BadLine[];
  /** Files that could not be read (e.g. a JSON file that does not parse). */
  failed: FailedImport[];
  /** Files found in input directories that are not transcripts, and why. */
  ignored: { file: string; reason: string }[];
}

/**
 * Imports agent transcripts into a memory folder as normalized sessions, one JSONL file per
 * session. Each file is streamed into a temp file and renamed into place only when complete, so
 * a failure (strict parse error, cancel, crash) never leaves a partial session. Re-importing the
 * same bytes is a no-op (`unchanged`); a Claude Code or Gemini session whose file grew keeps its
 * id and is `updated` (see `sessionIdFor`).
 * @throws ReverieError NOT_FOUND (an input does not exist), INVALID_INPUT (an input file is in no
 * known format), PARSE_ERROR (strict mode), CANCELED.
 * @example
 * const result = await importTranscripts({ memoryDir: "./memory", inputs: ["~/.claude/projects/-work-app"] });
 * for (const s of result.sessions) console.log(s.status, s.id, s.counts.toolCalls);
 */
export async function importTranscripts(options: ImportOptions): Promise<ImportResult> {
  const result: ImportResult = { sessions: [], badLines: [], failed: [], ignored: [] };
  const seen = new Set<string>();
  const files: { file: string; explicit: boolean }[] = [];
  for (const input of options.inputs) {
    const path = resolve(input);
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw new ReverieError("NOT_FOUND", `No such transcript file or folder: ${input}`, { path: input }, { cause: error });
    }
    const found = info.isDirectory() ? (await walk(path)).map((file) => ({ file, explicit: false })) : [{ file: path, explicit: true }];
    for (const entry of found) {
      if (seen.has(entry.file)) continue;
      seen.add(entry.file);
      files.push(entry);
    }
  }

  const dir = sessionsDir(options.memoryDir);
  let made: Promise<unknown> | undefined;
  const makeDir = () => (made ??= mkdir(dir, { recursive: true }));
  const steps = await runInOrder(files, options, (entry) => readStep(entry, dir, makeDir, options));
  for (const step of steps) {
    if (step.kind === "ignored") result.ignored.push({ file: step.file, reason: step.reason });
    else if (step.kind === "failed") result.failed.push({ file: step.file, code: step.code, message: step.message });
    else {
      result.sessions.push(step.session);
      result.badLines.push(...step.session.badLines);
    }
  }
  return result;
}

/** Temp-file names: random per process (other importers may share the folder), then a counter. */
const batch = `${randomBytes(4).toString("hex")}-`;
let spools = 0;

/** Files read and spooled at once: their disk waits (open, read, fsync, rename) overlap each other's parsing. */
const CONCURRENCY = 4;

type ReadStep =
  | { kind: "ready"; file: string; read: TranscriptRead; spool: SessionSpool }
  | { kind: "ignored"; file: string; reason: string }
  /** `fatal`: an error that fails the import even in lenient mode (detection, cancel). */
  | { kind: "error"; file: string; error: unknown; fatal?: boolean };
type Step = { kind: "session"; session: ImportedSession } | { kind: "ignored"; file: string; reason: string } | { kind: "failed"; file: string; code: string; message: string };

/**
 * Reads up to {@link CONCURRENCY} files ahead and commits them with the outcome of a one-by-one
 * import: results in input order; a session is committed only once every earlier file was read
 * without a fatal error, and after any earlier file with the same session id (so `unchanged`,
 * `updated` and `skipped` see the copies before it); on a fatal error nothing later is committed,
 * and the call rejects only after every temp file is gone.
 */
async function runInOrder(
  files: { file: string; explicit: boolean }[],
  options: ImportOptions,
  read: (entry: { file: string; explicit: boolean }) => Promise<ReadStep>,
): Promise<Step[]> {
  const reads: Promise<ReadStep>[] = [];
  const commits: Promise<Step | undefined>[] = [];
  const chains = new Map<string, Promise<unknown>>();
  let active = 0;
  let halted = false;
  let fatal: { index: number; error: unknown } | undefined;
  const fail = (index: number, error: unknown) => {
    halted = true;
    if (fatal === undefined || index < fatal.index) fatal = { index, error };
  };
  const fill = () => {
    while (!halted && reads.length < files.length && active < CONCURRENCY) {
      active += 1;
      reads.push(read(files[reads.length]!));
    }
  };
  const release = () => {
    active -= 1;
    fill();
  };

  const pending = new Set<Promise<unknown>>();
  fill();
  for (let i = 0; i < files.length && !halted; i++) {
    const file = files[i]!.file;
    // Every slot is held by a commit; the first to end starts the next read.
    while (reads.length <= i) await Promise.race(pending);
    const step = await reads[i]!;
    if (options.signal?.aborted && !halted) fail(i, canceled(file));
    if (halted) {
      if (step.kind === "ready") await step.spool.discard();
      release();
      break;
    }
    if (step.kind !== "ready") {
      release();
      if (step.kind === "ignored") commits.push(Promise.resolve(step));
      else if (step.fatal === true || options.strict === true || !isReverieError(step.error, "PARSE_ERROR", "INVALID_INPUT")) fail(i, step.error);
      else commits.push(Promise.resolve({ kind: "failed", file, code: step.error.code, message: step.error.message }));
      continue;
    }
    const id = step.read.header.id;
    const before = chains.get(id);
    const commit = (async (): Promise<Step | undefined> => {
      try {
        await before;
        if (halted) return undefined;
        return { kind: "session", session: await commitStep(step) };
      } catch (error) {
        fail(i, error);
        return undefined;
      } finally {
        await step.spool.discard();
        release();
      }
    })();
    chains.set(id, commit);
    commits.push(commit);
    pending.add(commit);
    void commit.then(() => pending.delete(commit));
  }
  // Reads started ahead of a fatal error are finished and thrown away, temp files included.
  for (let i = commits.length; i < reads.length; i++) {
    const step = await reads[i]!;
    if (step.kind === "ready") await step.spool.discard();
  }
  const steps = await Promise.all(commits);
  if (fatal !== undefined) throw fatal.error;
  return steps.filter((step): step is Step => step !== undefined);
}

async function readStep(entry: { file: string; explicit: boolean }, dir: string, makeDir: () => Promise<unknown>, options: ImportOptions): Promise<ReadStep> {
  const { file, explicit } = entry;
  if (options.signal?.aborted) return { kind: "error", file, error: canceled(file), fatal: true };
  let opened: Awaited<ReturnType<typeof openTranscript>>;
  try {
    opened = await openTranscript(file, options);
  } catch (error) {
    // A format named by the caller that does not exist fails like a file that does not read.
    if ((options.format ?? "auto") !== "auto") return { kind: "error", file, error };
    if (explicit || !isReverieError(error, "INVALID_INPUT")) return { kind: "error", file, error, fatal: true };
    return { kind: "ignored", file, reason: error.message };
  }
  const spool = new SessionSpool(dir, `${batch}${(spools++).toString(36)}`);
  try {
    await makeDir();
    const read = await readDetected(
      file,
      opened.detection,
      {
        ...options,
        onEvent: (event, line) => spool.add(line ?? serializeSessionLine(event)),
        onHeader: (header) => spool.knowHeader(header),
      },
      opened.opened,
    );
    return { kind: "ready", file, read, spool };
  } catch (error) {
    await opened.opened?.close();
    await spool.discard();
    return { kind: "error", file, error };
  }
}

async function commitStep(step: Extract<ReadStep, { kind: "ready" }>): Promise<ImportedSession> {
  const { header, report } = step.read;
  const target = join(step.spool.dir, `${header.id}.jsonl`);
  const existing = await existingHeader(target);
  const base = { ...report, id: header.id, path: target };
  if (existing?.source.sha256 === header.source.sha256) return { ...base, status: "unchanged" };
  if (existing !== undefined && isOlder(header, existing)) {
    return {
      ...base,
      status: "skipped",
      reason: `a later copy of this session is already imported (ended ${existing.ended ?? "?"}, this one ends ${header.ended ?? "?"}; from ${existing.source.path})`,
    };
  }
  await step.spool.commit(header, target);
  return { ...base, status: existing === undefined ? "created" : "updated" };
}

/** Output is gathered in buffers of this size, so files get a few large writes. */
const CHUNK_BYTES = 1 << 20;
/** Sessions up to this size are written from memory; longer ones are spilled to disk as they are read. */
const SPILL_BYTES = 8 << 20;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);
/** Spool buffers are reused across sessions: a fresh megabyte per small session is mostly garbage-collector work. */
const pool: Buffer[] = [];
const POOL_SIZE = 2 * CONCURRENCY;

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
class SessionSpool {
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
      const path = header === undefined ? join(this.dir, `.import-${this.suffix}.events.tmp`) : this.finalTemp(header);
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

async function existingHeader(path: string): Promise<SessionHeader | undefined> {
  try {
    return await readSessionHeader(path);
  } catch {
    // Missing, or unreadable and therefore worth replacing.
    return undefined;
  }
}

/** Two copies of one native session: the one that ends earlier is the stale one. */
function isOlder(candidate: SessionHeader, existing: SessionHeader): boolean {
  return candidate.ended !== undefined && existing.ended !== undefined && candidate.ended < existing.ended;
}

async function walk(dir: string): Promise<string[]> {
  const files: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (entry.isFile() && IMPORTABLE.has(extname(entry.name).toLowerCase())) files.push(path);
  }
  return files;
}
