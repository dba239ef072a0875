import { noteTitle, type Note } from "@reverie/core";
import { tokenSet } from "./tokenize.js";
import { valueSet } from "./values.js";

/** A memory with everything the offline passes compare, computed once. */
export interface MemoryView {
  note: Note;
  path: string;
  title: string;
  /** Title and body: the text that states the memory's facts. */
  text: string;
  tokens: Set<string>;
  values: Set<string>;
  key: string | undefined;
  type: string | undefined;
  trust: "normal" | "low";
  /** Milliseconds of the newest timestamp the memory carries (updated, created, sources, verified); NaN when none. */
  recency: number;
  /** Milliseconds of `created`; NaN when absent. */
  created: number;
  /** Whether instructions forbid touching this memory. */
  protected: boolean;
}

/** Milliseconds of an ISO timestamp (YAML may hand back a Date); NaN when absent or unparsable. */
export function timeOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "string") return Date.parse(value);
  return Number.NaN;
}

function maxTime(...times: number[]): number {
  let best = Number.NaN;
  for (const t of times) if (!Number.isNaN(t) && (Number.isNaN(best) || t > best)) best = t;
  return best;
}

function stampTimes(list: unknown): number[] {
  if (!Array.isArray(list)) return [];
  return list.map((entry) => (typeof entry === "object" && entry !== null ? timeOf((entry as { at?: unknown }).at) : Number.NaN));
}

function stringField(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** Builds the view of one memory. */
export function memoryView(note: Note, isProtected: boolean): MemoryView {
  const fm = note.frontmatter;
  const title = noteTitle(note);
  const text = `${title}\n${note.body}`;
  return {
    note,
    path: note.path,
    title,
    text,
    tokens: tokenSet(text),
    values: valueSet(text),
    key: stringField(fm.key),
    type: stringField(fm.type),
    trust: fm.trust === "low" ? "low" : "normal",
    recency: maxTime(timeOf(fm.updated), timeOf(fm.created), ...stampTimes(fm.sources), ...stampTimes(fm.verified)),
    created: timeOf(fm.created),
    protected: isProtected,
  };
}
