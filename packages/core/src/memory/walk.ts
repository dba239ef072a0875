import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { isMemoryFileName, NON_MEMORY_DIRS } from "../memory-files.js";

/** A symbolic link found in a memory folder: listed, never followed by a listing. */
export interface FoundLink {
  /** Folder-relative POSIX path of the link itself. */
  path: string;
  /** What the link points to, as stored in it (`readlink`). */
  target: string;
}

/**
 * Every memory file under `root` (or only under its sub-folder `under`), as sorted relative
 * POSIX paths. Symlinks are not followed; a missing `under` has no files.
 */
export async function listMarkdownFiles(root: string, under = ""): Promise<string[]> {
  return (await walkMemoryFolder(root, under)).files;
}

/**
 * The memory files under `root` (or its sub-folder `under`) and every symbolic link met on the
 * way, a link on the path to `under` included (it is then not entered). Links are reported, never followed: one could lead out of the
 * folder or into `.git/` (SECURITY.md), and one inside it would list a memory twice.
 */
export async function walkMemoryFolder(root: string, under = ""): Promise<{ files: string[]; links: FoundLink[] }> {
  const files: string[] = [];
  const links: FoundLink[] = [];
  const target = async (rel: string) => readlink(join(root, rel)).catch(() => "?");
  // A link on the way to `under` (`ls linkdir`) is listed as itself, and not entered.
  if (under !== "") {
    const segments = under.split("/");
    for (let i = 1; i <= segments.length; i++) {
      const rel = segments.slice(0, i).join("/");
      const info = await lstat(join(root, rel)).catch(() => null);
      if (info === null) return { files, links };
      if (info.isSymbolicLink()) return { files, links: [{ path: rel, target: await target(rel) }] };
    }
  }
  async function visit(rel: string): Promise<void> {
    const entries = await readdir(rel ? join(root, rel) : root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (rel === under && rel !== "" && error.code === "ENOENT") return [];
      if (rel === under && rel !== "" && error.code === "ENOTDIR") {
        if (isMemoryFileName(rel)) files.push(rel); // `under` named a file, not a folder
        return [];
      }
      throw error;
    });
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!NON_MEMORY_DIRS.has(entry.name)) await visit(path);
      } else if (entry.isFile() && isMemoryFileName(entry.name)) {
        files.push(path);
      } else if (entry.isSymbolicLink() && !NON_MEMORY_DIRS.has(entry.name)) {
        links.push({ path, target: await target(path) });
      }
    }
  }
  await visit(under);
  return { files: files.sort(), links: links.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}
