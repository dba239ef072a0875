import { readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fsyncDir } from "../fs/atomic-write.js";
import { isReverieError } from "../errors.js";
import { runGit, type GitResult, type GitRunOptions } from "./exec-git.js";
import { fastCommit } from "./fast-commit.js";
import { formatTrailers, parseTrailers, type Trailers } from "./trailers.js";

export interface Identity {
  name: string;
  email: string;
}

/** Who commits when the machine has no git identity (agents often run in bare containers). */
export const DEFAULT_IDENTITY: Identity = { name: "reverie", email: "reverie@localhost" };

/** The author identity of an agent: its name, at a reserved domain so it is never mistaken for a person's address. */
export function agentIdentity(agent: string): Identity {
  const local = agent.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "agent";
  return { name: agent, email: `${local}@agents.reverie.invalid` };
}

/**
 * ` -c user.name=… -c user.email=…` for a git command printed for a person to run, when the
 * repository has no identity of its own: `git merge` and `git commit` refuse to run without
 * one, and reverie's default stands in as it does for reverie's own commits. "" otherwise.
 */
export async function identityFlags(repo: GitRepo): Promise<string> {
  const configured = (await repo.run(["config", "--get-regexp", "^user\\.(name|email)$"], { okCodes: [1] })).stdout;
  const name = /^user\.name /m.test(configured) ? "" : ` -c user.name=${DEFAULT_IDENTITY.name}`;
  const email = /^user\.email /m.test(configured) ? "" : ` -c user.email=${DEFAULT_IDENTITY.email}`;
  return name + email;
}

export interface CommitMessage {
  subject: string;
  body?: string;
  trailers: Trailers;
}

export interface ChangedPath {
  status: "A" | "M" | "D" | "R" | "C" | "T";
  path: string;
  /** The old path of a rename or copy. */
  from?: string;
}

export interface CommitInfo {
  commit: string;
  author: Identity;
  /** ISO-8601 author date. */
  date: string;
  subject: string;
  trailers: Trailers;
  paths: ChangedPath[];
}

/** A git repository as reverie uses it; every method runs git in `dir`. */
export interface GitRepo {
  readonly dir: string;
  run(args: readonly string[], options?: GitRunOptions): Promise<GitResult>;
  /** The absolute git dir (`<dir>/.git` in a plain repository), found once. */
  gitDir(): Promise<string>;
  /** The commit HEAD points at, or `null` in a repository with no commits. */
  head(): Promise<string | null>;
  /**
   * Like `head`, read from `.git` with no git process in the common layout (a branch checked
   * out in a plain repository, loose or packed ref); cheap enough to ask before every search.
   */
  headFast(): Promise<string | null>;
  /**
   * Commits exactly `paths` (edits, deletions, and the new files listed in `added`) and nothing
   * else that may be staged; returns the new commit id.
   */
  commitPaths(paths: readonly string[], message: CommitMessage, author?: Identity, added?: readonly string[]): Promise<string>;
  /** Puts the index entries of `paths` back to HEAD's, after a failed commit. */
  unstage(paths: readonly string[]): Promise<void>;
  log(options?: { path?: string; limit?: number; ref?: string }): Promise<CommitInfo[]>;
  /** A file's text at a commit, or `null` if it does not exist there. */
  readAt(rev: string, path: string): Promise<string | null>;
}

/**
 * What makes a commit survive a power cut once acknowledged: git's default
 * (`committed,-loose-object`) leaves out loose objects — exactly what every reverie commit
 * writes. In git 2.39 `committed` means `objects` (loose-object + pack); loose-object and
 * reference are named so the intent is plain. `batch` flushes all objects of one command with
 * a single disk-cache flush (it applies to loose objects; refs get a plain fsync).
 */
export const DURABLE_GIT_CONFIG: readonly string[] = ["-c", "core.fsync=committed,loose-object,reference", "-c", "core.fsyncMethod=batch"];

export interface OpenRepoOptions {
  /** Run every git command with DURABLE_GIT_CONFIG. @default true */
  durable?: boolean;
  /**
   * Make `commitPaths` commits in-process (objects, branch and index written by this process,
   * see `fastCommit`) where the repository allows it, else with git. Off, every commit runs git.
   * @default true
   */
  inProcess?: boolean;
}

/** `git config --list -z` as key → last value. */
function parseConfigList(out: string): Map<string, string> {
  const config = new Map<string, string>();
  for (const item of out.split("\0")) {
    if (item === "") continue;
    const newline = item.indexOf("\n");
    config.set(newline === -1 ? item : item.slice(0, newline), newline === -1 ? "" : item.slice(newline + 1));
  }
  return config;
}

/**
 * Opens the repository at `dir` (which must be its top level). Commits use the user's own git
 * identity, signing and hooks when configured; only a missing identity is filled in.
 */
export async function openRepo(dir: string, repoOptions: OpenRepoOptions = {}): Promise<GitRepo> {
  const readConfig = async () => parseConfigList((await runGit(dir, ["config", "--list", "-z"], { okCodes: [1] })).stdout);
  let config = await readConfig();
  let configStamp = await configMtime(dir);
  const hasName = config.has("user.name");
  const hasEmail = config.has("user.email");
  const identityEnv: Record<string, string> = {};
  if (!hasName) Object.assign(identityEnv, { GIT_COMMITTER_NAME: DEFAULT_IDENTITY.name, GIT_AUTHOR_NAME: DEFAULT_IDENTITY.name });
  if (!hasEmail) Object.assign(identityEnv, { GIT_COMMITTER_EMAIL: DEFAULT_IDENTITY.email, GIT_AUTHOR_EMAIL: DEFAULT_IDENTITY.email });
  /** Who git would record, from the same sources in the same order: the environment reverie gives git, then config. */
  const who = (role: "author" | "committer"): Identity => {
    const env: Record<string, string | undefined> = { ...process.env, ...identityEnv };
    const upper = role.toUpperCase();
    return {
      name: env[`GIT_${upper}_NAME`] ?? config.get(`${role}.name`) ?? config.get("user.name") ?? DEFAULT_IDENTITY.name,
      email: env[`GIT_${upper}_EMAIL`] ?? config.get(`${role}.email`) ?? config.get("user.email") ?? env.EMAIL ?? DEFAULT_IDENTITY.email,
    };
  };

  const durableConfig = repoOptions.durable === false ? [] : DURABLE_GIT_CONFIG;
  // On every command, not only commits: merges, rebases, fast-import and update-ref write objects and refs too.
  const run = (args: readonly string[], options: GitRunOptions = {}) =>
    runGit(dir, [...durableConfig, ...args], { ...options, env: { ...identityEnv, ...options.env } });

  let gitDir: Promise<string> | null = null;
  const repo: GitRepo = {
    dir,
    run,
    gitDir() {
      // A stat instead of a git process for the common layout; worktrees and submodules have a `.git` file.
      gitDir ??= (async () => {
        const plain = join(dir, ".git");
        if ((await stat(plain).catch(() => null))?.isDirectory()) return plain;
        return (await run(["rev-parse", "--absolute-git-dir"])).stdout.trim();
      })();
      return gitDir;
    },
    async head() {
      const result = await run(["rev-parse", "--verify", "-q", "HEAD"], { okCodes: [1] });
      return result.code === 0 ? result.stdout.trim() : null;
    },
    async headFast() {
      const fast = await readHeadRef(dir);
      return fast === undefined ? repo.head() : fast;
    },
    async commitPaths(paths, message, author, added = paths) {
      if (repoOptions.inProcess !== false) {
        // A config edited since the open (signing turned on, a hooks path) is read again: one stat per commit.
        const stamp = await configMtime(dir);
        if (stamp !== configStamp) {
          config = await readConfig();
          configStamp = stamp;
        }
        const text = [message.subject, message.body ?? "", formatTrailers(message.trailers)].filter((part) => part !== "").join("\n\n");
        const made = await fastCommit({ dir, paths, message: text, author: author ?? who("author"), committer: who("committer"), durable: repoOptions.durable !== false, config });
        if (made !== null) return made;
      }
      // `commit -- <paths>` takes tracked files straight from the work tree; only new files
      // need an `add` first. One git process fewer on every update keeps writes fast.
      if (added.length > 0) await run(["add", "-A", "--", ...added]);
      // Per-write commits skip git's auto-maintenance (a `gc --auto` process after every commit)
      // and the untracked-files scan; merges, fetches and adopts still run maintenance.
      const args = ["-c", "maintenance.auto=false", "-c", "gc.auto=0", "commit", "-q", "--untracked-files=no", "-m", message.subject];
      if (message.body) args.push("-m", message.body);
      const trailers = formatTrailers(message.trailers);
      if (trailers) args.push("-m", trailers);
      if (author) args.push(`--author=${author.name} <${author.email}>`);
      try {
        await run([...args, "--", ...paths]);
      } catch (error) {
        // A file someone created by hand and never committed is on disk but unknown to git.
        if (!isReverieError(error, "GIT_FAILED") || !/did not match any file\(s\) known to git/.test(String(error.data.stderr))) throw error;
        await run(["add", "-A", "--", ...paths]);
        await run([...args, "--", ...paths]);
      }
      if (repoOptions.durable !== false) await syncRefFolders(await repo.gitDir());
      return (await readHeadRef(dir)) ?? (await run(["rev-parse", "HEAD"])).stdout.trim();
    },
    async unstage(paths) {
      const head = await repo.head();
      if (head) await run(["reset", "-q", "HEAD", "--", ...paths], { okCodes: [1] });
      else await run(["rm", "-q", "--cached", "--ignore-unmatch", "--", ...paths]);
    },
    async log(options = {}) {
      const args = ["log", "--format=%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%s%x1f%(trailers:only,unfold)%x1d", "--name-status", "-M"];
      if (options.limit !== undefined) args.push(`-n${options.limit}`);
      args.push(options.ref ?? "HEAD");
      if (options.path !== undefined) args.push("--follow", "--", options.path);
      const result = await run(args, { okCodes: [128] });
      if (result.code !== 0) return []; // no commits yet
      return result.stdout
        .split("\x1e")
        .filter((record) => record.trim() !== "")
        .map(parseLogRecord);
    },
    async readAt(rev, path) {
      const result = await run(["cat-file", "blob", `${rev}:${path}`], { okCodes: [128] });
      return result.code === 0 ? result.stdout : null;
    },
  };
  return repo;
}

async function configMtime(dir: string): Promise<number> {
  return (await stat(join(dir, ".git", "config")).catch(() => null))?.mtimeMs ?? -1;
}

/**
 * git fsyncs a ref's new file before renaming it into place, but not the folder the rename
 * changed; nor the git dir, where the index was renamed. Both are fsync'd here, so after a
 * power cut the branch holds the acknowledged commit and the index agrees with it (an old index
 * beside a new HEAD would look like a staged undo of the write).
 */
async function syncRefFolders(gitDir: string): Promise<void> {
  const head = (await readFile(join(gitDir, "HEAD"), "utf8").catch(() => "")).trim();
  if (head.startsWith("ref: refs/")) await fsyncDir(dirname(join(gitDir, head.slice(5))));
  await fsyncDir(gitDir);
}

/**
 * HEAD's commit read straight from `.git` (file reads instead of a git process), for the
 * common layout of a branch checked out in a plain repository, its ref loose or packed;
 * `null` for a branch with no commits yet, `undefined` sends the caller to `rev-parse` for
 * anything else (worktrees, detached HEAD, symbolic refs).
 */
export async function readHeadRef(dir: string): Promise<string | null | undefined> {
  try {
    // Synchronous reads of two tiny files: asked before every search of a live memory.
    const head = readFileSync(join(dir, ".git", "HEAD"), "utf8").trim();
    if (!head.startsWith("ref: refs/heads/")) return undefined;
    const ref = head.slice(5);
    let loose: string | null = null;
    try {
      loose = readFileSync(join(dir, ".git", ref), "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
    }
    if (loose !== null) {
      const sha = loose.trim();
      return /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
    }
    let packed = "";
    try {
      packed = readFileSync(join(dir, ".git", "packed-refs"), "utf8");
    } catch {
      // no packed refs
    }
    for (const line of packed.split("\n")) {
      if (line.length === 41 + ref.length && line.endsWith(` ${ref}`) && /^[0-9a-f]{40}$/.test(line.slice(0, 40))) return line.slice(0, 40);
    }
    return null;
  } catch {
    return undefined;
  }
}

function parseLogRecord(record: string): CommitInfo {
  const [head = "", changes = ""] = record.split("\x1d");
  const [commit = "", name = "", email = "", date = "", subject = "", trailers = ""] = head.split("\x1f");
  const paths: ChangedPath[] = [];
  for (const line of changes.split("\n")) {
    const [status, first, second] = line.split("\t");
    if (!status || !first) continue;
    const kind = status[0] as ChangedPath["status"];
    paths.push(second !== undefined ? { status: kind, path: second, from: first } : { status: kind, path: first });
  }
  return { commit, author: { name, email }, date, subject, trailers: parseTrailers(trailers), paths };
}

/** Creates a repository at `dir` on the user's default branch (`main` unless they configured another). */
export async function initRepo(dir: string): Promise<void> {
  const configured = await runGit(dir, ["config", "--get", "init.defaultBranch"], { okCodes: [1] });
  const branch = configured.stdout.trim() || "main";
  await runGit(dir, ["init", "-q", `--initial-branch=${branch}`]);
}

/** The top level of the work tree containing `dir`, or `null` when `dir` is not inside one. */
export async function repoTopLevel(dir: string): Promise<string | null> {
  const result = await runGit(dir, ["rev-parse", "--show-toplevel"], { okCodes: [128] });
  return result.code === 0 ? result.stdout.trim() : null;
}
