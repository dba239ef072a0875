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

/**
 * Files at a memory folder's root that describe the memory rather than being memories: the
 * template's `README.md` (for agents reading the folder) and Claude Code's index `MEMORY.md`
 * (rebuilt by dreams). `ls`, search, the memory tool's listing and dreams leave them out; they
 * can still be read, written and shown in history by name.
 */
export const FOLDER_DOC_PATHS: ReadonlySet<string> = new Set(["README.md", "MEMORY.md"]);

/** Whether a folder-relative POSIX path is one of the root files that describe the memory (FOLDER_DOC_PATHS), not a memory. */
export function isFolderDocPath(path: string): boolean {
  return FOLDER_DOC_PATHS.has(path);
}

/** A memory file's name without its `.md`. */
export function stripMemoryExtension(name: string): string {
  return isMemoryFileName(name) ? name.slice(0, -3) : name;
}
