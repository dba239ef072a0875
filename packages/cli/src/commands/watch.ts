import { open, readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { loadSearchDoc, openMemory, openSearchIndex, searchCacheFile, ReverieError, watchIndex, type IndexWatcher, type Memory, type RefreshStats, type SearchIndex } from "@reverie/core";
import { dream, type Consolidator } from "@reverie/dream";
import { count, dirFlag, note, type CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { positiveInt } from "./numbers.js";
import { consolidatorFor } from "./provider.js";

interface WatchFlags {
  sessions?: string;
  dreamAfter?: string;
  saveEveryMs?: string;
  pollMs?: string;
}

/** Transcript files a dream can read (Claude Code JSONL, message arrays, normalized sessions). */
const TRANSCRIPT = /\.(jsonl|json)$/i;

/**
 * `reverie watch`: keeps the search index current while agents and people edit the folder, and
 * with `--sessions <dir> --dream-after N` starts a dream once N new transcripts have appeared
 * there. One line per event on stderr; SIGINT/SIGTERM stop it after saving the index.
 */
export async function run(ctx: CommandContext, flags: WatchFlags): Promise<number> {
  const saveEveryMs = flags.saveEveryMs === undefined ? 2000 : positiveInt(flags.saveEveryMs, "--save-every-ms");
  const pollMs = flags.pollMs === undefined ? 1000 : positiveInt(flags.pollMs, "--poll-ms");
  const dreamAfter = flags.dreamAfter === undefined ? undefined : positiveInt(flags.dreamAfter, "--dream-after");
  if (dreamAfter !== undefined && flags.sessions === undefined) {
    throw new ReverieError("INVALID_INPUT", "--dream-after needs --sessions <dir>: the folder where new transcripts appear, e.g. ~/.claude/projects/my-app", {});
  }
  const memory = await openMemory(ctx.dir);
  const consolidator = dreamAfter === undefined ? undefined : (await consolidatorFor(ctx, {}, undefined, memory.config.dream)).consolidator;
  const log = (line: string) => note(ctx, `watch: ${line}`);

  const indexes: SearchIndex[] = [];
  const watchers: IndexWatcher[] = [];
  for (const scope of memory.scopes) {
    const where = scope.prefix === "" ? "the memory" : `mount ${scope.prefix}/`;
    const index = await openSearchIndex({
      dir: scope.dir,
      namespace: scope.prefix,
      load: loadSearchDoc,
      cacheFile: searchCacheFile(memory.dir, scope.prefix),
      autosaveMs: saveEveryMs,
      onError: (error) => log(`could not save the index of ${where}: ${(error as Error).message}`),
    });
    indexes.push(index);
    watchers.push(watchIndex(reporting(index, log), { onError: (error) => log(`error in ${where}: ${(error as Error).message}`) }));
  }
  await Promise.all(watchers.map((w) => w.ready));
  const indexed = indexes.reduce((n, i) => n + i.size, 0);
  log(`watching ${memory.dir} (${count(indexed, "memory", "memories")} indexed)`);

  const sessionsDir = flags.sessions === undefined ? undefined : (await (await import("../claude-code-paths.js")).resolveSessionsArgument(ctx.env, process.cwd(), [flags.sessions]))[0]!;
  const sessions = sessionsDir === undefined ? undefined : await watchSessions(ctx, memory, resolve(sessionsDir), pollMs, dreamAfter, consolidator, log);

  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once("SIGINT", () => done("SIGINT"));
    process.once("SIGTERM", () => done("SIGTERM"));
  });
  log(`${signal}: stopping`);
  await sessions?.close();
  await Promise.all(watchers.map((w) => w.close()));
  await Promise.all(indexes.map((i) => i.close()));
  await memory.close();
  log("index saved; stopped");
  return EXIT.ok;
}

/** The index, with each batch the watcher syncs reported as one line. */
function reporting(index: SearchIndex, log: (line: string) => void): SearchIndex {
  const describe = (stats: RefreshStats) =>
    [stats.added && `${stats.added} added`, stats.updated && `${stats.updated} updated`, stats.removed && `${stats.removed} removed`].filter(Boolean).join(", ");
  return new Proxy(index, {
    get(target, property, receiver) {
      if (property === "sync") {
        return async (paths: readonly string[]) => {
          const stats = await target.sync(paths);
          const what = describe(stats);
          if (what) log(`indexed ${paths.join(", ")} (${what})`);
          return stats;
        };
      }
      if (property === "refresh") {
        return async () => {
          const stats = await target.refresh();
          const what = describe(stats);
          if (what) log(`re-indexed ${target.namespace || "the memory"} (${what})`);
          return stats;
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Every transcript file under `dir`, recursively. */
async function transcripts(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && TRANSCRIPT.test(e.name)).map((e) => join(e.parentPath, e.name));
}

/**
 * Whether a transcript's last write is whole: a JSONL file ends with its line's newline, a JSON
 * file parses. A file caught mid-write (an agent appending a line, a copy in progress) is not.
 */
async function isComplete(file: string, size: number): Promise<boolean> {
  if (size === 0) return false;
  if (/\.json$/i.test(file)) {
    try {
      JSON.parse(await readFile(file, "utf8"));
      return true;
    } catch {
      return false;
    }
  }
  const handle = await open(file, "r");
  try {
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

/**
 * Polls `dir` for transcripts that were not there when watching started; once `dreamAfter` of
 * them have appeared, dreams over them. A file counts as new once it is settled: the same size
 * and mtime as at the previous poll, and its last line or JSON document complete. Polling rather
 * than file events: a projects folder is small, and a session file is appended to for its whole
 * life, so "new and settled" is what matters.
 */
async function watchSessions(
  ctx: CommandContext,
  memory: Memory,
  dir: string,
  pollMs: number,
  dreamAfter: number | undefined,
  consolidator: Consolidator | undefined,
  log: (line: string) => void,
): Promise<{ close(): Promise<void> }> {
  const known = new Set(await transcripts(dir));
  /** Size and mtime of each new file at the previous poll. */
  const seen = new Map<string, string>();
  let pending: string[] = [];
  let dreaming: Promise<void> | null = null;
  let closed = false;
  log(`watching ${dir} for new sessions (${known.size} already there${dreamAfter ? `; dreaming after ${dreamAfter} new` : ""})`);

  async function startDream(batch: string[]): Promise<void> {
    log(`dreaming over ${count(batch.length, "new session")}`);
    try {
      const record = await dream({ memory: memory.dir, sessions: batch, ...(consolidator ? { consolidator } : {}) });
      const ops = Object.entries(record.outputs.ops)
        .filter(([, n]) => n > 0)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(", ");
      if (record.status === "completed") {
        log(`dream ${record.id} completed: ${ops || "no changes proposed"}; review with: reverie dream show ${record.id}${dirFlag(ctx.dir)}`);
      } else {
        log(`dream ${record.id} ${record.status}${record.error ? `: ${record.error.message}` : ""}`);
      }
    } catch (error) {
      log(`dream failed: ${(error as Error).message}`);
    }
  }

  async function poll(): Promise<void> {
    for (const file of await transcripts(dir)) {
      if (known.has(file)) continue;
      const info = await stat(file).catch(() => null);
      if (info === null) continue;
      const shape = `${info.size}:${info.mtimeMs}`;
      if (seen.get(file) !== shape) {
        seen.set(file, shape);
        continue;
      }
      if (!(await isComplete(file, info.size).catch(() => false))) continue;
      known.add(file);
      seen.delete(file);
      pending.push(file);
      log(`new session ${file}${dreamAfter ? ` (${pending.length}/${dreamAfter})` : ""}`);
    }
    if (dreamAfter !== undefined && pending.length >= dreamAfter && dreaming === null) {
      const batch = pending;
      pending = [];
      dreaming = startDream(batch).finally(() => (dreaming = null));
    }
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  const loop = () => {
    timer = setTimeout(() => {
      poll()
        .catch((error: unknown) => log(`could not read ${dir}: ${(error as Error).message}`))
        .finally(() => {
          if (!closed) loop();
        });
    }, pollMs);
  };
  loop();
  return {
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      await dreaming;
    },
  };
}
