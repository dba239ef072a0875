import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { once } from "node:events";
import { pipeline } from "node:stream/promises";
import { isReverieError, ReverieError } from "@reverie/core";
import type { BadLine } from "./context.js";
import { detect } from "./detect.js";
import { canceled } from "./line-reader.js";
import { readSessionHeader, serializeSessionLine, sessionsDir } from "./normalized.js";
import { readTranscript } from "./read-transcript.js";
import type { ReadTranscriptOptions, TranscriptReport } from "./read-transcript.js";
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

  for (const { file, explicit } of files) {
    if (options.signal?.aborted) throw canceled(file);
    let format: TranscriptFormat;
    let readOptions: ReadTranscriptOptions = options;
    if ((options.format ?? "auto") === "auto") {
      try {
        format = (await detect(file, options.maxJsonBytes === undefined ? {} : { maxJsonBytes: options.maxJsonBytes })).format;
      } catch (error) {
        if (explicit || !isReverieError(error, "INVALID_INPUT")) throw error;
        result.ignored.push({ file, reason: error.message });
        continue;
      }
      readOptions = { ...options, format };
    }
    try {
      const imported = await importOne(file, options.memoryDir, readOptions);
      result.sessions.push(imported);
      result.badLines.push(...imported.badLines);
    } catch (error) {
      if (options.strict === true || !isReverieError(error, "PARSE_ERROR", "INVALID_INPUT")) throw error;
      result.failed.push({ file, code: error.code, message: error.message });
    }
  }
  return result;
}

async function importOne(file: string, memoryDir: string, options: ReadTranscriptOptions): Promise<ImportedSession> {
  const dir = sessionsDir(memoryDir);
  await mkdir(dir, { recursive: true });
  const suffix = randomBytes(6).toString("hex");
  const eventsTemp = join(dir, `.import-${suffix}.events.tmp`);
  let finalTemp: string | undefined;
  try {
    const out = createWriteStream(eventsTemp, { flags: "wx" });
    let writeError: unknown;
    out.on("error", (error) => (writeError = error));
    const closed = once(out, "close");
    let read;
    try {
      read = await readTranscript(file, {
        ...options,
        onEvent: async (event) => {
          if (!out.write(`${serializeSessionLine(event)}\n`)) await once(out, "drain");
        },
      });
    } finally {
      out.end();
      await closed;
    }
    if (writeError !== undefined) throw writeError;
    const { header, report } = read;
    const target = join(dir, `${header.id}.jsonl`);
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
    finalTemp = `${target}.${suffix}.tmp`;
    const final = createWriteStream(finalTemp, { flags: "wx" });
    final.write(`${serializeSessionLine(header)}\n`);
    await pipeline(createReadStream(eventsTemp), final);
    const handle = await open(finalTemp, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(finalTemp, target);
    finalTemp = undefined;
    return { ...base, status: existing === undefined ? "created" : "updated" };
  } finally {
    await rm(eventsTemp, { force: true });
    if (finalTemp !== undefined) await rm(finalTemp, { force: true });
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
