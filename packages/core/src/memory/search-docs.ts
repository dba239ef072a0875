import { join } from "node:path";
import { hasWrittenTitle, noteTitle, parseNote } from "../note/parse.js";
import type { SearchDoc } from "../search/search-index.js";

/** Builds the search document of a memory file; throws on unparsable front-matter (the index then falls back to raw text). */
export function loadSearchDoc(path: string, content: string): SearchDoc {
  const note = parseNote(path, content);
  const fm = note.frontmatter;
  const doc: SearchDoc = {
    path,
    title: noteTitle(note),
    tags: Array.isArray(fm.tags) ? fm.tags.filter((t): t is string => typeof t === "string") : [],
    key: typeof fm.key === "string" ? fm.key : "",
    // A one-line `description` (as Claude Code's auto memory files carry) is found like the body.
    body: typeof fm.description === "string" && fm.description.trim() !== "" ? `${fm.description.trim()}\n${note.body}` : note.body,
  };
  if (!hasWrittenTitle(note)) doc.titleDerived = true;
  const source = onlySource(fm.sources);
  if (source !== undefined) doc.source = source;
  if (typeof fm.type === "string") doc.type = fm.type;
  if (typeof fm.trust === "string") doc.trust = fm.trust;
  return doc;
}

/** The session turn of a memory citing exactly one (`sources: [{ session, turn }]`). */
function onlySource(sources: unknown): { session: string; turn: number } | undefined {
  if (!Array.isArray(sources) || sources.length !== 1) return undefined;
  const only = sources[0] as { session?: unknown; turn?: unknown } | null;
  if (typeof only?.session !== "string" || typeof only.turn !== "number" || !Number.isInteger(only.turn)) return undefined;
  return { session: only.session, turn: only.turn };
}

/**
 * Where a memory keeps the search index of one scope ("" for the memory itself, else a mount
 * prefix). Every long-running process (`reverie watch`, the MCP server) must use the same
 * file, so that `reverie search` starts from what they saved.
 */
export function searchCacheFile(memoryDir: string, scopePrefix: string): string {
  const name = scopePrefix === "" ? "search-index.json" : `search-index.mount-${scopePrefix.replace(/[^A-Za-z0-9._-]+/g, "_")}.json`;
  return join(memoryDir, ".reverie", "cache", name);
}
