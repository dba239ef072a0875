import { randomBytes } from "node:crypto";
import { mkdir, readdir, stat } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { isReverieError, ReverieError, tempOwnerTag } from "@reverie/core";
import type { BadLine } from "./context.js";
import { canceled } from "./line-reader.js";
import { readSessionHeader, serializeSessionLine, sessionsDir } from "./normalized.js";
import { openTranscript, readDetected } from "./read-transcript.js";
import type { ReadTranscriptOptions, TranscriptRead, TranscriptReport } from "./read-transcript.js";
import { SessionSpool } from "./session-spool.js";
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
  /** Called as each file is done with (imported, skipped or ignored), for progress bars: `done` of `total` files. */
  onProgress?: (progress: { done: number; total: number; file: string }) => void;
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
  let done = 0;
  const tick = (file: string) => options.onProgress?.({ done: ++done, total: files.length, file });
  const steps = await runInOrder(files, options, (entry) => readStep(entry, dir, makeDir, options), tick);
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

/**
 * Temp-file names: this process's `<host>.<pid>` (so the next command sweeps a killed import's
 * spools, tens of MB each), random per process (other importers may share the folder), then a counter.
 */
const batch = `${tempOwnerTag()}.${randomBytes(4).toString("hex")}-`;
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
  tick: (file: string) => void,
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
      tick(file);
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
        const session = await commitStep(step);
        tick(file);
        return { kind: "session", session };
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
        onEvent: (event) => spool.add(serializeSessionLine(event)),
        onLine: (line) => spool.add(line),
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
