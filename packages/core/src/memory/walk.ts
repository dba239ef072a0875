import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { isMemoryFileName, NON_MEMORY_DIRS } from "../memory-files.js";


/**
 * Every memory file under `root` (or only under its sub-folder `under`), as sorted relative
 * POSIX paths. Symlinks are not followed; a missing `under` has no files.
 */
export async function listMarkdownFiles(root: string, under = ""): Promise<string[]> {
  const found: string[] = [];
  async function visit(rel: string): Promise<void> {
    const entries = await readdir(rel ? join(root, rel) : root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (rel === under && rel !== "" && error.code === "ENOENT") return [];
      if (rel === under && rel !== "" && error.code === "ENOTDIR") {
        if (isMemoryFileName(rel)) found.push(rel); // `under` named a file, not a folder
        return [];
      }
      throw error;
    });
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!NON_MEMORY_DIRS.has(entry.name)) await visit(path);
      } else if (entry.isFile() && isMemoryFileName(entry.name)) {
        found.push(path);
      }
    }
  }
  await visit(under);
  return found.sort();
}
