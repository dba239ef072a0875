import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { isReverieError } from "../errors.js";
import { decodeUtf8, parseNote } from "../note/parse.js";
import type { MemoryFrontmatter } from "../note/types.js";
import { namespacePath, type Scope } from "./scopes.js";
import { listMarkdownFiles } from "./walk.js";

/** One problem `reverie doctor` found. Errors make it exit non-zero; warnings are advice. */
export interface Diagnostic {
  severity: "error" | "warning";
  code: string;
  message: string;
  path?: string;
  line?: number;
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
    if (scope.repo) out.push(...(await repoProblems(scope)));
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
