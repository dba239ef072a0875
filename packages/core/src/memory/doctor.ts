import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { isReverieError } from "../errors.js";
import { decodeUtf8, parseNote } from "../note/parse.js";
import type { MemoryFrontmatter } from "../note/types.js";
import { redactSecrets } from "../secrets/find-secrets.js";
import { findSecretsInHistory } from "../secrets/history-secrets.js";
import { namespacePath, type Scope } from "./scopes.js";
import { listMarkdownFiles } from "./walk.js";

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
function fieldProblems(fm: MemoryFrontmatter): string[] {
  const problems: string[] = [];
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
export async function diagnose(scopes: readonly Scope[]): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const ids = new Map<string, string>();
  for (const scope of scopes) {
    for (const rel of await listMarkdownFiles(scope.dir)) {
      const path = namespacePath(scope, rel);
      try {
        const note = parseNote(path, decodeUtf8(await readFile(join(scope.dir, rel)), path));
        for (const problem of fieldProblems(note.frontmatter)) {
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
  const gitDir = (await repo.run(["rev-parse", "--absolute-git-dir"])).stdout.trim();
  const indexLock = join(gitDir, "index.lock");
  if (await stat(indexLock).catch(() => null)) {
    out.push({
      severity: "error",
      code: "GIT_LOCKED",
      path: indexLock,
      message: `${indexLock} exists: a git command is running or crashed. If none is running, delete it; until then every write fails.`,
    });
  }
  const status = await repo.run(["status", "--porcelain", "--untracked-files=all"]);
  for (const line of status.stdout.split("\n").filter((l) => /\.md"?$/i.test(l))) {
    const rel = line.slice(3).replace(/^"|"$/g, "");
    const path = namespacePath(scope, rel.includes(" -> ") ? rel.split(" -> ")[1]! : rel);
    out.push({
      severity: "warning",
      code: "UNCOMMITTED",
      path,
      message: `${path} has changes git has not recorded (${line.slice(0, 2).trim() || "modified"}); commit them (git add ${rel} && git commit) or write through reverie so they are attributed.`,
    });
  }
  return out;
}
