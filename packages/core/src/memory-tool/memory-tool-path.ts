import { ReverieError, truncateForMessage } from "../errors.js";
import { normalizeMemoryPath } from "../paths.js";

/** Where the memory tool sees the memory folder. */
export const MEMORY_TOOL_ROOT = "/memories";

const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_DECODE_ROUNDS = 3;

function escapes(text: string): boolean {
  return text.includes("\\") || CONTROL.test(text) || text.split("/").includes("..");
}

/**
 * Maps a memory-tool path (`/memories/prefs/pm.md`) onto a memory path (`prefs/pm.md`; `""` for
 * `/memories` itself), refusing everything the tool's security guidance names: paths outside
 * `/memories`, `..` segments, backslashes, control characters, and traversal hidden by
 * percent-encoding (`%2e%2e%2f`, also double-encoded). Decoded forms are only inspected, never
 * used: a file is always addressed by the literal path.
 * @throws ReverieError `INVALID_PATH`
 * @example memoryToolPath("/memories/prefs/pm.md") // "prefs/pm.md"
 */
export function memoryToolPath(input: string, what = "path"): string {
  if (typeof input !== "string" || input === "") {
    throw new ReverieError("INVALID_PATH", `The ${what} is empty. Give a path under ${MEMORY_TOOL_ROOT}, e.g. ${MEMORY_TOOL_ROOT}/notes.md.`, { path: input });
  }
  const shown = truncateForMessage(input).slice(1, -1);
  const escape = (): never => {
    throw new ReverieError("INVALID_PATH", `Path ${shown} would escape ${MEMORY_TOOL_ROOT} directory`, { path: input });
  };
  let decoded = input;
  for (let round = 0; round < MAX_DECODE_ROUNDS && decoded.includes("%"); round++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      break;
    }
    if (next === decoded) break;
    if (escapes(next)) escape();
    decoded = next;
  }
  if (input !== MEMORY_TOOL_ROOT && !input.startsWith(`${MEMORY_TOOL_ROOT}/`)) {
    throw new ReverieError("INVALID_PATH", `Path must start with ${MEMORY_TOOL_ROOT}, got: ${shown}`, { path: input });
  }
  const rel = input.slice(MEMORY_TOOL_ROOT.length).replace(/^\/+/, "").replace(/\/+$/, "");
  if (escapes(rel)) escape();
  if (rel === "" || rel.split("/").every((s) => s === "" || s === ".")) return "";
  try {
    return normalizeMemoryPath(rel, what);
  } catch (error) {
    throw new ReverieError("INVALID_PATH", `Invalid ${what} ${shown}: ${(error as Error).message.replace(/^Invalid [^:]+: /, "")}`, { path: input }, { cause: error });
  }
}

/** The memory-tool path of a memory path. */
export function toMemoryToolPath(path: string): string {
  return path === "" ? MEMORY_TOOL_ROOT : `${MEMORY_TOOL_ROOT}/${path}`;
}
