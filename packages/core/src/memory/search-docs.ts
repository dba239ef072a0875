import { join } from "node:path";
import { noteTitle, parseNote } from "../note/parse.js";
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
  if (typeof fm.type === "string") doc.type = fm.type;
  if (typeof fm.trust === "string") doc.trust = fm.trust;
  return doc;
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
