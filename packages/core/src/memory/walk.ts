import { readdir } from "node:fs/promises";
import { join } from "node:path";

/** Folders never holding memories: git's, reverie's own state, and dependency trees. */
const SKIP_DIRS = new Set([".git", ".reverie", "node_modules"]);

/** Every `*.md` file under `root`, as sorted relative POSIX paths. Symlinks are not followed. */
export async function listMarkdownFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  async function visit(rel: string): Promise<void> {
    const entries = await readdir(rel ? join(root, rel) : root, { withFileTypes: true });
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) await visit(path);
      } else if (entry.isFile() && entry.name.toLowerCase().endsWith(".md")) {
        found.push(path);
      }
    }
  }
  await visit("");
  return found.sort();
}
