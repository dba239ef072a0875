import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { ReverieError, truncateForMessage } from "../errors.js";
import { isInNonMemoryDir, isMemoryFileName, NON_MEMORY_DIRS } from "../memory-files.js";

/** Whether a folder-relative POSIX path is skipped; directories are asked once and pruned whole. */
export type ScanFilter = (path: string, kind: "file" | "dir") => boolean;

/** True for a folder-relative POSIX path inside a folder that never holds memories (`.git/`, `.reverie/`, `node_modules/`). */
export const isReservedPath = isInNonMemoryDir;

/**
 * Lists every memory file (`*.md`) under `dir` as sorted folder-relative POSIX paths.
 * Symbolic links are not followed: a link could lead out of the folder (DESIGN §2), and a link
 * to a file inside it would index the same memory twice.
 */
export async function scanMemoryFiles(dir: string, skip: ScanFilter): Promise<string[]> {
  const found: string[] = [];
  async function walk(relDir: string): Promise<void> {
    const entries = await readdir(relDir === "" ? dir : join(dir, relDir), { withFileTypes: true }).catch((error: unknown) => {
      // A folder deleted while we walk it simply has no memories left.
      if (relDir !== "" && isMissing(error)) return [];
      if (relDir === "" && isMissing(error)) {
        throw new ReverieError("NOT_A_MEMORY", `Cannot index memory folder ${truncateForMessage(dir)}: it does not exist or is not a directory.`, { dir }, { cause: error });
      }
      throw error;
    });
    const subdirs: string[] = [];
    for (const entry of entries) {
      const rel = relDir === "" ? entry.name : `${relDir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!NON_MEMORY_DIRS.has(entry.name) && !skip(rel, "dir")) subdirs.push(rel);
      } else if (entry.isFile() && isMemoryFileName(entry.name) && !skip(rel, "file")) {
        found.push(rel);
      }
    }
    await Promise.all(subdirs.map(walk));
  }
  await walk("");
  return found.sort();
}

/** True for the errors a file or folder that vanished between listing and reading produces. */
export function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
