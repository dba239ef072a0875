import { ReverieError, truncateForMessage } from "./errors.js";
import { assertPathLength } from "./limits.js";
import { isMemoryFileName } from "./memory-files.js";

const CONTROL = /[\u0000-\u001f\u007f]/;
/** Folders reverie and git own; memories never live there. */
const RESERVED_ROOTS = new Set([".git", ".reverie"]);

/**
 * Validates a memory path and returns it normalized (relative POSIX, no `.` or empty segments).
 * Rejects rather than resolves `..`, so `a/../b` can never be smuggled past a mount boundary.
 * @example normalizeMemoryPath("./prefs//pm.md") // "prefs/pm.md"
 */
export function normalizeMemoryPath(input: string, what = "path"): string {
  const fail = (why: string, fix: string): never => {
    throw new ReverieError("INVALID_PATH", `Invalid ${what} ${truncateForMessage(input)}: ${why}. ${fix}`, { path: input });
  };
  if (typeof input !== "string" || input.length === 0) fail("it is empty", "Give a relative path such as prefs/pm.md.");
  if (CONTROL.test(input)) fail("it contains a NUL or control character", "Use printable characters only.");
  if (input.includes("\\")) fail("it contains a backslash", "Use forward slashes: prefs/pm.md.");
  if (input.startsWith("/") || /^[A-Za-z]:\//.test(input)) {
    fail("absolute paths are not allowed", "Give a path relative to the memory folder, e.g. prefs/pm.md (memory-tool paths start with /memories/).");
  }
  // 'a:b.md' is a file name on macOS and Linux; on Windows it would mean b.md on drive a:.
  if (process.platform === "win32" && /^[A-Za-z]:/.test(input)) {
    fail(`on Windows '${input.slice(0, 2)}' names a drive`, "Rename it without the ':' after its first letter, e.g. prefs/pm.md.");
  }
  const segments = input.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) fail("'..' segments are not allowed", "Paths must stay inside the memory folder.");
  if (segments.length === 0) fail("it names the memory folder itself", "Name a file, e.g. prefs/pm.md.");
  // Case-insensitive: on macOS and Windows '.GIT/x.md' is the git folder.
  if (RESERVED_ROOTS.has(segments[0]!.toLowerCase())) fail(`${segments[0]}/ is reserved for reverie and git`, "Choose another folder.");
  const path = segments.join("/");
  assertPathLength(path, what);
  return path;
}

/**
 * A folder of the memory, normalized like {@link normalizeMemoryPath}, or `""` for the whole
 * memory (`""`, `.`, `/`). A leading `/` or `./` is read as the memory's root.
 * @example normalizeMemoryFolder("/prefs/") // "prefs"
 */
export function normalizeMemoryFolder(input: string, what = "folder"): string {
  const relative = input.replace(/^\.?\/+/, "");
  if (relative.split("/").every((segment) => segment === "" || segment === ".")) return "";
  return normalizeMemoryPath(relative, what);
}

/** Validates a path that must name a memory file (`*.md`). */
export function normalizeMemoryFilePath(input: string, what = "path"): string {
  const path = normalizeMemoryPath(input, what);
  if (!isMemoryFileName(path)) {
    throw new ReverieError(
      "INVALID_PATH",
      `Invalid ${what} ${truncateForMessage(input)}: memory files are Markdown and end in .md. Use e.g. ${truncateForMessage(`${path}.md`)}.`,
      { path: input },
    );
  }
  return path;
}

/** True when `child` is `parent` or lies inside it (both absolute, already resolved). */
export function isInside(parent: string, child: string): boolean {
  return child === parent || child.startsWith(parent.endsWith("/") ? parent : `${parent}/`);
}
