import { noteTitle, type Note } from "@reverie/core";

/** A memory of the adopted folder, reduced to what the quality metrics look at. */
export interface FinalMemory {
  path: string;
  /** Its own id and every id merged into it. */
  ids: string[];
  /** Title and body, the text that states facts. */
  text: string;
  trust: "normal" | "low";
  /** Sessions its `sources` cite. */
  sourceSessions: string[];
  /** Sessions its `verified` stamps cite. */
  verifiedSessions: string[];
}

function sessionsOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const entry of list) {
    const s = typeof entry === "object" && entry !== null ? (entry as { session?: unknown }).session : undefined;
    if (typeof s === "string" && !out.includes(s)) out.push(s);
  }
  return out;
}

/** Reduces a parsed memory file to a `FinalMemory`. */
export function finalMemory(note: Note): FinalMemory {
  const fm = note.frontmatter;
  const ids: string[] = [];
  if (typeof fm.id === "string") ids.push(fm.id);
  if (Array.isArray(fm.merged_ids)) for (const id of fm.merged_ids) if (typeof id === "string" && !ids.includes(id)) ids.push(id);
  return {
    path: note.path,
    ids,
    text: `${noteTitle(note)}\n${note.body}`,
    trust: fm.trust === "low" ? "low" : "normal",
    sourceSessions: sessionsOf(fm.sources),
    verifiedSessions: sessionsOf(fm.verified),
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const cache = new Map<string, RegExp>();

/**
 * Whether `text` states `witness` as a whole value: `8080` in `localhost:8080/` but not in
 * `18080` or `8080.5`; `us-east-2` but not `us-east-2b`.
 */
export function statesWitness(text: string, witness: string): boolean {
  let re = cache.get(witness);
  if (!re) {
    re = new RegExp(String.raw`(?<![\p{L}\p{N}_.\-/@])${escapeRegExp(witness)}(?![\p{L}\p{N}_\-]|\.[\p{L}\p{N}])`, "iu");
    cache.set(witness, re);
  }
  return re.test(text);
}
