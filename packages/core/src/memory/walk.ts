import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { isMemoryFileName, NON_MEMORY_DIRS } from "../memory-files.js";


/** Every `*.md` file under `root`, as sorted relative POSIX paths. Symlinks are not followed. */
export async function listMarkdownFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  async function visit(rel: string): Promise<void> {
    const entries = await readdir(rel ? join(root, rel) : root, { withFileTypes: true });
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!NON_MEMORY_DIRS.has(entry.name)) await visit(path);
      } else if (entry.isFile() && isMemoryFileName(entry.name)) {
        found.push(path);
      }
    }
  }
  await visit("");
  return found.sort();
}
