import { realpath, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { loadConfig, type MemoryConfig } from "../config.js";
import { isReverieError, ReverieError, truncateForMessage } from "../errors.js";
import { fsyncDir, writeFileAtomic, type AtomicWriteOptions } from "../fs/atomic-write.js";
import { contentHash, isContentHash } from "../hash.js";
import { agentIdentity, openRepo, repoTopLevel, type CommitInfo, type GitRepo } from "../git/repo.js";
import { beginJournal, type JournalHandle } from "../recovery/journal.js";
import { lockMemoryFolder, stderrNotice, type FilesIntent, type Notice, type RecoveryOptions } from "../recovery/recover.js";
import { assertNoOperationInProgress } from "../recovery/git-state.js";
import { reverieTempDir } from "../recovery/temp-files.js";
import { decodeUtf8, noteTitle, parseNote } from "../note/parse.js";
import type { Note } from "../note/types.js";
import { openSearchIndex, type SearchHit, type SearchIndex, type SearchQueryOptions } from "../search/search-index.js";
import { watchIndex, type IndexWatcher } from "../search/watch-index.js";
import { diagnose, repairScope, type Diagnostic, type Repair } from "./doctor.js";
import { loadSearchDoc, searchCacheFile } from "./search-docs.js";
import { normalizeMemoryFolder } from "../paths.js";
import { assertNoNewSecrets, type SecretCheck } from "../secrets/refuse-secrets.js";
import { assertFileSize, utf8Length } from "../limits.js";
import { explainOsError } from "../fs/os-errors.js";
import { readMemoryBytes } from "../fs/read-memory-file.js";
import { assertContained, assertNotLink, assertWritable, mountScope, namespacePath, resolveIn, type Resolved, type Scope } from "./scopes.js";
import { isoSeconds, stampContent, type Attribution } from "./stamp.js";
import { walkMemoryFolder } from "./walk.js";
import { listMarkdownFiles } from "./walk.js";
import { assertNoCaseCollision, assertNoNul, assertUniqueId, assertValidMemory } from "./write-checks.js";

export interface OpenMemoryOptions extends Attribution {
  /** How long a write waits for another process holding the memory's lock. @default 15000 */
  lockTimeoutMs?: number;
  /** The time written into `created`/`updated`; injectable for reproducible tests. @default () => new Date() */
  clock?: () => Date;
  /**
   * Receives one line for each thing repaired after a crash before a write (a stale git lock
   * removed, an interrupted write finished). @default writes the line to process.stderr
   */
  onNotice?: Notice;
  /**
   * Make every commit durable before it is acknowledged: git fsyncs the objects and refs it
   * writes (`core.fsync=committed,loose-object,reference`, `core.fsyncMethod=batch`) and
   * folders are fsync'd after renames. Off trades power-cut safety for a faster write; only
   * the bench turns it off, to measure the cost. @default true
   */
  durable?: boolean;
  /**
   * For a long-lived process (the MCP server): the search index, once opened, stays open and
   * current — writes through this object update it, a file watcher picks up hand edits, and
   * each search first notices other processes' commits (a file read of HEAD) and catches up
   * with them. Off, the index is as of its first open plus this object's own writes.
   * @default false
   */
  live?: boolean;
}

/** Per-call attribution and preconditions of a mutation. */
export interface MutationOptions extends Attribution {
  /**
   * The content hash the file must have now (lowercase hex SHA-256 of its bytes). A mismatch
   * is a `CONFLICT` and nothing is written; `null` means the file must not exist yet.
   */
  expectHash?: string | null;
  /**
   * Write even though the content, the file name or the attribution holds a credential (an
   * API key, a token, a private key, a password in a URL). Off, such a write is refused with
   * `SECRET_DETECTED` and nothing is written.
   * @default false
   */
  allowSecrets?: boolean;
}

export interface WriteOptions extends MutationOptions {
  /**
   * Add `id`, `created`/`updated` and a `sources` entry to the front-matter. Off writes the
   * bytes exactly as given.
   * @default true
   */
  stamp?: boolean;
  /**
   * Replace the file even though its current front-matter cannot be parsed (or it is not
   * UTF-8): the new content replaces it whole; only its `id` and `created`, when they can be
   * read off the broken lines, are kept. Off, such a file is refused with its parse error.
   * @default false
   */
  forceParse?: boolean;
  /** Write a memory with no text after its front-matter. Off, that is refused with `INVALID_INPUT`. @default false */
  allowEmpty?: boolean;
}

/** A memory file as read, with where it lives. */
export interface MemoryFile extends Note {
  title: string;
  /** The mount it belongs to ("" for the memory folder itself). */
  mount: string;
  readOnly: boolean;
}

export interface WriteResult {
  path: string;
  op: "create" | "update" | "unchanged";
  sha256: string;
  previousSha256: string | null;
  /** The commit that recorded the write; `null` when nothing changed. */
  commit: string | null;
}

export interface RemoveResult {
  path: string;
  previousSha256: string;
  commit: string;
}

export interface RenameResult {
  from: string;
  to: string;
  sha256: string;
  commit: string;
}

export interface MemoryEntry {
  path: string;
  title: string;
  type?: string;
  key?: string;
  size: number;
  mount: string;
  /** Why the file could not be parsed, if it could not (it is still listed). */
  problem?: string;
  /**
   * Set for a symbolic link: what it points to (as stored in the link). Links are listed, never
   * followed by a listing; `problem` says so.
   */
  link?: string;
}

/** One commit touching the memory, with the attribution from its trailers. */
export interface HistoryEntry {
  commit: string;
  date: string;
  author: string;
  op?: string;
  agent?: string;
  session?: string;
  dream?: string;
  dreamOp?: string;
  evidence?: string;
  subject: string;
  paths: CommitInfo["paths"];
}

/** An open memory folder: read, write, list, history. Every mutation is one attributed git commit. */
export interface Memory {
  readonly dir: string;
  readonly config: MemoryConfig;
  /** The memory folder and its mounts. */
  readonly scopes: readonly Scope[];
  /** The memory folder's own repository. */
  readonly repo: GitRepo;
  resolve(path: string): Resolved;
  read(path: string): Promise<MemoryFile>;
  exists(path: string): Promise<boolean>;
  /**
   * Writes `content`; given a function, it is called under the memory's lock with the file's
   * current text and hash (`null` when there is no file) and returns the text to write — a
   * read-modify-write no other writer can slip into (it may throw to write nothing).
   */
  write(path: string, content: string | ((current: { content: string; sha256: string } | null) => string), options?: WriteOptions): Promise<WriteResult>;
  remove(path: string, options?: MutationOptions): Promise<RemoveResult>;
  /** Removes several files of one scope in one commit: all of them, or (on any error) none. */
  removeMany(paths: readonly string[], options?: Attribution): Promise<RemoveResult[]>;
  rename(from: string, to: string, options?: MutationOptions): Promise<RenameResult>;
  /** Moves several files of one scope in one commit (a folder rename): all of them, or (on any error) none. */
  renameMany(moves: ReadonlyArray<{ from: string; to: string }>, options?: Attribution & Pick<MutationOptions, "allowSecrets">): Promise<RenameResult[]>;
  list(prefix?: string): Promise<MemoryEntry[]>;
  history(path?: string, options?: { limit?: number }): Promise<HistoryEntry[]>;
  /**
   * Ranked full-text hits over path, title, tags, key and body of every scope. The first call
   * opens the index from its cache and catches up with the files; writes through this object
   * keep it current. Other processes' writes and hand edits are seen by a later open, or at
   * once by a memory opened with `live`.
   */
  search(query: string, options?: SearchQueryOptions): Promise<SearchHit[]>;
  /** Every file that cannot be parsed, bad front-matter fields, duplicate ids, and repository problems. */
  doctor(): Promise<Diagnostic[]>;
  /**
   * Repairs, in every writable scope, what a crash left and is safe to repair (see
   * `repairScope`): stale git locks, temps, interrupted operations, staged leftovers.
   * `handlers` finish journal kinds of other packages (`@reverie/dream`'s adopt).
   */
  repair(options?: { handlers?: RecoveryOptions["handlers"] }): Promise<Repair[]>;
  /** Persists the search index (if it was opened) so the next open starts warm. */
  close(): Promise<void>;
}

/**
 * Opens a memory folder made by `initMemory` (or cloned from one).
 * @throws ReverieError `NOT_A_MEMORY` when the folder is missing, not a git repository, or has no `.reverie/config.yaml`.
 * @example
 * const memory = await openMemory("./memory", { agent: "coder-1" });
 * await memory.write("prefs/pm.md", "Use pnpm, not npm.\n", { session: "ses_1" });
 */
export async function openMemory(dir: string, options: OpenMemoryOptions = {}): Promise<Memory> {
  const root = await realFolder(dir);
  const top = await repoTopLevel(root);
  if (top === null || (await realpath(top)) !== root) {
    throw new ReverieError(
      "NOT_A_MEMORY",
      `${dir} is not a reverie memory folder: it is not ${top === null ? "a git repository" : `the top of its git repository (that is ${top})`}. Create a memory with: reverie init ${dir}`,
      { dir },
    );
  }
  const config = await loadConfig(root);
  const repo = await openRepo(root, { durable: options.durable !== false });
  const scopes: Scope[] = [{ prefix: "", dir: root, access: "read_write", repo }];
  for (const mount of config.mounts) {
    const mountDir = await realFolder(mount.dir, `mount '${mount.path}'`);
    const mountTop = mount.access === "read_write" ? await repoTopLevel(mountDir) : null;
    if (mount.access === "read_write" && (mountTop === null || (await realpath(mountTop)) !== mountDir)) {
      throw new ReverieError(
        "NOT_A_MEMORY",
        `The read_write mount '${mount.path}' (${mountDir}) is not the top of a git repository, so writes there could not be committed. Run: reverie init ${mountDir} — or mount it read_only.`,
        { dir: mountDir, mount: mount.path },
      );
    }
    scopes.push(mountScope(mount, mountDir, mountTop ? await openRepo(mountDir, { durable: options.durable !== false }) : undefined));
  }
  return createMemory(root, config, repo, scopes, options);
}

async function realFolder(dir: string, what = "memory folder"): Promise<string> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) {
    throw new ReverieError(
      "NOT_A_MEMORY",
      `No ${what} at ${dir}${info ? " (it is a file)" : ""}. ${what === "memory folder" ? `Create one with: reverie init ${dir}` : "Fix the mount's dir in .reverie/config.yaml."}`,
      { dir },
    );
  }
  return realpath(dir);
}

function createMemory(root: string, config: MemoryConfig, repo: GitRepo, scopes: Scope[], options: OpenMemoryOptions): Memory {
  const clock = options.clock ?? (() => new Date());
  const resolve = (path: string, what?: string) => resolveIn(scopes, path, what);

  /**
   * A memory file's bytes, `null` if there is none. A file over `LIMITS.fileBytes` is refused
   * before it is read (`sized: false` reads it anyway, for a delete or move, which do not parse it).
   */
  async function readBytes(target: Resolved, sized = true): Promise<Uint8Array | null> {
    await assertContained(target);
    try {
      return await readMemoryBytes(target.abs, target.path, sized);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return null;
      if (code === "EISDIR") {
        throw new ReverieError("INVALID_PATH", `${target.path} is a folder, not a memory file.`, { path: target.path });
      }
      throw explainOsError(error, `read ${target.path}`, "nothing was changed");
    }
  }

  async function readNote(target: Resolved): Promise<Note | null> {
    const bytes = await readBytes(target);
    return bytes === null ? null : parseNote(target.path, decodeUtf8(bytes, target.path));
  }

  function notFound(path: string): ReverieError {
    return new ReverieError("NOT_FOUND", `No memory at ${path}. List what exists with: reverie ls`, { path });
  }

  function checkExpected(path: string, expected: string | null | undefined, currentHash: string | null): void {
    if (expected === undefined) return;
    if (expected !== null && !isContentHash(expected)) {
      throw new ReverieError(
        "INVALID_INPUT",
        `Invalid expected hash ${truncateForMessage(expected)}: use the 64 lowercase hex digits of the file's SHA-256, as printed by 'reverie read ${path} --json' (sha256).`,
        { path, expectHash: expected },
      );
    }
    if (expected === currentHash) return;
    const now = currentHash === null ? "the file does not exist" : `its current hash is ${currentHash}`;
    const wanted = expected === null ? "it not to exist" : `hash ${expected}`;
    throw new ReverieError(
      "CONFLICT",
      `${path} has changed: expected ${wanted}, but ${now}. Nothing was written. Read it again (reverie read ${path} --json) and retry with --expect-hash set to its current sha256.`,
      { path, expected, current: currentHash },
    );
  }

  /**
   * Runs `fn` holding the scope's cross-process lock, so commits never interleave; taking it
   * first repairs what a crashed writer left (stale git locks, temps, interrupted writes and
   * syncs). A rebase or merge someone else left in progress refuses `what` before any file changes.
   */
  async function locked<T>(scope: Scope, what: string, fn: () => Promise<T>): Promise<T> {
    // Writers of this process queue here first (in order, without polling the lock file); the
    // lock timeout then measures only the wait for another process.
    const previous = queues.get(scope) ?? Promise.resolve();
    let release = (): void => undefined;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    queues.set(scope, tail);
    await previous;
    try {
      return await lockedAcross(scope, what, fn);
    } finally {
      release();
      if (queues.get(scope) === tail) queues.delete(scope);
    }
  }

  const queues = new Map<Scope, Promise<void>>();

  async function lockedAcross<T>(scope: Scope, what: string, fn: () => Promise<T>): Promise<T> {
    const handle = await lockMemoryFolder(scope.dir, async () => scope.repo!, {
      onNotice: options.onNotice ?? stderrNotice,
      ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
    });
    try {
      await assertNoOperationInProgress(scope.dir, await scope.repo!.gitDir(), `${what} cannot be committed`);
      return await fn();
    } finally {
      await handle.release();
    }
  }

  /**
   * Runs the file steps and commit of one mutation under an intent journal entry, so a crash
   * anywhere in between is finished by the next writer instead of leaving files uncommitted.
   */
  async function journaled<T>(scope: Scope, intent: FilesIntent, fn: () => Promise<T>): Promise<T> {
    const journal: JournalHandle = await beginJournal(scope.dir, "files", { ...intent });
    try {
      return await fn();
    } finally {
      await journal.done();
    }
  }

  function authorOf(who: Attribution): { author?: ReturnType<typeof agentIdentity> } {
    return who.agent ? { author: agentIdentity(who.agent) } : {};
  }

  /** Makes the deletes of `files` durable before they are committed: one fsync per folder. */
  async function syncFolders(files: readonly string[]): Promise<void> {
    if (options.durable === false) return;
    for (const folder of new Set(files.map((f) => dirname(f)))) await fsyncDir(folder);
  }

  const atomic = (scope: Scope, kind: string) => ({ tempDir: reverieTempDir(scope.dir), kind, durable: options.durable !== false });

  function attribution(call: Attribution): Attribution {
    const agent = call.agent ?? options.agent;
    const session = call.session ?? options.session;
    return { ...(agent ? { agent } : {}), ...(session ? { session } : {}) };
  }

  function trailers(op: string, who: Attribution): Record<string, string> {
    return { "Memory-Op": op, ...(who.agent ? { Agent: who.agent } : {}), ...(who.session ? { Session: who.session } : {}) };
  }

  /** The attribution trailers a commit will carry, as secret checks. */
  function attributionChecks(who: Attribution): SecretCheck[] {
    return [...(who.agent ? [{ what: "agent" as const, text: who.agent }] : []), ...(who.session ? [{ what: "session" as const, text: who.session }] : [])];
  }

  /**
   * Commits `rels` in the scope; if the commit fails (a hook refuses it, git breaks), the
   * files are put back as they were, and folders made for new files are removed, so a failed
   * command leaves the folder unchanged.
   */
  async function commitOrRestore(scope: Scope, restore: Restore[], rels: string[], subject: string, op: string, who: Attribution, added: string[]): Promise<string> {
    const scopeRepo = scope.repo!;
    try {
      const parent = live ? await scopeRepo.headFast() : null;
      const commit = await scopeRepo.commitPaths(rels, { subject, trailers: trailers(op, who) }, who.agent ? agentIdentity(who.agent) : undefined, added);
      // The index learns of this commit's files from reindex; only a commit made by someone else
      // in between should send the next search to a full catch-up.
      if (live && seenHead.get(scope) === parent) seenHead.set(scope, commit);
      return commit;
    } catch (error) {
      await undo(restore, atomic(scope, "restore"));
      await scopeRepo.unstage(rels).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Runs one mutation, explaining an OS failure (disk full, permission, read-only file system,
   * name too long) by its cause and by what was kept: nothing, unless the commit was made (the
   * mutation calls `made` with it) before the failure.
   */
  async function guarded<T>(action: string, fn: (made: (commit: string) => string) => Promise<T>): Promise<T> {
    let committed: string | null = null;
    try {
      return await fn((commit) => (committed = commit));
    } catch (error) {
      const kept =
        committed === null
          ? "nothing was written: the memory folder is as it was"
          : `the change was committed (${(committed as string).slice(0, 12)}); only the steps after the commit failed`;
      throw explainOsError(error, action, kept);
    }
  }

  /** Reads every target (which must exist) with its content hash, checking `expectHash` for a single one. */
  async function readAll(targets: Resolved[], expectHash: string | null | undefined): Promise<Array<{ bytes: Uint8Array; sha256: string }>> {
    const all: Array<{ bytes: Uint8Array; sha256: string }> = [];
    for (const target of targets) {
      const bytes = await readBytes(target, false);
      if (bytes === null && expectHash === undefined) throw notFound(target.path);
      const sha256 = bytes === null ? null : contentHash(bytes);
      checkExpected(target.path, expectHash, sha256);
      if (bytes === null || sha256 === null) throw notFound(target.path);
      all.push({ bytes, sha256 });
    }
    return all;
  }

  /** Deletes `targets` (all in `scope`) in one commit. */
  async function removeFiles(scope: Scope, targets: Resolved[], call: MutationOptions): Promise<RemoveResult[]> {
    const who = attribution(call);
    return guarded(`delete ${describePaths(targets.map((t) => t.path))}`, (made) => locked(scope, `the delete of ${describePaths(targets.map((t) => t.path))}`, async () => {
      const read = await readAll(targets, call.expectHash);
      const restore = targets.map((t, i): Restore => ({ abs: t.abs, bytes: read[i]!.bytes, madeFolder: null }));
      const rels = targets.map((t) => t.rel);
      const subject = `memory: delete ${describePaths(rels)}`;
      const commit = await journaled(scope, { subject, trailers: trailers("delete", who), ...authorOf(who), removes: rels }, async () => {
        try {
          for (const target of targets) await rm(target.abs);
          await syncFolders(targets.map((t) => t.abs));
        } catch (error) {
          await undo(restore, atomic(scope, "restore"));
          throw error;
        }
        return made(await commitOrRestore(scope, restore, rels, subject, "delete", who, []));
      });
      await pruneEmptyFolders(targets.map((t) => dirname(t.abs)), scope.dir);
      await reindex(scope, targets.map((t) => t.path));
      return targets.map((t, i) => ({ path: t.path, previousSha256: read[i]!.sha256, commit }));
    }));
  }

  /** Moves each `from` to its `to` (all in `scope`, destinations new) in one commit. */
  async function moveFiles(scope: Scope, moves: Array<{ from: Resolved; to: Resolved }>, call: MutationOptions): Promise<RenameResult[]> {
    const who = attribution(call);
    if (!call.allowSecrets) {
      for (const { from, to } of moves) await assertNoNewSecrets(to.path, [{ what: "path", text: to.path, before: from.path }, ...attributionChecks(who)]);
    }
    const destinations = new Set<string>();
    for (const { from, to } of moves) {
      if (from.abs === to.abs) throw new ReverieError("INVALID_PATH", `${from.path} and ${to.path} are the same file.`, { from: from.path, to: to.path });
      if (destinations.has(to.abs)) throw new ReverieError("INVALID_PATH", `Two files would move to ${to.path}.`, { to: to.path });
      destinations.add(to.abs);
    }
    return guarded(`move ${describePaths(moves.map((m) => m.from.path))}`, (made) => locked(scope, `the move of ${describePaths(moves.map((m) => m.from.path))}`, async () => {
      for (const { from, to } of moves) {
        await assertNotLink(from);
        await assertNotLink(to);
      }
      const read = await readAll(moves.map((m) => m.from), call.expectHash);
      for (const { from, to } of moves) {
        await assertContained(to);
        if ((await readBytes(to)) !== null) {
          throw new ReverieError("ALREADY_EXISTS", `Cannot move ${from.path}: ${to.path} already exists. Remove it first or choose another name.`, { from: from.path, to: to.path });
        }
      }
      const restore: Restore[] = [];
      const rels = moves.flatMap(({ from, to }) => [from.rel, to.rel]);
      const subject =
        moves.length === 1
          ? `memory: rename ${moves[0]!.from.rel} -> ${moves[0]!.to.rel}`
          : `memory: rename ${describePaths(moves.map((m) => m.from.rel))} -> ${describePaths(moves.map((m) => m.to.rel))}`;
      const intent: FilesIntent = { subject, trailers: trailers("rename", who), ...authorOf(who), moves: moves.map((m) => ({ from: m.from.rel, to: m.to.rel })) };
      const commit = await journaled(scope, intent, async () => {
        try {
          for (const [i, { from, to }] of moves.entries()) {
            restore.push({ abs: to.abs, bytes: null, madeFolder: await missingFolder(dirname(to.abs), scope.dir) }, { abs: from.abs, bytes: read[i]!.bytes, madeFolder: null });
            await writeFileAtomic(to.abs, read[i]!.bytes, atomic(scope, "move"));
            await rm(from.abs);
          }
          await syncFolders(moves.map((m) => m.from.abs));
        } catch (error) {
          await undo(restore, atomic(scope, "restore"));
          throw error;
        }
        return made(await commitOrRestore(scope, restore, rels, subject, "rename", who, moves.map((m) => m.to.rel)));
      });
      await pruneEmptyFolders(moves.map((m) => dirname(m.from.abs)), scope.dir);
      await reindex(scope, moves.flatMap(({ from, to }) => [from.path, to.path]));
      return moves.map(({ from, to }, i) => ({ from: from.path, to: to.path, sha256: read[i]!.sha256, commit }));
    }));
  }

  let indexes: Promise<Map<Scope, SearchIndex>> | null = null;
  const live = options.live === true;
  const watchers = new Map<Scope, IndexWatcher>();
  /** Per scope with a repository, the HEAD the live index is known to be current with. */
  const seenHead = new Map<Scope, string | null>();
  /** One index per scope, each cached in the memory's own .reverie/cache/. */
  function openIndexes(): Promise<Map<Scope, SearchIndex>> {
    indexes ??= (async () => {
      const opened = new Map<Scope, SearchIndex>();
      for (const scope of scopes) {
        // HEAD before the files are read: a commit landing during the open is caught up with next time.
        if (live && scope.repo) seenHead.set(scope, await scope.repo.headFast());
        const index = await openSearchIndex({ dir: scope.dir, namespace: scope.prefix, load: loadSearchDoc, cacheFile: searchCacheFile(root, scope.prefix), tempDir: reverieTempDir(root), ...(live ? { autosaveMs: 2000 } : {}) });
        opened.set(scope, index);
        if (live) {
          const watcher = watchIndex(index, { onError: (error) => (options.onNotice ?? stderrNotice)(`reverie: the search index of ${scope.prefix || "the memory"} missed a change: ${(error as Error).message}`) });
          watchers.set(scope, watcher);
          await watcher.ready.catch(() => undefined);
        }
      }
      return opened;
    })();
    return indexes;
  }

  /**
   * Brings a live index up to date before a search: events the watcher has seen are synced,
   * and a scope whose HEAD moved without this object (another process's commit, a merge, a
   * checkout) is refreshed from the files (stats only, reads what changed).
   */
  async function catchUp(opened: Map<Scope, SearchIndex>): Promise<void> {
    for (const [scope, index] of opened) {
      await watchers.get(scope)?.flush();
      if (!scope.repo) continue;
      const head = await scope.repo.headFast();
      if (head === seenHead.get(scope)) continue;
      await index.refresh();
      seenHead.set(scope, head);
    }
  }

  /** Brings an already-open index up to date with files this object just changed. */
  async function reindex(scope: Scope, paths: string[]): Promise<void> {
    if (!indexes) return;
    const index = (await indexes).get(scope);
    await index?.sync(paths);
  }

  const memory: Memory = {
    dir: root,
    config,
    scopes,
    repo,
    resolve: (path) => resolve(path),

    async read(path) {
      const target = resolve(path);
      const note = await readNote(target);
      if (!note) throw notFound(target.path);
      return { ...note, title: noteTitle(note), mount: target.scope.prefix, readOnly: target.scope.access === "read_only" };
    },

    async exists(path) {
      // By its metadata, not its bytes: a file over the size limit exists (and can be deleted).
      const target = resolve(path);
      await assertContained(target);
      const info = await stat(target.abs).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT" || error.code === "ENOTDIR") return null;
        throw explainOsError(error, `read ${target.path}`, "nothing was changed");
      });
      if (info?.isDirectory()) throw new ReverieError("INVALID_PATH", `${target.path} is a folder, not a memory file.`, { path: target.path });
      return info !== null;
    },

    async write(path, given, call = {}) {
      const target = resolve(path);
      assertWritable(target);
      const who = attribution(call);
      // Checked before the lock when the content is given; an edit's result is checked once made.
      if (typeof given === "string") assertFileSize(target.path, utf8Length(given), "INVALID_INPUT");
      return guarded(`write ${target.path}`, (made) => locked(target.scope, `the write of ${target.path}`, async () => {
        await assertNotLink(target);
        const bytes = await readBytes(target);
        const currentHash = bytes === null ? null : contentHash(bytes);
        checkExpected(target.path, call.expectHash, currentHash);
        const { text: existingText, note: existing } = readExisting(target.path, bytes, call.forceParse === true);
        const content = typeof given === "string" ? given : given(existingText === null ? null : { content: existingText, sha256: currentHash! });
        if (typeof given !== "string") assertFileSize(target.path, utf8Length(content), "INVALID_INPUT");
        assertNoNul(target.path, content);
        if (bytes === null) await assertNoCaseCollision(target);
        if (!call.allowSecrets) {
          await assertNoNewSecrets(target.path, [{ what: "path", text: target.path }, { what: "content", text: content, before: existingText }, ...attributionChecks(who)]);
        }
        const text = call.stamp === false ? content : stampContent(target.path, content, existing, who, clock());
        const written = parseNote(target.path, text); // refuses malformed front-matter before it lands
        assertValidMemory(target.path, written, existing, config.types, call.allowEmpty === true);
        // Only an id the caller gave can collide: a fresh one is a new ULID, a kept one is this file's.
        const id = written.frontmatter.id;
        if (typeof id === "string" && id !== existing?.frontmatter.id && content.includes(id)) await assertUniqueId(target, id, scopes);
        const sha256 = contentHash(text);
        if (sha256 === currentHash) return { path: target.path, op: "unchanged", sha256, previousSha256: currentHash, commit: null };
        const op = bytes === null ? "create" : "update";
        const madeFolder = bytes === null ? await missingFolder(dirname(target.abs), target.scope.dir) : null;
        const subject = `memory: ${op} ${target.rel}`;
        const commit = await journaled(target.scope, { subject, trailers: trailers(op, who), ...authorOf(who), writes: [target.rel] }, async () => {
          await writeFileAtomic(target.abs, text, atomic(target.scope, "write"));
          const restore = [{ abs: target.abs, bytes, madeFolder }];
          return made(await commitOrRestore(target.scope, restore, [target.rel], subject, op, who, bytes === null ? [target.rel] : []));
        });
        await reindex(target.scope, [target.path]);
        return { path: target.path, op, sha256, previousSha256: currentHash, commit };
      }));
    },

    async remove(path, call = {}) {
      const target = resolve(path);
      assertWritable(target);
      return (await removeFiles(target.scope, [target], call))[0]!;
    },

    async removeMany(paths, call = {}) {
      const targets = paths.map((path) => resolve(path));
      targets.forEach((target) => assertWritable(target));
      if (targets.length === 0) return [];
      return removeFiles(oneScope(targets, "delete"), targets, call);
    },

    async rename(fromPath, toPath, call = {}) {
      const from = resolve(fromPath, "source path");
      const to = resolve(toPath, "destination path");
      assertWritable(from);
      assertWritable(to);
      return (await moveFiles(oneScope([from, to], "move"), [{ from, to }], call))[0]!;
    },

    async renameMany(moves, call = {}) {
      const resolved = moves.map((move) => ({ from: resolve(move.from, "source path"), to: resolve(move.to, "destination path") }));
      for (const { from, to } of resolved) {
        assertWritable(from);
        assertWritable(to);
      }
      if (resolved.length === 0) return [];
      return moveFiles(oneScope(resolved.flatMap((m) => [m.from, m.to]), "move"), resolved, call);
    },

    async list(prefix) {
      // Validated like any path, so `ls ../elsewhere` cannot read outside the memory.
      const wanted = prefix === undefined ? "" : normalizeMemoryFolder(prefix, "prefix");
      const entries: MemoryEntry[] = [];
      for (const scope of scopes) {
        const under = folderWithin(scope, wanted);
        if (under === null) continue;
        const { files, links } = await walkMemoryFolder(scope.dir, under);
        for (const link of links) {
          const path = namespacePath(scope, link.path);
          entries.push({ path, title: noteTitle({ path, frontmatter: {}, body: "" }), size: 0, mount: scope.prefix, link: link.target, problem: `a symbolic link to ${link.target}, not followed` });
        }
        for (const rel of files) {
          const path = namespacePath(scope, rel);
          const entry: MemoryEntry = { path, title: "", size: 0, mount: scope.prefix };
          try {
            const bytes = await readMemoryBytes(join(scope.dir, rel), path).catch((error: unknown) => {
              throw explainOsError(error, `read ${path}`, "nothing was changed");
            });
            entry.size = bytes.length;
            const note = parseNote(path, decodeUtf8(bytes, path));
            entry.title = noteTitle(note);
            if (typeof note.frontmatter.type === "string") entry.type = note.frontmatter.type;
            if (typeof note.frontmatter.key === "string") entry.key = note.frontmatter.key;
          } catch (error) {
            if (!isReverieError(error)) throw error;
            entry.title = noteTitle({ path, frontmatter: {}, body: "" });
            entry.problem = error.message;
            if (typeof error.data.size === "number") entry.size = error.data.size;
          }
          entries.push(entry);
        }
      }
      return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },

    async history(path, historyOptions = {}) {
      const target = path === undefined ? null : resolve(path);
      const scope = target?.scope ?? scopes[0]!;
      if (!scope.repo) return [];
      const commits = await scope.repo.log({
        ...(target ? { path: target.rel } : {}),
        ...(historyOptions.limit !== undefined ? { limit: historyOptions.limit } : {}),
      });
      return commits.map((c) => toHistoryEntry(c, scope));
    },

    async search(query, searchOptions = {}) {
      const limit = searchOptions.limit ?? 20;
      const opened = await openIndexes();
      if (live) await catchUp(opened);
      const all = [...opened.values()];
      const byScore = (a: SearchHit, b: SearchHit): number => b.score - a.score || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
      const across = (combine: "and" | "or") => all.flatMap((index) => index.search(query, { ...searchOptions, limit, combine })).sort(byScore);
      // As in one index: memories with every term first, then those with some.
      const every = across("and").slice(0, limit);
      if (every.length >= limit) return every;
      const seen = new Set(every.map((hit) => hit.path));
      return [...every, ...across("or").filter((hit) => !seen.has(hit.path))].slice(0, limit);
    },

    async doctor() {
      const found = await diagnose(scopes, config.types);
      for (const [scope, index] of await openIndexes()) {
        if (index.opened.cache === "corrupt" || index.opened.cache === "incompatible") {
          found.push({
            severity: "warning",
            code: "INDEX_REBUILT",
            message: `The search index of ${scope.prefix || "the memory"} was ${index.opened.cache} and has been rebuilt from the files (nothing was lost: it is derived data).`,
          });
        }
      }
      return found;
    },

    async repair(repairOptions = {}) {
      const done: Repair[] = [];
      for (const scope of scopes) {
        if (scope.repo && scope.access === "read_write") done.push(...(await repairScope(scope, repairOptions)));
      }
      return done;
    },

    async close() {
      if (!indexes) return;
      const opened = await indexes;
      await Promise.all([...watchers.values()].map((watcher) => watcher.close()));
      await Promise.all([...opened.values()].map((index) => index.close()));
    },
  };
  return memory;
}

/**
 * The file a write replaces, decoded and parsed. A file that cannot be (broken front-matter,
 * not UTF-8) refuses the write with how to replace it, unless `force`: then it is replaced
 * whole, keeping only the `id` and `created` that can be read off its lines.
 */
function readExisting(path: string, bytes: Uint8Array | null, force: boolean): { text: string | null; note: Note | null } {
  if (bytes === null) return { text: null, note: null };
  let text: string | null = null;
  try {
    text = decodeUtf8(bytes, path);
    return { text, note: parseNote(path, text) };
  } catch (error) {
    if (!isReverieError(error, "PARSE_ERROR", "INVALID_INPUT")) throw error;
    if (!force) {
      throw new ReverieError(
        error.code,
        `${error.message} ${path} cannot be updated while it cannot be read; nothing was written. Fix it by hand, or replace the whole file with the new content: reverie write ${path} --force-parse (it keeps the id, when readable).`,
        { ...error.data, path },
        { cause: error },
      );
    }
    const lines = text ?? "";
    const field = (key: string) => new RegExp(String.raw`^${key}:[ \t]*["']?([^"'\s]+)["']?[ \t]*$`, "m").exec(lines)?.[1];
    const id = field("id");
    const created = field("created");
    const frontmatter = { ...(id !== undefined && /^[A-Za-z0-9_-]+$/.test(id) ? { id } : {}), ...(created !== undefined && !Number.isNaN(Date.parse(created)) ? { created } : {}) };
    return { text, note: { path, content: lines, sha256: contentHash(bytes), frontmatter, hasFrontmatter: false, body: lines } };
  }
}

/** A file to put back if a mutation fails: its old bytes, or `null` with the folder made for it (if any) to remove. */
interface Restore {
  abs: string;
  bytes: Uint8Array | null;
  /** The outermost folder that did not exist before the file was written. */
  madeFolder: string | null;
}

/**
 * Puts files back as they were before a failed mutation, folders made for new ones included —
 * last change first, so a folder made early is empty by the time its turn comes.
 */
async function undo(restore: readonly Restore[], write: AtomicWriteOptions): Promise<void> {
  for (const file of [...restore].reverse()) {
    if (file.bytes !== null) {
      await writeFileAtomic(file.abs, file.bytes, write).catch(async (error: unknown) => {
        // On a full disk the new bytes hold the space the old ones need: free it, then retry.
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOSPC" && code !== "EDQUOT") throw error;
        await rm(file.abs, { force: true });
        await writeFileAtomic(file.abs, file.bytes!, write);
      });
      continue;
    }
    await rm(file.abs, { force: true });
    if (file.madeFolder === null) continue;
    // Innermost first, and only while empty: another new file may share a made folder.
    for (let folder = dirname(file.abs); ; folder = dirname(folder)) {
      if (!(await rmdir(folder).then(() => true, () => false)) || folder === file.madeFolder) break;
    }
  }
}

/**
 * Removes the folders a delete or move emptied, innermost first, up to (not including) `root`:
 * git does not track folders, so an empty one would only linger in the work tree.
 */
async function pruneEmptyFolders(folders: readonly string[], root: string): Promise<void> {
  const deepestFirst = [...new Set(folders)].sort((a, b) => b.length - a.length);
  for (const start of deepestFirst) {
    for (let folder = start; folder !== root && folder.startsWith(`${root}${sep}`); folder = dirname(folder)) {
      if (!(await rmdir(folder).then(() => true, () => false))) break;
    }
  }
}

/** The outermost missing folder on the way from `root` (which exists) down to `folder`, or `null` if `folder` exists. */
async function missingFolder(folder: string, root: string): Promise<string | null> {
  let missing: string | null = null;
  for (let at = folder; at !== root && at.startsWith(`${root}${sep}`); at = dirname(at)) {
    if (await stat(at).then(() => true, () => false)) break;
    missing = at;
  }
  return missing;
}

/** The one scope of all `targets`: a commit is made in one repository. */
function oneScope(targets: readonly Resolved[], verb: "delete" | "move"): Scope {
  const first = targets[0]!;
  const other = targets.find((t) => t.scope !== first.scope);
  if (other === undefined) return first.scope;
  const data = { paths: [first.path, other.path] };
  if (verb === "move" && targets.length === 2) {
    throw new ReverieError("INVALID_PATH", `Cannot move ${first.path} to ${other.path}: they are in different mounts, which are different git repositories. Copy it with write, then rm the original.`, { from: first.path, to: other.path });
  }
  throw new ReverieError(
    "INVALID_PATH",
    `Cannot ${verb} ${first.path} and ${other.path} in one step: they are in different mounts, which are different git repositories, and one commit cannot span them. ${verb === "delete" ? "Delete" : "Move"} each mount's files separately.`,
    data,
  );
}

/** A commit subject's name for files: the one path, or their common folder and how many. */
function describePaths(rels: readonly string[]): string {
  if (rels.length === 1) return rels[0]!;
  let common = rels[0]!.split("/").slice(0, -1);
  for (const rel of rels) {
    const parts = rel.split("/").slice(0, -1);
    let n = 0;
    while (n < common.length && n < parts.length && common[n] === parts[n]) n++;
    common = common.slice(0, n);
  }
  return common.length === 0 ? `${rels.length} files` : `${common.join("/")}/ (${rels.length} files)`;
}

/**
 * The folder inside `scope` that holds the namespace folder `wanted` ("" for all of it), or
 * `null` when the scope has nothing under it — so `list(prefix)` reads only what it returns.
 */
function folderWithin(scope: Scope, wanted: string): string | null {
  if (wanted === "") return "";
  if (scope.prefix === "") return wanted;
  if (wanted === scope.prefix || scope.prefix.startsWith(`${wanted}/`)) return "";
  return wanted.startsWith(`${scope.prefix}/`) ? wanted.slice(scope.prefix.length + 1) : null;
}

function toHistoryEntry(c: CommitInfo, scope: Scope): HistoryEntry {
  const t = c.trailers;
  const optional = (key: string, value: string | undefined) => (value === undefined ? {} : { [key]: value });
  return {
    commit: c.commit,
    date: isoSeconds(new Date(c.date)),
    author: c.author.name,
    ...optional("op", t["Memory-Op"] ?? (t["Dream-Op"] ? "dream" : undefined)),
    ...optional("agent", t.Agent),
    ...optional("session", t.Session),
    ...optional("dream", t.Dream),
    ...optional("dreamOp", t["Dream-Op"]),
    ...optional("evidence", t.Evidence),
    subject: c.subject,
    paths: c.paths.map((p) => ({
      ...p,
      path: namespacePath(scope, p.path),
      ...(p.from ? { from: namespacePath(scope, p.from) } : {}),
    })),
  };
}
