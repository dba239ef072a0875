import { readdir, realpath, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { explainOsError } from "../fs/os-errors.js";
import { readMemoryBytes } from "../fs/read-memory-file.js";
import { DEFAULT_MEMORY_TYPES } from "../config.js";
import { isReverieError } from "../errors.js";
import { identityFlags, type GitRepo } from "../git/repo.js";
import { formatTrailers } from "../git/trailers.js";
import { lockOwnerDead } from "../lock.js";
import { findGitLocks, gitRunningIn } from "../recovery/git-locks.js";
import { describeOperation, operationFix, operationsInProgress } from "../recovery/git-state.js";
import { journalOwnerDead, readJournal } from "../recovery/journal.js";
import { lockMemoryFolder, memoryLockPath, type RecoveryOptions } from "../recovery/recover.js";
import { leftoverSpoolTemps, leftoverTemps, reverieTempDir, sessionSpoolDir, UNOWNED_TEMP_GRACE_MS, type LeftTemp } from "../recovery/temp-files.js";
import { decodeUtf8, parseNote } from "../note/parse.js";
import type { MemoryFrontmatter } from "../note/types.js";
import { redactSecrets } from "../secrets/find-secrets.js";
import { findSecretsInHistory } from "../secrets/history-secrets.js";
import { namespacePath, realPlace, type Scope } from "./scopes.js";
import { walkMemoryFolder, type FoundLink } from "./walk.js";

/** One problem `reverie doctor` found. Errors make it exit non-zero; warnings are advice. */
export interface Diagnostic {
  severity: "error" | "warning";
  code: string;
  message: string;
  path?: string;
  line?: number;
  /** For `SECRET_IN_HISTORY`: the commit that added it, and what kind of credential it is. */
  commit?: string;
  kind?: string;
}

const TRUST = new Set(["normal", "low"]);

/** Front-matter fields reverie relies on, checked for the shape the engine expects. */
function fieldProblems(fm: MemoryFrontmatter, types: readonly string[]): string[] {
  const problems: string[] = [];
  if (fm.type !== undefined && !(typeof fm.type === "string" && types.includes(fm.type))) {
    problems.push(`'type' is ${JSON.stringify(fm.type)}, not a memory type of this memory (${types.join(", ")}); use one of those, or add it to 'types' in .reverie/config.yaml`);
  }
  const isStringList = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  const isMapList = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "object" && x !== null && !Array.isArray(x));
  if (fm.id !== undefined && typeof fm.id !== "string") problems.push("'id' must be a string such as mem_01JD3Q9W6T8ZP4M2K7X5B1C0RA");
  if (fm.key !== undefined && typeof fm.key !== "string") problems.push("'key' must be a string such as js.package-manager");
  if (fm.tags !== undefined && !isStringList(fm.tags)) problems.push("'tags' must be a list of strings, e.g. [tooling, js]");
  if (fm.trust !== undefined && !TRUST.has(fm.trust as string)) problems.push("'trust' must be normal or low");
  if (fm.sources !== undefined && !isMapList(fm.sources)) problems.push("'sources' must be a list of { session, turn, at, agent }");
  if (fm.verified !== undefined && !isMapList(fm.verified)) problems.push("'verified' must be a list of { session, turn, at, note }");
  for (const field of ["created", "updated"] as const) {
    const value = fm[field];
    if (value !== undefined && (typeof value !== "string" || Number.isNaN(Date.parse(value)))) {
      problems.push(`'${field}' must be an ISO-8601 time such as 2026-11-20T10:31:00Z`);
    }
  }
  return problems;
}

/** Checks every memory file of every scope, ids across files, and each repository's state. */
export async function diagnose(scopes: readonly Scope[], types: readonly string[] = DEFAULT_MEMORY_TYPES): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const ids = new Map<string, string>();
  for (const scope of scopes) {
    const { files, links } = await walkMemoryFolder(scope.dir);
    for (const link of links) out.push(await linkProblem(scope, link));
    for (const rel of files) {
      const path = namespacePath(scope, rel);
      try {
        const bytes = await readMemoryBytes(join(scope.dir, rel), path).catch((error: unknown) => {
          throw explainOsError(error, `read ${path}`, "nothing was changed");
        });
        const text = decodeUtf8(bytes, path);
        const marker = conflictMarkerLine(text);
        if (marker !== null) {
          // Checked before the YAML: markers in the front-matter would read as a YAML error.
          out.push({ severity: "error", code: "MERGE_CONFLICT", path, line: marker, message: await unfinishedMerge(scope, rel, path, marker) });
          continue;
        }
        const note = parseNote(path, text);
        for (const problem of fieldProblems(note.frontmatter, types)) {
          out.push({ severity: "error", code: "INVALID_FRONTMATTER", path, message: `${path}: ${problem}.` });
        }
        const id = note.frontmatter.id;
        if (typeof id === "string") {
          const other = ids.get(id);
          if (other) {
            out.push({
              severity: "error",
              code: "DUPLICATE_ID",
              path,
              message: `${path} has the same id (${id}) as ${other}; ids must be unique. Give one of them a new id (or remove its id line: reverie adds a fresh one on the next write).`,
            });
          } else ids.set(id, path);
        }
      } catch (error) {
        if (!isReverieError(error)) throw error;
        const line = typeof error.data.line === "number" ? error.data.line : undefined;
        out.push({ severity: "error", code: error.code, path, ...(line !== undefined ? { line } : {}), message: error.message });
      }
    }
    if (scope.repo) out.push(...(await repoProblems(scope)), ...(await historySecrets(scope)));
  }
  if (out.some((d) => d.code === "SECRET_IN_HISTORY")) out.push(PURGE);
  return out;
}

/**
 * One diagnostic per symbolic link: an error for a link that leaves the folder, enters `.git/` or
 * `.reverie/`, or is broken (reverie refuses to follow it); a warning for one that stays inside
 * (reverie reads through it, but never writes through it, and `ls` shows it as a link).
 */
async function linkProblem(scope: Scope, link: FoundLink): Promise<Diagnostic> {
  const path = namespacePath(scope, link.path);
  const real = await realpath(join(scope.dir, link.path)).catch(() => null);
  const place = real === null ? "broken" : realPlace(scope.dir, real);
  const fix = `Remove it (git rm ${link.path} && git commit) unless you made it on purpose.`;
  if (place === "inside") {
    return { severity: "warning", code: "SYMLINK", path, message: `${path} is a symbolic link to ${link.target}, inside the memory folder: reads follow it, writes through it are refused, and ls lists it as a link. ${fix}` };
  }
  const where = place === "reserved" ? "leads into .git/ or .reverie/" : place === "broken" ? "points to nothing" : "leads out of the memory folder";
  return {
    severity: "error",
    code: "SYMLINK",
    path,
    message: `${path} is a symbolic link to ${link.target}, which ${where}; reverie never follows it (a link that arrives by git could expose git's config or files outside the folder). ${fix}`,
  };
}

/** What MERGE_CONFLICT says: the file's markers, and how to finish (or undo) the operation that left them. */
async function unfinishedMerge(scope: Scope, rel: string, path: string, line: number): Promise<string> {
  const [op] = scope.repo ? await operationsInProgress(await scope.repo.gitDir()) : [];
  const flags = scope.repo ? await identityFlags(scope.repo) : "";
  const git = `git -C ${scope.dir}`;
  const what = op ? `a ${op.command} is not finished` : "a merge was committed unfinished";
  const edit = "Edit it to keep what is right from both versions and delete the marker lines";
  const finish =
    op === undefined
      ? `then commit it: ${git}${flags} commit -m "Resolve the conflict in ${rel}" -- ${rel}`
      : op.command === "merge"
        ? `then commit it (${git}${flags} commit -a --no-edit) and run reverie sync; or undo the merge: ${git} merge --abort`
        : `then ${git} add ${rel} and ${git}${flags} ${op.command} --continue; or undo it: ${git} ${op.command} --abort`;
  return `${path}:${line}: ${what}: the file still has git's conflict markers (<<<<<<<, =======, >>>>>>>). ${edit}, ${finish}.`;
}

/** The line of the first `<<<<<<< ` of a complete set of git conflict markers in `text`, or `null`. */
export function conflictMarkerLine(text: string): number | null {
  const match = /^<{7}(?: [^\n]*)?\r?\n(?:[^]*?\n)?={7}\r?\n(?:[^]*?\n)?>{7}(?: [^\n]*)?$/m.exec(text);
  return match === null ? null : text.slice(0, match.index).split("\n").length;
}

/** How to get a credential out of git for good, said once after the commits that hold one. */
const PURGE: Diagnostic = {
  severity: "warning",
  code: "SECRET_PURGE",
  message:
    "To purge a secret from history: 1. rotate it first (revoke the key, change the password): once committed, and certainly once pushed, assume it leaked. " +
    "2. Put each leaked value on its own line of a file outside the folder (e.g. /tmp/leaked.txt). " +
    "3. Rewrite every branch and tag: git filter-repo --replace-text /tmp/leaked.txt --force (https://github.com/newren/git-filter-repo; values become ***REMOVED***; it removes the origin remote, add it back with git remote add origin <url>). A dream/… branch that alone holds it can instead be dropped with reverie dream discard <id>. " +
    "4. git push --force --all && git push --force --tags to every remote, ask the host to purge cached views, and re-clone every other copy (an old clone pushes the secret back). " +
    "5. Run reverie doctor again: it reads every branch and tag.",
};

function article(kind: string): string {
  return /^[aeio]/.test(kind) ? "an" : "a";
}

/** Credentials any commit of any branch or tag holds, one error each, never the value. */
async function historySecrets(scope: Scope): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const found of await findSecretsInHistory(scope.repo!)) {
    const path = found.path === null ? undefined : namespacePath(scope, (await redactSecrets(found.path)).text);
    const commit = found.commit.slice(0, 12);
    const where =
      found.where === "message"
        ? `commit ${commit}'s message holds ${article(found.kind)} ${found.kind}`
        : found.where === "path"
          ? `commit ${commit} put ${article(found.kind)} ${found.kind} in the file name ${path}`
          : `commit ${commit} put ${article(found.kind)} ${found.kind} in ${path} line ${found.line}`;
    const again = found.alsoIn > 0 ? `, and ${found.alsoIn} later commit${found.alsoIn === 1 ? "" : "s"} again` : "";
    const refs = found.refs.length > 0 ? ` (history of ${found.refs.slice(0, 4).join(", ")}${found.refs.length > 4 ? ` and ${found.refs.length - 4} more` : ""})` : "";
    out.push({
      severity: "error",
      code: "SECRET_IN_HISTORY",
      ...(path !== undefined ? { path } : {}),
      ...(found.line !== undefined ? { line: found.line } : {}),
      commit: found.commit,
      kind: found.kind,
      message: `${where}${again}${refs}. Deleting the file does not remove it from git: rotate the credential and rewrite the history (SECRET_PURGE below says how).`,
    });
  }
  return out;
}

async function repoProblems(scope: Scope): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const repo = scope.repo!;
  const gitDir = await repo.gitDir();
  const where = scope.prefix || "the memory";
  const locks = await findGitLocks(gitDir);
  const running = locks.length > 0 ? await gitRunningIn(scope.dir, gitDir) : false;
  for (const lock of locks) {
    out.push({
      severity: "error",
      code: "GIT_LOCKED",
      path: lock.path,
      message: running
        ? `${lock.path} exists and a git process is running in ${scope.dir}; if it does not finish, stop it, then run reverie doctor --fix.`
        : `${lock.path} was left by a git process that is no longer running; it blocks writes to ${where}. reverie doctor --fix (or any write) removes it.`,
    });
  }
  const pendingEntries = (await readJournal(scope.dir)).filter((p) => journalOwnerDead(p.entry));
  const killedSync = pendingEntries.some((p) => p.entry.kind === "sync");
  const inProgress = await operationsInProgress(gitDir);
  for (const op of inProgress) {
    const message = killedSync
      ? `A ${op.command}${op.branch ? ` of ${op.branch}` : ""}, left half-done by a killed reverie sync, is in progress in ${scope.dir}; reverie doctor --fix (or any reverie command) undoes it and checks the branch out as before that sync.`
      : `${describeOperation(op)} is in progress in ${scope.dir}: ${operationFix(op, scope.dir)}; until then reverie cannot commit there.`;
    out.push({ severity: "error", code: op.code, path: join(gitDir, op.file), message });
  }
  const ownLock = memoryLockPath(scope.dir);
  if (await lockOwnerDead(ownLock)) {
    out.push({ severity: "warning", code: "STALE_LOCK", path: ownLock, message: `${ownLock} names a process that is no longer running; the next write takes it over (reverie doctor --fix removes it now).` });
  }
  for (const pending of pendingEntries) {
    const { kind } = pending.entry;
    const what = kind === "adopt" ? `adopt of ${String(pending.entry.id)}` : kind === "dream" ? `dream ${String(pending.entry.id)}` : kind === "sync" ? `sync of ${String(pending.entry.branch)}` : `"${String(pending.entry.subject)}"`;
    const fix = kind === "sync" ? "undoes what it left half-done" : kind === "dream" ? "marks it failed and deletes a branch it left" : "finishes it";
    out.push({
      severity: "warning",
      code: "INTERRUPTED",
      path: pending.path,
      message: `An interrupted ${what} (its process died); reverie doctor --fix, or any reverie command, ${fix}.`,
    });
  }
  for (const temp of await findTemps(scope.dir)) {
    out.push({ severity: "warning", code: "TEMP_FILE", path: temp.path, message: `${temp.path} (${temp.size} bytes) is a temp file left by a process that is no longer running; reverie doctor --fix removes it.` });
  }
  // Mid-rebase or mid-merge, the index holds that operation's work, not a killed write's.
  const staged = inProgress.length > 0 ? [] : await stagedPaths(repo);
  for (const rel of staged) {
    const path = namespacePath(scope, rel);
    out.push({ severity: "warning", code: "STAGED", path, message: `${path} is staged but was never committed; reverie doctor --fix commits what is staged (attributed Memory-Op: recover).` });
  }
  const status = await repo.run(["status", "--porcelain", "--untracked-files=all"]);
  for (const line of status.stdout.split("\n").filter((l) => /\.md"?$/i.test(l))) {
    const rel = line.slice(3).replace(/^"|"$/g, "");
    const target = rel.includes(" -> ") ? rel.split(" -> ")[1]! : rel;
    if (staged.includes(target) && line[1] === " ") continue; // reported as STAGED
    const path = namespacePath(scope, target);
    out.push({
      severity: "warning",
      code: "UNCOMMITTED",
      path,
      message: `${path} has changes git has not recorded (${line.slice(0, 2).trim() || "modified"}); commit them (git add ${rel} && git commit) or write through reverie so they are attributed.`,
    });
  }
  return out;
}

/** Paths whose index entry differs from HEAD's (staged, never committed). */
async function stagedPaths(repo: GitRepo): Promise<string[]> {
  const head = await repo.head();
  const args = head ? ["diff", "--cached", "--name-only", "-z", "--no-renames"] : ["ls-files", "-z"];
  return (await repo.run(args)).stdout.split("\0").filter(Boolean);
}

/**
 * Temp files nobody will finish: leftovers in `.reverie/tmp/` and import spools in
 * `.reverie/sessions/` (dead owner), and `*.tmp` anywhere else in the folder (an older reverie
 * made them beside their targets) older than UNOWNED_TEMP_GRACE_MS.
 */
export async function findTemps(dir: string): Promise<LeftTemp[]> {
  const tempDir = reverieTempDir(dir);
  const spoolDir = sessionSpoolDir(dir);
  const found = [...(await leftoverTemps(tempDir)), ...(await leftoverSpoolTemps(dir))];
  const now = Date.now();
  const visit = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true }).catch(() => [])) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== ".git" && path !== tempDir && path !== spoolDir) await visit(path);
      } else if (entry.name.endsWith(".tmp")) {
        const info = await stat(path).catch(() => null);
        if (info && now - info.mtimeMs > UNOWNED_TEMP_GRACE_MS) found.push({ path, size: info.size });
      }
    }
  };
  await visit(dir);
  return found;
}

/** One thing `reverie doctor --fix` repaired. */
export interface Repair {
  code: string;
  message: string;
}

/**
 * Repairs what is safe to repair without a person's judgement, holding the memory's lock:
 * stale git locks, temps, interrupted reverie operations (finished from their journal), a
 * dead process's lock, and staged-but-uncommitted files — committed as staged, because
 * reverie writes files whole before staging them, so the staged bytes are a complete memory
 * that a killed command meant to record; unstaging would leave the work tree differing from
 * HEAD for good, and the commit (Memory-Op: recover) keeps history honest about where it came
 * from. A rebase or merge in progress is left alone: aborting could throw away a person's
 * conflict resolution.
 */
export async function repairScope(scope: Scope, options: { handlers?: RecoveryOptions["handlers"] } = {}): Promise<Repair[]> {
  const done: Repair[] = [];
  const repo = scope.repo!;
  const handle = await lockMemoryFolder(scope.dir, async () => repo, {
    onNotice: (line) => done.push({ code: noticeCode(line), message: line.replace(/^reverie: /, "") }),
    ...(options.handlers ? { handlers: options.handlers } : {}),
  });
  try {
    for (const temp of await findTemps(scope.dir)) {
      await rm(temp.path, { force: true });
      done.push({ code: "TEMP_FILE", message: `removed ${temp.path} (${temp.size} bytes)` });
    }
    const staged = await stagedPaths(repo);
    if (staged.length > 0 && (await operationsInProgress(await repo.gitDir())).length === 0) {
      const trailers = formatTrailers({ "Memory-Op": "recover" });
      await repo.run(["-c", "maintenance.auto=false", "commit", "-q", "-m", `memory: recover ${staged.length} staged file(s) left uncommitted`, "-m", trailers]);
      done.push({ code: "STAGED", message: `committed ${staged.length} staged file(s) left uncommitted (${staged.slice(0, 5).join(", ")}${staged.length > 5 ? ", …" : ""}) in ${(await repo.head())!.slice(0, 7)}` });
    }
  } finally {
    await handle.release();
  }
  return done;
}

/** The diagnostic code a recovery notice repaired (they are worded by what they removed or finished). */
function noticeCode(line: string): string {
  if (/^reverie: removed \S+\.lock /.test(line)) return "GIT_LOCKED";
  if (/^reverie: removed \d+ temp file/.test(line)) return "TEMP_FILE";
  return "INTERRUPTED";
}
