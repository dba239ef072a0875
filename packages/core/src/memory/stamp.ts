import { newId } from "../ids.js";
import { parseNote, updateNote } from "../note/parse.js";
import type { FrontmatterPatch } from "../note/frontmatter.js";
import { capSources, SOURCES_DROPPED_KEY } from "../note/sources-cap.js";
import type { MemorySource, Note } from "../note/types.js";

export interface Attribution {
  agent?: string;
  session?: string;
}

/** ISO-8601 to the second, as memory files show it. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Adds the provenance reverie keeps on every memory it writes: a stable `id` (kept from the
 * file being replaced), `created`/`updated`, and a `sources` entry for the writing agent and
 * session (at most MAX_SOURCES: the first and the latest, `sources_dropped` counting the
 * rest, so a memory written often stays readable). Content sent without front-matter keeps the replaced file's front-matter, so an
 * agent rewriting a body never wipes provenance it did not see.
 */
export function stampContent(path: string, content: string, existing: Note | null, who: Attribution, now: Date): string {
  let incoming = parseNote(path, content);
  if (!incoming.hasFrontmatter && existing?.hasFrontmatter) {
    incoming = parseNote(path, updateNote(existing.content, { body: content }, path));
  }
  const base = incoming.frontmatter;
  const at = isoSeconds(now);
  const patch: FrontmatterPatch = {};
  if (typeof base.id !== "string") patch.id = typeof existing?.frontmatter.id === "string" ? existing.frontmatter.id : newId("mem");
  if (base.created === undefined) patch.created = existing?.frontmatter.created ?? at;
  patch.updated = at;
  if (who.agent || who.session) {
    const source: MemorySource = {
      ...(who.session ? { session: who.session } : {}),
      ...(who.agent ? { agent: who.agent } : {}),
      at,
    };
    const previous = Array.isArray(base.sources) ? base.sources : [];
    const capped = capSources([...previous, source], base[SOURCES_DROPPED_KEY]);
    patch.sources = capped.sources;
    if (capped.dropped > 0) patch[SOURCES_DROPPED_KEY] = capped.dropped;
  }
  return updateNote(incoming.content, { frontmatter: patch }, path);
}
