import { lstatSync, readFileSync } from "node:fs";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { join } from "node:path";
import MiniSearch, { type Options, type Query, type SearchOptions, type SearchResult } from "minisearch";
import { isReverieError, ReverieError, truncateForMessage } from "../errors.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { contentHash } from "../hash.js";
import { readCache, serializeCache, type CacheStatus, type ManifestEntry } from "./cache-file.js";
import { decodeIndex, encodeIndex, hasTerm } from "./index-codec.js";
import { isMemoryFileName, stripMemoryExtension } from "../memory-files.js";
import { isMissing, isReservedPath, scanMemoryFiles } from "./scan.js";
import { assertFileSize } from "../limits.js";
import { indexTerm, queryTokens, tokenize } from "./tokenize.js";

/** What the index needs to know about one memory; built by the caller's loader (e.g. from `parseNote`). */
export interface SearchDoc {
  /** Index path: the folder-relative POSIX path, under `namespace/` when the index has one. */
  path: string;
  /** What hits show as the title. */
  title: string;
  /**
   * The title was made up from the body (its first line), not written as one: it is shown but
   * not weighted as a title, or a one-line memory would count its words five times.
   */
  titleDerived?: boolean;
  tags: string[];
  /** Subject key; `""` when the memory has none. */
  key: string;
  body: string;
  type?: string;
  trust?: string;
  /**
   * The one session turn the memory was written from, if it cites exactly one. Memories of
   * adjacent turns of a session lend each other context in the ranking: a question's hit
   * raises the answer saved from the next turn.
   */
  source?: { session: string; turn: number };
}

/** One search result. */
export interface SearchHit {
  path: string;
  title: string;
  /** BM25+ relevance; only meaningful relative to other hits of the same query. */
  score: number;
  tags: string[];
  key?: string;
  type?: string;
  trust?: string;
  /** The start of the body, whitespace collapsed and headings dropped. */
  snippet?: string;
}

/** Identity of the bytes a doc was built from; lets the next open skip re-reading the file. */
export interface FileStamp {
  mtimeMs: number;
  size: number;
  /** Content hash of the file (see `contentHash`). */
  sha256: string;
}

/** A memory file the loader could not parse; it is still indexed by its path and raw text. */
export interface SearchProblem {
  path: string;
  message: string;
}

/** What a refresh, sync or rebuild did. */
export interface RefreshStats {
  /** Memory files looked at. */
  files: number;
  added: number;
  updated: number;
  removed: number;
  /** Files whose stamp or content hash showed no change. */
  unchanged: number;
  /** Files read and hashed because their mtime or size changed (or were never known). */
  read: number;
  durationMs: number;
}

/** Options of `SearchIndex.search`. */
export interface SearchQueryOptions {
  /** Most hits returned. @default 20 */
  limit?: number;
  /** Only paths starting with this string, e.g. `"prefs/"` (a plain prefix: add the `/` for a folder). */
  under?: string;
  /**
   * Typo tolerance: terms of 5+ characters match within one edit (two from 10 characters). A
   * term of 3+ characters that no memory has also matches with one edit or two adjacent letters
   * swapped (`pnmp` and `pnpn` find `pnpm`); a short word that exists is taken as meant.
   * @default true
   */
  fuzzy?: boolean;
  /** The last query term also matches as a prefix (search-as-you-type), if it has 2+ characters. @default true */
  prefix?: boolean;
  /**
   * How terms combine: `"and"` only memories with every term, `"or"` any term, `"and-then-or"`
   * every term unless none has them all. Searching several indexes together needs `"and"` then
   * `"or"` across all of them, or one index's loose matches would crowd out another's exact ones.
   * @default "and-then-or"
   */
  combine?: "and" | "or" | "and-then-or";
}

/** Options of `openSearchIndex`. */
export interface SearchIndexOptions {
  /** The memory folder to index. */
  dir: string;
  /**
   * Builds a doc from a file's path (the index path) and text. It may throw: the file is then
   * indexed by path and raw text, titled by its file name, and listed in `problems`.
   */
  load(path: string, content: string): SearchDoc;
  /** Where the index is persisted. @default `<dir>/.reverie/cache/search-index.json` */
  cacheFile?: string;
  /** Where the cache's temp file is made before its rename (same filesystem). @default beside the cache file */
  tempDir?: string;
  /**
   * Prefix of every index path, for a folder mounted as `namespace/` beside others: file
   * `a/b.md` becomes `namespace/a/b.md` in docs, hits, `upsert` and `remove`. @default "" (none)
   */
  namespace?: string;
  /**
   * Skips folder-relative paths (`.git/` and `.reverie/` are always skipped). A directory is
   * asked once, with `kind: "dir"`, and skipped whole.
   */
  exclude?: (path: string, kind: "file" | "dir") => boolean;
  /**
   * Persist changes at most this many milliseconds after the first unsaved change. The trade-off:
   * each save serializes the whole index (~100 ms at 10,000 memories), so a small delay batches a
   * burst of writes into one save. @default undefined — only `save()` and `close()` persist.
   */
  autosaveMs?: number;
  /** Receives errors of background saves; the cache is derived state, so they are not fatal. @default ignore */
  onError?: (error: unknown) => void;
}

/**
 * A full-text index over path, title, tags, key and body of every memory file. It is right as
 * soon as `upsert`/`remove` return; the files on disk are the truth and the cache file is only a
 * head start for the next open.
 */
export interface SearchIndex {
  /** The indexed folder. */
  readonly dir: string;
  /** The index-path prefix (`""` when none). */
  readonly namespace: string;
  /** Number of indexed memories. */
  readonly size: number;
  /** Files whose loader threw, sorted by path. */
  readonly problems: SearchProblem[];
  /** How the index was opened: what became of the cache, and what the catch-up refresh did. */
  readonly opened: { cache: CacheStatus; stats: RefreshStats };
  /**
   * Ranked hits, best first, ties by path ascending. A multi-term query first returns only
   * memories containing every term; if none does, memories containing any term.
   */
  search(query: string, options?: SearchQueryOptions): SearchHit[];
  /**
   * Indexes (or re-indexes) one memory, e.g. right after the store wrote it. Pass the file's
   * `stamp` so that the next open does not re-read it.
   * @throws ReverieError `INVALID_INPUT` when `doc.path` is not a relative `.md` path inside the namespace.
   */
  upsert(doc: SearchDoc, stamp?: FileStamp): void;
  /** Forgets one memory (deleted, or the old path of a rename). Unknown paths are ignored. */
  remove(path: string): void;
  /** Stats every memory file and re-indexes those that changed on disk; drops the deleted ones. */
  refresh(): Promise<RefreshStats>;
  /** Like `refresh`, limited to the given index paths (e.g. the ones a watcher saw change). */
  sync(paths: readonly string[]): Promise<RefreshStats>;
  /** Forgets everything and re-reads every memory file. */
  rebuild(): Promise<RefreshStats>;
  /** Whether an index path is skipped (reserved folder, not `.md`, or excluded by the caller). */
  ignores(path: string, kind: "file" | "dir"): boolean;
  /** Writes the cache file atomically if anything changed since the last save. */
  save(): Promise<void>;
  /** Stops the autosave timer and saves pending changes. */
  close(): Promise<void>;
}

const FIELDS = ["pathText", "titleText", "tags", "key", "body"];
const STORED_FIELDS = ["title", "tags", "key", "type", "trust", "snippet", "turn"];
// A memory's title and subject key say what it is about; tags group it; the body mentions
// things in passing; the path mostly repeats the title.
const BOOST = { titleText: 4, key: 4, tags: 2, body: 1, pathText: 0.5 };
const DEFAULT_LIMIT = 20;
const MIN_PREFIX_LENGTH = 2;
const MIN_FUZZY_LENGTH = 5;
const MIN_TWO_EDITS_LENGTH = 10;
const MIN_TYPO_LENGTH = 3;
// minisearch's own weight of a fuzzy match, for the swapped-letter variants of a term.
const SWAP_WEIGHT = 0.45;
const SWAP_BOOST = Object.fromEntries(Object.entries(BOOST).map(([field, boost]) => [field, boost * SWAP_WEIGHT]));
// Share of the best adjacent turn's score a memory adds to its own (see `SearchDoc.source`).
// 0.4 lifts LoCoMo recall@5 (one memory per dialogue turn) from 0.47 to 0.50.
const CONTEXT_SHARE = 0.4;
const SNIPPET_LENGTH = 160;
// Coarse filesystem timestamps (1 s on HFS+, 2 s on FAT, a jiffy on Linux) let two same-size
// writes share an mtime; a stamp taken this close to the write is re-hashed next time.
const RACY_WINDOW_MS = 2000;
// Synchronous stat and read are several times faster than fs/promises for thousands of small
// files (no thread-pool round trips); yielding every so often keeps a server responsive.
const FILES_PER_TURN = 256;

interface IndexedRecord {
  path: string;
  pathText: string;
  title: string;
  titleText: string;
  tags: string[];
  key: string;
  body: string;
  type: string | undefined;
  trust: string | undefined;
  snippet: string;
  /** `session` + NUL + `turn` of `SearchDoc.source`. */
  turn: string | undefined;
}

const MINISEARCH_OPTIONS: Options<IndexedRecord> = {
  idField: "path",
  fields: FIELDS,
  storeFields: STORED_FIELDS,
  tokenize,
  // Tokens come out of `tokenize` already normalized; documents and queries are stemmed alike.
  processTerm: indexTerm,
  stringifyField: (value: unknown) => (Array.isArray(value) ? value.join(" ") : String(value)),
};

/**
 * Opens the search index of a memory folder: loads the cache file when it is usable (else
 * starts empty and reads every file), then brings it up to date with the folder — stat every
 * memory file, re-read only those whose mtime or size changed, re-index only those whose content
 * hash changed, drop the deleted ones.
 *
 * @example
 * const index = await openSearchIndex({
 *   dir: "memory",
 *   load: (path, content) => {
 *     const note = parseNote(path, content);
 *     return { path, title: noteTitle(note), tags: note.frontmatter.tags ?? [], key: note.frontmatter.key ?? "", body: note.body };
 *   },
 * });
 * index.search("package manager"); // => [{ path: "prefs/pm.md", title: "Use pnpm, not npm", score: 7.1, tags: ["tooling"], ... }]
 * await index.close();
 */
export async function openSearchIndex(options: SearchIndexOptions): Promise<SearchIndex> {
  const { dir, load, exclude, autosaveMs, onError } = options;
  const namespace = normalizeNamespace(options.namespace ?? "");
  const cacheFile = options.cacheFile ?? join(dir, ".reverie", "cache", "search-index.json");
  const nsPrefix = namespace === "" ? "" : `${namespace}/`;

  let mini = new MiniSearch<IndexedRecord>(MINISEARCH_OPTIONS);
  const manifest = new Map<string, ManifestEntry>();
  // Paths by session turn (`IndexedRecord.turn`), for the context of adjacent turns.
  const turns = new Turns();
  let dirty = false;
  let autosaveTimer: ReturnType<typeof setTimeout> | undefined;
  let writes: Promise<void> = Promise.resolve();
  let jobs: Promise<unknown> = Promise.resolve();
  // Direct upserts/removes bump the clock; a refresh that started earlier must not overwrite
  // them with what it read from disk before the store's write landed.
  let clock = 0;
  const touchedAt = new Map<string, number>();

  const toIndexPath = (rel: string): string => nsPrefix + rel;
  const toFolderPath = (path: string): string | undefined =>
    path.startsWith(nsPrefix) && path.length > nsPrefix.length ? path.slice(nsPrefix.length) : undefined;

  function skips(rel: string, kind: "file" | "dir"): boolean {
    if (isReservedPath(rel)) return true;
    if (kind === "file" && !isMemoryFileName(rel)) return true;
    return exclude?.(rel, kind) ?? false;
  }

  function markDirty(): void {
    dirty = true;
    if (autosaveMs === undefined || autosaveTimer !== undefined) return;
    autosaveTimer = setTimeout(() => {
      autosaveTimer = undefined;
      save().catch((error: unknown) => onError?.(error));
    }, autosaveMs);
    autosaveTimer.unref?.();
  }

  function put(doc: SearchDoc, entry: ManifestEntry): void {
    const record = toRecord(doc);
    if (mini.has(record.path)) {
      turns.delete(record.path);
      mini.replace(record);
    } else mini.add(record);
    turns.add(record.path, record.turn);
    manifest.set(record.path, entry);
    markDirty();
  }

  function drop(path: string): boolean {
    const known = manifest.delete(path);
    if (mini.has(path)) mini.discard(path);
    turns.delete(path);
    if (known) markDirty();
    return known;
  }

  /** Runs refreshes, syncs and rebuilds one at a time so that their reads and writes never interleave. */
  function serially<T>(job: () => Promise<T>): Promise<T> {
    const run = jobs.then(job, job);
    jobs = run.catch(() => undefined);
    return run;
  }

  interface Pass {
    startedAt: number;
    clock: number;
    stats: RefreshStats;
  }

  function beginPass(): Pass {
    return {
      startedAt: Date.now(),
      clock,
      stats: { files: 0, added: 0, updated: 0, removed: 0, unchanged: 0, read: 0, durationMs: 0 },
    };
  }

  function endPass(pass: Pass): RefreshStats {
    pass.stats.durationMs = Math.round(Date.now() - pass.startedAt);
    return pass.stats;
  }

  const touchedSince = (path: string, pass: Pass): boolean => (touchedAt.get(path) ?? -1) > pass.clock;

  function forget(path: string, pass: Pass): void {
    if (!touchedSince(path, pass) && drop(path)) pass.stats.removed++;
  }

  /** Brings one file up to date given its fresh stat; reads it only when the stamp says it may have changed. */
  function syncFile(rel: string, mtimeMs: number, size: number, pass: Pass): void {
    const path = toIndexPath(rel);
    pass.stats.files++;
    const known = manifest.get(path);
    if (known !== undefined && !known.racy && known.mtimeMs === mtimeMs && known.size === size) {
      pass.stats.unchanged++;
      return;
    }
    let bytes: Buffer;
    try {
      // A file over the size limit is not read at all: it stays findable by path, and reported.
      assertFileSize(path, size);
      bytes = readFileSync(join(dir, rel));
    } catch (error) {
      if (isMissing(error)) return forget(path, pass);
      if (touchedSince(path, pass)) return;
      // An unreadable file must not stop the refresh: it stays findable by path, is reported,
      // and its unknown hash makes the next refresh try again.
      const problem = isReverieError(error) ? error.message : `cannot read the file: ${error instanceof Error ? error.message : String(error)}`;
      put({ path, title: fileName(path), tags: [], key: "", body: "" }, { mtimeMs, size, sha256: "", racy: true, problem });
      if (known === undefined) pass.stats.added++;
      else pass.stats.updated++;
      return;
    }
    pass.stats.read++;
    if (touchedSince(path, pass)) return;
    const sha256 = contentHash(bytes);
    const racy = mtimeMs >= pass.startedAt - RACY_WINDOW_MS;
    const current = manifest.get(path);
    if (current !== undefined && current.sha256 === sha256) {
      manifest.set(path, { ...current, mtimeMs, size, racy });
      if (current.mtimeMs !== mtimeMs || current.size !== size || current.racy !== racy) markDirty();
      pass.stats.unchanged++;
      return;
    }
    const content = bytes.toString("utf8");
    let doc: SearchDoc;
    let problem: string | undefined;
    try {
      doc = { ...load(path, content), path };
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
      doc = { path, title: fileName(path), tags: [], key: "", body: content };
    }
    put(doc, problem === undefined ? { mtimeMs, size, sha256, racy } : { mtimeMs, size, sha256, racy, problem });
    if (current === undefined) pass.stats.added++;
    else pass.stats.updated++;
  }

  async function refreshAll(pass: Pass): Promise<RefreshStats> {
    const rels = await scanMemoryFiles(dir, skips);
    const onDisk = new Set(rels.map(toIndexPath));
    for (const path of [...manifest.keys()]) {
      if (!onDisk.has(path)) forget(path, pass);
    }
    await eachInTurns(rels, (rel) => {
      const info = lstatSync(join(dir, rel), { throwIfNoEntry: false });
      if (info === undefined) return forget(toIndexPath(rel), pass);
      syncFile(rel, info.mtimeMs, info.size, pass);
    });
    return endPass(pass);
  }

  async function syncPaths(paths: readonly string[]): Promise<RefreshStats> {
    const pass = beginPass();
    await eachInTurns([...new Set(paths)], (path) => {
      const rel = toFolderPath(path);
      if (rel === undefined) return;
      if (skips(rel, "file")) return forget(path, pass);
      let info;
      try {
        info = lstatSync(join(dir, rel));
      } catch (error) {
        if (isMissing(error)) return forget(path, pass);
        throw error;
      }
      if (!info.isFile()) return forget(path, pass);
      syncFile(rel, info.mtimeMs, info.size, pass);
    });
    return endPass(pass);
  }

  function rebuildAll(): Promise<RefreshStats> {
    const pass = beginPass();
    mini = new MiniSearch<IndexedRecord>(MINISEARCH_OPTIONS);
    turns.clear();
    const hadFiles = manifest.size > 0;
    manifest.clear();
    if (hadFiles) markDirty();
    return refreshAll(pass);
  }

  function save(): Promise<void> {
    if (autosaveTimer !== undefined) {
      clearTimeout(autosaveTimer);
      autosaveTimer = undefined;
    }
    if (!dirty) return writes;
    // Snapshot synchronously so the manifest and the index in the file always describe the same moment.
    const text = serializeCache(namespace, manifest, encodeIndex(mini as MiniSearch<unknown>));
    dirty = false;
    const write = writes.then(() => writeFileAtomic(cacheFile, text, { ...(options.tempDir === undefined ? {} : { tempDir: options.tempDir }), kind: "cache", durable: false }));
    writes = write.catch(() => undefined);
    return write.catch((error: unknown) => {
      markDirty();
      throw error;
    });
  }

  /**
   * Adds to each memory a share of the best score among its adjacent session turns, and with
   * `addNeighbours` also ranks the adjacent turns of hits that matched nothing themselves.
   */
  function withContext(scored: Scored[], addNeighbours: boolean, inScope: (path: string) => boolean): Scored[] {
    if (turns.size === 0 || scored.length === 0) return scored;
    const own = new Map(scored.map((s) => [s.path, s.score]));
    const best = new Map<string, number>();
    for (const { path, score } of scored) {
      for (const neighbour of turns.adjacent(path)) {
        if (addNeighbours ? !inScope(neighbour) : !own.has(neighbour)) continue;
        if (score > (best.get(neighbour) ?? 0)) best.set(neighbour, score);
      }
    }
    if (best.size === 0) return scored;
    const out: Scored[] = [];
    for (const [path, score] of own) out.push({ path, score: score + CONTEXT_SHARE * (best.get(path) ?? 0) });
    for (const [path, score] of best) if (!own.has(path)) out.push({ path, score: CONTEXT_SHARE * score });
    return out.sort((a, b) => b.score - a.score);
  }

  function hitOf({ path, score }: Scored): SearchHit {
    const stored = mini.getStoredFields(path) ?? {};
    const hit: SearchHit = { path, title: stored.title as string, score, tags: stored.tags as string[] };
    if (stored.key) hit.key = stored.key as string;
    if (stored.type !== undefined) hit.type = stored.type as string;
    if (stored.trust !== undefined) hit.trust = stored.trust as string;
    if (stored.snippet) hit.snippet = stored.snippet as string;
    return hit;
  }

  let cacheStatus: CacheStatus;
  const loaded = await readCache(cacheFile, namespace);
  cacheStatus = loaded.status;
  if (loaded.status === "loaded") {
    try {
      mini = decodeIndex(loaded.cache.index, MINISEARCH_OPTIONS);
      for (const [path, entry] of Object.entries(loaded.cache.files)) manifest.set(path, entry);
      if (mini.documentCount !== manifest.size || [...manifest.keys()].some((path) => !mini.has(path))) {
        throw new Error("manifest and index disagree");
      }
      for (const path of manifest.keys()) turns.add(path, mini.getStoredFields(path)?.turn);
    } catch {
      cacheStatus = "corrupt";
      mini = new MiniSearch<IndexedRecord>(MINISEARCH_OPTIONS);
      manifest.clear();
      turns.clear();
    }
  }
  const openStats = await refreshAll(beginPass());
  // A cache we could not use is rewritten even when the folder is empty.
  if (cacheStatus !== "loaded") dirty = true;

  return {
    dir,
    namespace,
    get size() {
      return mini.documentCount;
    },
    get problems() {
      const found: SearchProblem[] = [];
      for (const [path, entry] of manifest) if (entry.problem !== undefined) found.push({ path, message: entry.problem });
      return found.sort((a, b) => compareStrings(a.path, b.path));
    },
    opened: { cache: cacheStatus, stats: openStats },

    search(query, searchOptions = {}) {
      const terms = queryTokens(query);
      const limit = searchOptions.limit ?? DEFAULT_LIMIT;
      if (terms.length === 0 || limit <= 0) return [];
      const { under } = searchOptions;
      const inScope = (path: string): boolean => under === undefined || under === "" || path.startsWith(under);
      const known = (term: string): boolean => hasTerm(mini as MiniSearch<unknown>, indexTerm(term));
      const prefix = searchOptions.prefix !== false;
      const fuzzy = searchOptions.fuzzy !== false;
      const last = terms.length - 1;
      const base: SearchOptions = {
        boost: BOOST,
        prefix: prefix ? (term, i) => i === last && term.length >= MIN_PREFIX_LENGTH : false,
        fuzzy: fuzzy ? (term) => (term.length >= MIN_TWO_EDITS_LENGTH ? 2 : term.length >= MIN_FUZZY_LENGTH ? 1 : false) : false,
        ...(under === undefined || under === "" ? {} : { filter: (result: SearchResult) => inScope(result.id as string) }),
      };
      // A plain string query unless a term is a typo (a query tree costs more to run).
      const typos = fuzzy && terms.some((term) => term.length >= MIN_TYPO_LENGTH && !known(term));
      const tree = typos ? termQueries(terms, prefix, known) : undefined;
      const text = terms.join(" ");
      const run = (combineWith: "AND" | "OR"): Scored[] =>
        mini.search(tree === undefined ? text : { combineWith, queries: tree }, { ...base, combineWith }).map((r) => ({ path: r.id as string, score: r.score }));
      const combine = searchOptions.combine ?? "and-then-or";
      if (combine !== "and-then-or" || terms.length === 1) {
        const scored = run(combine === "and" ? "AND" : "OR");
        return topByScoreThenPath(withContext(scored, combine !== "and", inScope), limit).map(hitOf);
      }
      // Memories with every term first, then those with some: a long question rarely has all
      // its words in one memory, and the partial matches are what it is looking for.
      const every = topByScoreThenPath(withContext(run("AND"), false, inScope), limit);
      if (every.length >= limit) return every.map(hitOf);
      const seen = new Set(every.map((s) => s.path));
      const some = withContext(run("OR"), true, inScope).filter((s) => !seen.has(s.path));
      return [...every, ...topByScoreThenPath(some, limit - every.length)].map(hitOf);
    },

    upsert(doc, stamp) {
      const rel = toFolderPath(doc.path);
      if (rel === undefined || !isMemoryPath(rel)) {
        throw new ReverieError(
          "INVALID_INPUT",
          `Cannot index ${truncateForMessage(doc.path)}: expected a relative POSIX path ending in ".md"${nsPrefix === "" ? "" : ` under "${nsPrefix}"`}, e.g. "${nsPrefix}prefs/pm.md".`,
          { path: doc.path, namespace },
        );
      }
      const entry: ManifestEntry = stamp
        ? { mtimeMs: stamp.mtimeMs, size: stamp.size, sha256: stamp.sha256, racy: stamp.mtimeMs >= Date.now() - RACY_WINDOW_MS }
        : { mtimeMs: -1, size: -1, sha256: "", racy: true };
      touchedAt.set(doc.path, ++clock);
      put(doc, entry);
    },

    remove(path) {
      touchedAt.set(path, ++clock);
      drop(path);
    },

    refresh: () => serially(() => refreshAll(beginPass())),
    sync: (paths) => serially(() => syncPaths(paths)),
    rebuild: () => serially(rebuildAll),

    ignores(path, kind) {
      const rel = toFolderPath(path);
      return rel === undefined || skips(rel, kind);
    },

    save,

    async close() {
      await jobs;
      await save();
    },
  };
}

function toRecord(doc: SearchDoc): IndexedRecord {
  // Loaders see user-written YAML; a scalar where a list belongs must not break indexing.
  const tags = Array.isArray(doc.tags) ? doc.tags.filter((tag): tag is string => typeof tag === "string") : [];
  return {
    path: doc.path,
    pathText: stripMemoryExtension(doc.path),
    title: asString(doc.title),
    titleText: doc.titleDerived === true ? "" : asString(doc.title),
    tags,
    key: asString(doc.key),
    body: asString(doc.body),
    type: typeof doc.type === "string" ? doc.type : undefined,
    trust: typeof doc.trust === "string" ? doc.trust : undefined,
    snippet: snippetOf(asString(doc.body)),
    turn: turnKey(doc.source),
  };
}

function turnKey(source: SearchDoc["source"]): string | undefined {
  if (source === undefined || typeof source.session !== "string" || !Number.isInteger(source.turn)) return undefined;
  return `${source.session}\u0000${source.turn}`;
}

interface Scored {
  path: string;
  score: number;
}

/** Index paths by session turn, to find the memories of the turns before and after a hit's. */
class Turns {
  private readonly byKey = new Map<string, Set<string>>();
  private readonly ofPath = new Map<string, { session: string; turn: number }>();

  get size(): number {
    return this.ofPath.size;
  }

  add(path: string, key: unknown): void {
    if (typeof key !== "string") return;
    const cut = key.lastIndexOf("\u0000");
    const turn = Number(key.slice(cut + 1));
    if (cut < 0 || !Number.isInteger(turn)) return;
    this.ofPath.set(path, { session: key.slice(0, cut), turn });
    let paths = this.byKey.get(key);
    if (paths === undefined) this.byKey.set(key, (paths = new Set()));
    paths.add(path);
  }

  delete(path: string): void {
    const at = this.ofPath.get(path);
    if (at === undefined) return;
    this.ofPath.delete(path);
    const key = `${at.session}\u0000${at.turn}`;
    const paths = this.byKey.get(key);
    paths?.delete(path);
    if (paths?.size === 0) this.byKey.delete(key);
  }

  clear(): void {
    this.byKey.clear();
    this.ofPath.clear();
  }

  adjacent(path: string): string[] {
    const at = this.ofPath.get(path);
    if (at === undefined) return [];
    const found: string[] = [];
    for (const turn of [at.turn - 1, at.turn + 1]) for (const other of this.byKey.get(`${at.session}\u0000${turn}`) ?? []) found.push(other);
    return found;
  }
}

/**
 * One query per term, for a query with a typo: the term itself (the last one also as a prefix,
 * long ones within their edit distance) or, for a term no memory has, within one edit or, at a
 * fuzzy match's weight, with two adjacent letters swapped — Levenshtein counts a swap as two
 * edits, too many for a short word.
 */
function termQueries(terms: string[], prefix: boolean, known: (term: string) => boolean): Query[] {
  const last = terms.length - 1;
  return terms.map((term, i): Query => {
    const unknown = term.length >= MIN_TYPO_LENGTH && !known(term);
    const exact: Query = {
      queries: [term],
      prefix: prefix && i === last && term.length >= MIN_PREFIX_LENGTH,
      fuzzy: (t: string) => (t.length >= MIN_TWO_EDITS_LENGTH ? 2 : t.length >= MIN_FUZZY_LENGTH || unknown ? 1 : false),
    };
    const swaps = unknown ? swapped(term) : [];
    if (swaps.length === 0) return exact;
    return { combineWith: "OR", queries: [exact, { combineWith: "OR", queries: swaps, boost: SWAP_BOOST, prefix: false, fuzzy: false }] };
  });
}

/** `term` with each pair of adjacent, different letters swapped. */
function swapped(term: string): string[] {
  const chars = [...term];
  const out = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) {
    if (chars[i] === chars[i + 1]) continue;
    const copy = [...chars];
    [copy[i], copy[i + 1]] = [copy[i + 1] as string, copy[i] as string];
    out.add(copy.join(""));
  }
  out.delete(term);
  return [...out];
}

/**
 * minisearch returns results sorted by descending score; re-sorting thousands of hits for a
 * common word would cost more than the search, so only runs of equal scores up to `limit` are
 * put in path order.
 */
function topByScoreThenPath(results: Scored[], limit: number): Scored[] {
  const top: Scored[] = [];
  for (let start = 0; start < results.length && top.length < limit; ) {
    const score = (results[start] as Scored).score;
    let end = start + 1;
    while (end < results.length && (results[end] as Scored).score === score) end++;
    const run = results.slice(start, end);
    if (run.length > 1) run.sort((a, b) => compareStrings(a.path, b.path));
    top.push(...run);
    start = end;
  }
  return top.slice(0, limit);
}

function snippetOf(body: string): string {
  const text = body
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
  return text.length <= SNIPPET_LENGTH ? text : `${text.slice(0, SNIPPET_LENGTH - 1)}…`;
}

function asString(value: unknown): string {
  return typeof value === "string" ? value : value == null ? "" : String(value);
}

function fileName(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return stripMemoryExtension(base);
}

function isMemoryPath(rel: string): boolean {
  return (
    isMemoryFileName(rel) &&
    !rel.startsWith("/") &&
    !rel.includes("\\") &&
    !rel.split("/").some((segment) => segment === "" || segment === "." || segment === "..") &&
    !isReservedPath(rel)
  );
}

function normalizeNamespace(namespace: string): string {
  const trimmed = namespace.replace(/^\/+|\/+$/g, "");
  if (trimmed.split("/").some((segment) => segment === "." || segment === "..") || trimmed.includes("\\")) {
    throw new ReverieError("INVALID_INPUT", `Invalid search namespace ${truncateForMessage(namespace)}: expected a relative POSIX folder name such as "org".`, {
      namespace,
    });
  }
  return trimmed;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Runs `fn` over `items`, yielding to the event loop every FILES_PER_TURN items. */
async function eachInTurns<T>(items: readonly T[], fn: (item: T) => void): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % FILES_PER_TURN === 0) await yieldToEventLoop();
    fn(items[i] as T);
  }
}
