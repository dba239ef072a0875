import { ReverieError } from "../errors.js";
import { assertNoOperationInProgress } from "../recovery/git-state.js";
import { beginJournal } from "../recovery/journal.js";
import { lockMemoryFolder } from "../recovery/recover.js";
import type { GitRepo } from "./repo.js";
import { registerMergeDriver } from "./merge-driver.js";
import { agentIdentity, identityFlags } from "./repo.js";
import { requireGit } from "./version.js";
import { formatTrailers } from "./trailers.js";

/** Options of `syncMemory`. */
export interface SyncOptions {
  /** The remote to sync with. @default the branch's upstream remote, else `origin` */
  remote?: string;
  /**
   * How local commits meet the remote's: `rebase` keeps history linear (each memory commit, with
   * its trailers, replayed on top); `merge` records a merge commit. A rebase that stops halfway
   * is aborted and retried as a merge, so either way the result is all-or-nothing.
   * @default "rebase"
   */
  strategy?: "rebase" | "merge";
  /** Also push dream branches for review: `true` for every `dream/*` branch, or the dream ids to push. @default false */
  dreams?: boolean | readonly string[];
  /** Who commits edits made by hand in the folder before syncing (`Agent` trailer and author). @default the user's git identity */
  agent?: string;
  /** Times a push rejected because the remote moved meanwhile is retried (fetch, integrate, push again). @default 3 */
  retries?: number;
  /** The time in the name of a conflict branch; injectable for reproducible tests. @default () => new Date() */
  clock?: () => Date;
  /** How long to wait for another process writing to the memory. @default 15000 */
  lockTimeoutMs?: number;
}

/** A sync that converged: the memory and the remote branch now point at the same commit. */
export interface SyncDone {
  kind: "synced";
  remote: string;
  branch: string;
  head: string;
  /** How the remote's commits were taken in. */
  integration: "none" | "fast-forward" | "rebase" | "merge";
  /** Commits received from the remote. */
  received: number;
  /** Commits the remote received. */
  sent: number;
  /** The commit recording edits made by hand in the folder since the last write, if there were any. */
  localEdits: string | null;
  /** Dream branches pushed for review, e.g. `dream/drm_01…`. */
  dreams: string[];
}

/**
 * A sync stopped by a real conflict: both sides changed the same lines of `files`. Nothing was
 * changed on either side (no half-finished rebase or merge is left behind); the local version is
 * also kept on `conflictBranch`, and `resolve` says how to finish.
 */
export interface SyncConflict {
  kind: "conflict";
  remote: string;
  branch: string;
  files: string[];
  /** A branch pointing at the local version, e.g. `reverie/conflict/20261120T100000Z`. */
  conflictBranch: string;
  local: string;
  upstream: string;
  localEdits: string | null;
  /** Step-by-step instructions, for people and agents. */
  resolve: string;
}

export type SyncResult = SyncDone | SyncConflict;

/**
 * Shares a memory through any git remote: commits edits made by hand, fetches, takes in the
 * remote's commits (fast-forward, else rebase, else merge), and pushes. Runs under the memory's
 * write lock, so no memory commit lands in the middle. A real conflict is a value, not an
 * exception: `kind: "conflict"` names the files and leaves both versions intact.
 * A sync killed mid-rebase is undone (branch restored) by the next sync or any other command.
 * @throws ReverieError `INVALID_INPUT` when there is no remote or HEAD is detached; `LOCKED` when a
 * merge or rebase someone else started is in progress.
 * @example
 * const memory = await openMemory("./memory");
 * const result = await syncMemory(memory.repo);
 * if (result.kind === "conflict") console.error(result.resolve);
 */
export async function syncMemory(repo: GitRepo, options: SyncOptions = {}): Promise<SyncResult> {
  const lock = await lockMemoryFolder(repo.dir, async () => repo, options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs });
  try {
    return await syncLocked(repo, options);
  } finally {
    await lock.release();
  }
}

async function syncLocked(repo: GitRepo, options: SyncOptions): Promise<SyncResult> {
  const git = (args: string[], okCodes: number[] = []) => repo.run(args, { okCodes });
  // Before the branch check: mid-rebase HEAD is detached, and "switch to main" would be wrong advice.
  await assertNoOperationInProgress(repo.dir, await repo.gitDir(), "reverie cannot sync it");
  const branch = await currentBranch(repo);
  const remote = options.remote ?? (await upstreamRemote(repo, branch));
  const remotes = (await git(["remote"])).stdout.split("\n").filter(Boolean);
  if (!remotes.includes(remote)) {
    throw new ReverieError(
      "INVALID_INPUT",
      remotes.length === 0
        ? `The memory ${repo.dir} has no git remote to sync with. Add one, e.g.: git -C ${repo.dir} remote add origin <url>`
        : `The memory has no remote named ${JSON.stringify(remote)}; it has ${remotes.join(", ")}. Pass one of those with --remote.`,
      { remote, remotes },
    );
  }
  // Memories made before the merge driver existed, and fresh clones, get it here: a clone's
  // .git/config is its own, and an older memory lacks the .gitattributes line.
  if (await registerMergeDriver(repo)) {
    const who = options.agent ? agentIdentity(options.agent) : undefined;
    await repo.commitPaths([".gitattributes"], { subject: "memory: merge memory files with reverie's merge driver", trailers: { "Memory-Op": "config", ...(options.agent ? { Agent: options.agent } : {}) } }, who);
  }
  const localEdits = await commitLocalEdits(repo, options.agent);
  const upstreamRef = `refs/remotes/${remote}/${branch}`;
  const retries = options.retries ?? 3;

  for (let attempt = 0; ; attempt++) {
    await git(["fetch", "--quiet", remote, `+refs/heads/${branch}:${upstreamRef}`]).catch(async (error: unknown) => {
      // An empty remote has no such branch yet; the push below creates it.
      const missing = await git(["ls-remote", "--exit-code", "--heads", remote, branch], [2, 128]);
      if (missing.code !== 2) throw error;
      await git(["update-ref", "-d", upstreamRef], [1]);
    });
    const upstream = await revParse(repo, upstreamRef);
    const before = (await revParse(repo, "HEAD"))!;
    let integration: SyncDone["integration"] = "none";
    let received = 0;
    if (upstream !== null && upstream !== before) {
      received = Number((await git(["rev-list", "--count", `HEAD..${upstream}`])).stdout.trim());
      if (received > 0) {
        const ancestor = (await git(["merge-base", "--is-ancestor", "HEAD", upstream], [1])).code === 0;
        if (ancestor) {
          await git(["merge", "--quiet", "--ff-only", upstream]);
          integration = "fast-forward";
        } else {
          const conflicts = await conflictedFiles(repo, upstream);
          if (conflicts.length > 0) return conflict(repo, options, { remote, branch, files: conflicts, local: before, upstream, localEdits });
          // Journaled, so a kill mid-rebase (HEAD detached, rebase-merge/ left) is undone by the
          // next command instead of wedging the folder: see `finishSync` in recovery.
          const journal = await beginJournal(repo.dir, "sync", { branch, head: before, upstream, upstreamName: `${remote}/${branch}` });
          try {
            integration = await integrate(repo, upstream, `${remote}/${branch}`, options.strategy ?? "rebase", options.agent);
          } finally {
            await journal.done();
          }
        }
      }
    }
    const head = (await revParse(repo, "HEAD"))!;
    const sent = Number((await git(["rev-list", "--count", upstream === null ? "HEAD" : `${upstream}..HEAD`])).stdout.trim());
    if (sent > 0 || upstream === null) {
      const pushed = await git(["push", "--quiet", "--porcelain", remote, `HEAD:refs/heads/${branch}`], [1]);
      if (pushed.code !== 0) {
        if (attempt < retries && /\[(remote )?rejected\]|fetch first|non-fast-forward|cannot lock ref/.test(pushed.stdout + pushed.stderr)) continue;
        throw new ReverieError("GIT_FAILED", `git push to ${remote} failed: ${(pushed.stderr || pushed.stdout).trim().split("\n")[0]}`, {
          remote,
          branch,
          stderr: pushed.stderr,
        });
      }
      await git(["update-ref", upstreamRef, head]);
    }
    if ((await git(["config", "--get", `branch.${branch}.remote`], [1])).code !== 0) {
      await git(["branch", "--quiet", `--set-upstream-to=${remote}/${branch}`, branch]);
    }
    const dreams = await pushDreams(repo, remote, options.dreams ?? false);
    return { kind: "synced", remote, branch, head, integration, received, sent, localEdits, dreams };
  }
}

async function revParse(repo: GitRepo, ref: string): Promise<string | null> {
  const result = await repo.run(["rev-parse", "--verify", "-q", `${ref}^{commit}`], { okCodes: [1] });
  return result.code === 0 ? result.stdout.trim() : null;
}

async function currentBranch(repo: GitRepo): Promise<string> {
  const result = await repo.run(["symbolic-ref", "--quiet", "--short", "HEAD"], { okCodes: [1] });
  if (result.code !== 0) {
    throw new ReverieError(
      "INVALID_INPUT",
      `The memory ${repo.dir} is not on a branch (detached HEAD), so there is nothing to sync. Check out its branch first: git -C ${repo.dir} switch main`,
      {},
    );
  }
  return result.stdout.trim();
}

async function upstreamRemote(repo: GitRepo, branch: string): Promise<string> {
  const configured = await repo.run(["config", "--get", `branch.${branch}.remote`], { okCodes: [1] });
  return configured.code === 0 ? configured.stdout.trim() : "origin";
}

/** Commits edits made to the folder by hand (tracked files, and new Markdown files), so they are synced too. */
async function commitLocalEdits(repo: GitRepo, agent: string | undefined): Promise<string | null> {
  const status = await repo.run(["status", "--porcelain", "--untracked-files=all"]);
  if (status.stdout.trim() === "") return null;
  await repo.run(["add", "--update"]);
  await repo.run(["add", "--", ":(glob)**/*.md"], { okCodes: [128], env: { GIT_LITERAL_PATHSPECS: "0" } });
  const staged = await repo.run(["diff", "--cached", "--quiet"], { okCodes: [1] });
  if (staged.code === 0) return null;
  const trailers = formatTrailers({ "Memory-Op": "update", ...(agent ? { Agent: agent } : {}) });
  const args = ["commit", "--quiet", "-m", "memory: commit edits made in the folder before sync", "-m", trailers];
  if (agent) {
    const who = agentIdentity(agent);
    args.push(`--author=${who.name} <${who.email}>`);
  }
  await repo.run(args);
  return (await revParse(repo, "HEAD"))!;
}

/** Files a merge of HEAD and `upstream` would leave conflicted, found without touching the work tree. */
async function conflictedFiles(repo: GitRepo, upstream: string): Promise<string[]> {
  await requireGit(repo.dir, [2, 38], "reverie sync");
  const result = await repo.run(["merge-tree", "--write-tree", "--name-only", "--no-messages", "HEAD", upstream], { okCodes: [1] });
  if (result.code === 0) return [];
  const [, ...files] = result.stdout.split("\n");
  return [...new Set(files.filter((f) => f !== ""))].sort();
}

async function integrate(repo: GitRepo, upstream: string, upstreamName: string, strategy: "rebase" | "merge", agent: string | undefined): Promise<"rebase" | "merge"> {
  if (strategy === "rebase") {
    const rebased = await repo.run(["rebase", "--quiet", upstream], { okCodes: [1] });
    if (rebased.code === 0) return "rebase";
    // A commit-by-commit replay can stop where the overall merge is clean: fall back to merging.
    await repo.run(["rebase", "--abort"]);
  }
  const trailers = formatTrailers({ "Memory-Op": "sync", ...(agent ? { Agent: agent } : {}) });
  await repo.run(["merge", "--quiet", "--no-ff", "--no-edit", "-m", `memory: sync with ${upstreamName}`, "-m", trailers, upstream]);
  return "merge";
}

async function conflict(
  repo: GitRepo,
  options: SyncOptions,
  found: { remote: string; branch: string; files: string[]; local: string; upstream: string; localEdits: string | null },
): Promise<SyncConflict> {
  // A retry of the same conflict (same local version) reuses its branch instead of adding one.
  const existing = await repo.run(["for-each-ref", "--points-at", found.local, "--format=%(refname:short)", "refs/heads/reverie/conflict/"]);
  let conflictBranch = existing.stdout.split("\n").find((b) => b !== "");
  if (conflictBranch === undefined) {
    const stamp = (options.clock ?? (() => new Date()))().toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
    conflictBranch = `reverie/conflict/${stamp}`;
    for (let n = 2; (await revParse(repo, `refs/heads/${conflictBranch}`)) !== null; n++) conflictBranch = `reverie/conflict/${stamp}-${n}`;
    await repo.run(["branch", conflictBranch, found.local]);
  }
  const upstreamName = `${found.remote}/${found.branch}`;
  const dir = repo.dir;
  // git merge and git commit refuse to run without an identity; reverie's default stands in.
  const gitC = `git -C ${dir}${await identityFlags(repo)}`;
  const resolveText = [
    `Both this memory and ${upstreamName} changed the same lines of ${found.files.join(", ")}. Nothing was merged or pushed${found.localEdits ? ` (your uncommitted edits were first committed as ${found.localEdits.slice(0, 7)})` : ""}; your version is kept on branch ${conflictBranch}.`,
    "To resolve:",
    `  ${gitC} merge ${upstreamName}`,
    `  # edit ${found.files.join(", ")}: keep what is right between the <<<<<<< and >>>>>>> lines, delete the marker lines`,
    `  ${gitC} commit -a --no-edit`,
    `  reverie sync --dir ${dir}`,
    `Or take the remote version and set yours aside: git -C ${dir} reset --hard ${upstreamName} (yours stays on ${conflictBranch}).`,
  ].join("\n");
  return { kind: "conflict", ...found, conflictBranch, resolve: resolveText };
}

async function pushDreams(repo: GitRepo, remote: string, which: boolean | readonly string[]): Promise<string[]> {
  if (which === false) return [];
  const local = (await repo.run(["for-each-ref", "--format=%(refname:short)", "refs/heads/dream/"])).stdout.split("\n").filter(Boolean);
  const wanted = which === true ? local : which.map((id) => (id.startsWith("dream/") ? id : `dream/${id}`));
  const missing = wanted.filter((b) => !local.includes(b));
  if (missing.length > 0) {
    throw new ReverieError("NOT_FOUND", `No dream branch ${missing.join(", ")} in ${repo.dir}. List dreams with: reverie dream list`, { branches: missing });
  }
  if (wanted.length === 0) return [];
  await repo.run(["push", "--quiet", "--force-with-lease", remote, ...wanted.map((b) => `refs/heads/${b}:refs/heads/${b}`)]);
  return wanted;
}
