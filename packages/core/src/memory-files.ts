/**
 * What counts as a memory file, in one place for listing, search, dreams and the memory tool:
 * a `*.md` file (any case) outside git's data, reverie's own state and dependency trees.
 */

/** Folders that never hold memories. */
export const NON_MEMORY_DIRS: ReadonlySet<string> = new Set([".git", ".reverie", "node_modules"]);

/** Whether a file name is a memory file's: Markdown, `.md` in any case. */
export function isMemoryFileName(name: string): boolean {
  return name.toLowerCase().endsWith(".md");
}

/** Whether a folder-relative POSIX path lies in a folder that never holds memories, at any depth. */
export function isInNonMemoryDir(path: string): boolean {
  return path.split("/").some((segment) => NON_MEMORY_DIRS.has(segment));
}

/** Whether a folder-relative POSIX path names a memory file. */
export function isMemoryFilePath(path: string): boolean {
  return isMemoryFileName(path) && !isInNonMemoryDir(path);
}

/** A memory file's name without its `.md`. */
export function stripMemoryExtension(name: string): string {
  return isMemoryFileName(name) ? name.slice(0, -3) : name;
}
