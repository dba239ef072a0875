import { lstat, realpath } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { MountAccess, MountConfig } from "../config.js";
import { ReverieError, truncateForMessage } from "../errors.js";
import type { GitRepo } from "../git/repo.js";
import { isInside, normalizeMemoryFilePath } from "../paths.js";

/** A folder in the memory's namespace: the memory itself (prefix "") or a mount. */
export interface Scope {
  /** Namespace prefix, "" for the memory folder itself. */
  prefix: string;
  /** Absolute, symlink-resolved folder. */
  dir: string;
  access: MountAccess;
  /** The scope's git repository; absent for a read-only mount that is a plain folder. */
  repo?: GitRepo;
}

/** A memory path resolved to the scope that holds it. */
export interface Resolved {
  scope: Scope;
  /** The namespace path, e.g. `org/policies/x.md`. */
  path: string;
  /** The path inside the scope's folder (and its repository), e.g. `policies/x.md`. */
  rel: string;
  abs: string;
}

/** Maps a namespace path to its scope: the longest mount prefix wins, else the memory itself. */
export function resolveIn(scopes: readonly Scope[], input: string, what = "path"): Resolved {
  const path = normalizeMemoryFilePath(input, what);
  let best = scopes.find((s) => s.prefix === "")!;
  for (const scope of scopes) {
    if (scope.prefix !== "" && path.startsWith(`${scope.prefix}/`) && scope.prefix.length > best.prefix.length) best = scope;
  }
  const rel = best.prefix === "" ? path : path.slice(best.prefix.length + 1);
  return { scope: best, path, rel, abs: join(best.dir, rel) };
}

/** The namespace path of a file found in a scope's folder. */
export function namespacePath(scope: Scope, rel: string): string {
  return scope.prefix === "" ? rel : `${scope.prefix}/${rel}`;
}

/** Refuses writes into read-only mounts. */
export function assertWritable(target: Resolved): void {
  if (target.scope.access === "read_only" || !target.scope.repo) {
    throw new ReverieError(
      "READ_ONLY",
      `${target.path} is in the read-only mount '${target.scope.prefix}' (${target.scope.dir}). Write it somewhere outside ${target.scope.prefix}/, or set access: read_write for that mount in .reverie/config.yaml.`,
      { path: target.path, mount: target.scope.prefix },
    );
  }
}

/** Folders of a scope that a link must never lead into: git's data and reverie's own state. */
const RESERVED = new Set([".git", ".reverie"]);

/** Where a resolved real path lies for a scope: inside it, inside it but in `.git/` or `.reverie/`, or outside. */
export function realPlace(scopeDir: string, real: string): "inside" | "reserved" | "outside" {
  if (!isInside(scopeDir, real)) return "outside";
  const first = relative(scopeDir, real).split(sep)[0] ?? "";
  return RESERVED.has(first.toLowerCase()) ? "reserved" : "inside";
}

/**
 * Refuses a path whose parent folders (or the file itself, if it is a link) resolve outside
 * the scope or into its `.git/` or `.reverie/` — a symlink that arrived by git must not let a
 * read or a write escape the memory or reach git's config.
 */
export async function assertContained(target: Resolved): Promise<void> {
  const escape = (place: "reserved" | "outside" | "broken"): never => {
    const where =
      place === "reserved"
        ? `leads into ${target.scope.dir}'s .git/ or .reverie/ folder`
        : place === "broken"
          ? "cannot be resolved"
          : `leaves the memory folder (${target.scope.dir})`;
    throw new ReverieError(
      "INVALID_PATH",
      `Invalid path ${truncateForMessage(target.path)}: it goes through a symbolic link that ${where}; reverie does not follow such links. Remove the link (git rm ${truncateForMessage(target.rel)}) or use a path inside the folder.`,
      { path: target.path, reason: "symlink" },
    );
  };
  let existing = dirname(target.abs);
  for (;;) {
    try {
      const place = realPlace(target.scope.dir, await realpath(existing));
      if (place !== "inside") escape(place);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || existing === target.scope.dir) throw error;
      existing = dirname(existing);
    }
  }
  const stat = await lstat(target.abs).catch(() => null);
  if (stat?.isSymbolicLink()) {
    const real = await realpath(target.abs).catch(() => null);
    if (real === null) return escape("broken");
    const place = realPlace(target.scope.dir, real);
    if (place !== "inside") escape(place);
  }
}

/**
 * Refuses to write, move or replace a file that is itself a symbolic link: writing the path
 * would replace the link by a copy (and a commit would record that), and writing through it
 * would change another file than the one named.
 */
export async function assertNotLink(target: Resolved): Promise<void> {
  const stat = await lstat(target.abs).catch(() => null);
  if (!stat?.isSymbolicLink()) return;
  throw new ReverieError(
    "INVALID_PATH",
    `${target.path} is a symbolic link; reverie does not write through links. Change the file it points to by its own path, or replace the link with a file (git rm ${truncateForMessage(target.rel)}, then write it).`,
    { path: target.path, reason: "symlink" },
  );
}

/** Builds the scopes of a memory from its folder and its configured mounts. */
export function mountScope(mount: MountConfig, dir: string, repo: GitRepo | undefined): Scope {
  return { prefix: mount.path, dir, access: mount.access, ...(repo ? { repo } : {}) };
}
