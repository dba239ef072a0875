import type { Stats } from "node:fs";
import { relative, sep } from "node:path";
import { isReservedPath } from "./scan.js";
import type { SearchIndex } from "./search-index.js";

/** The part of chokidar 4 the watcher uses; pass the real module or a stand-in. */
export type ChokidarLib = Pick<typeof import("chokidar"), "watch">;

/** Options of `watchIndex`. */
export interface WatchIndexOptions {
  /** The chokidar module. @default `await import("chokidar")`, loaded only when watching starts */
  lib?: ChokidarLib;
  /**
   * How long to gather file events before syncing them as one batch. Higher values mean fewer,
   * larger syncs during bulk edits, at the cost of a later index. @default 50
   */
  debounceMs?: number;
  /** Receives watcher and sync errors; watching goes on. @default ignore */
  onError?: (error: unknown) => void;
}

/** A running watcher. */
export interface IndexWatcher {
  /**
   * Resolves once the folder is watched and a catch-up refresh has indexed what changed since
   * the index was opened; rejects if chokidar cannot be loaded or started.
   */
  ready: Promise<void>;
  /**
   * Syncs the events seen so far now instead of after the debounce, and waits for every sync
   * under way: a search that follows sees each change the watcher has been told of.
   */
  flush(): Promise<void>;
  /** Stops watching and waits for the sync in progress. Persisting is the index's job (`autosaveMs`, `save()`). */
  close(): Promise<void>;
}

/**
 * Keeps a search index current while agents and people edit its folder: created, changed and
 * deleted memory files are synced in small batches; a directory appearing or vanishing triggers
 * a full (stat-only) refresh, since its files may have moved with it.
 *
 * @example
 * const watcher = watchIndex(index, { onError: console.error });
 * await watcher.ready;
 * // … edits to the folder now show up in index.search() …
 * await watcher.close();
 */
export function watchIndex(index: SearchIndex, options: WatchIndexOptions = {}): IndexWatcher {
  const { debounceMs = 50, onError } = options;
  const pending = new Set<string>();
  let refreshAll = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> = Promise.resolve();
  let closed = false;
  let watcher: { close(): Promise<void> } | undefined;

  let signalClosed = (): void => undefined;
  const closing = new Promise<void>((resolve) => (signalClosed = resolve));

  const report = (error: unknown): void => onError?.(error);
  const toFolderPath = (absolute: string): string | undefined => {
    const rel = relative(index.dir, absolute).split(sep).join("/");
    return rel === "" || rel === ".." || rel.startsWith("../") ? undefined : rel;
  };
  const toIndexPath = (rel: string): string => (index.namespace === "" ? rel : `${index.namespace}/${rel}`);

  function flush(): void {
    timer = undefined;
    const paths = [...pending];
    const all = refreshAll;
    pending.clear();
    refreshAll = false;
    flushing = flushing
      .then(() => (all ? index.refresh() : index.sync(paths)))
      .then(() => undefined, report);
  }

  function schedule(): void {
    if (!closed && timer === undefined) timer = setTimeout(flush, debounceMs);
  }

  function ignored(absolute: string, stats?: Stats): boolean {
    const rel = toFolderPath(absolute);
    if (rel === undefined) return false;
    if (stats?.isDirectory()) return index.ignores(toIndexPath(rel), "dir");
    if (stats?.isFile()) return index.ignores(toIndexPath(rel), "file");
    // chokidar also asks before it has a stat: prune reserved folders by name, decide the rest later.
    return isReservedPath(rel);
  }

  async function start(): Promise<void> {
    const lib = options.lib ?? (await import("chokidar"));
    if (closed) return;
    const fsWatcher = lib.watch(index.dir, { ignoreInitial: true, followSymlinks: false, ignored });
    watcher = fsWatcher;
    fsWatcher.on("all", (event, absolute) => {
      if (event === "addDir" || event === "unlinkDir") {
        refreshAll = true;
      } else {
        const rel = toFolderPath(absolute);
        if (rel === undefined) return;
        pending.add(toIndexPath(rel));
      }
      schedule();
    });
    fsWatcher.on("error", report);
    await Promise.race([new Promise<void>((resolve) => fsWatcher.once("ready", () => resolve())), closing]);
    if (closed) return;
    // Whatever changed between opening the index and the watcher's first look is caught here.
    await index.refresh();
  }

  const ready = start();
  ready.catch(() => undefined);

  return {
    ready,
    async flush() {
      if (timer !== undefined) {
        clearTimeout(timer);
        flush();
      }
      await flushing;
    },
    async close() {
      closed = true;
      signalClosed();
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      await ready.catch(() => undefined);
      await watcher?.close();
      await flushing;
    },
  };
}
