import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFrontmatterYaml, patchFrontmatterYaml, splitFrontmatter, type FrontmatterPatch, type FrontmatterSplit } from "../note/frontmatter.js";
import { updateNote } from "../note/parse.js";
import type { MemoryFrontmatter } from "../note/types.js";
import { runGit } from "./exec-git.js";

/** The three versions of one file in a merge, as git's merge driver gets them. */
export interface MergeInput {
  base: string;
  ours: string;
  theirs: string;
  /** The file's path, for messages. */
  path?: string;
  /** Length of conflict markers (git's `%L`). @default 7 */
  markerSize?: number;
}

export interface MergeOutput {
  text: string;
  /** True when the result holds conflict markers a person must resolve. */
  conflicted: boolean;
}

/** Front-matter lists whose entries are records of fact: both sides' entries are kept. */
const UNIONED = new Set(["sources", "verified"]);

/**
 * Merges three versions of a memory file as a person would: front-matter field by field —
 * `sources` and `verified` unioned, `updated` the later and `created` the earlier of the two,
 * the `id` kept (ours when both sides changed it), any other field taken from the side that
 * changed it — and the body by git's own three-way merge (`git merge-file`). Only a real
 * overlap is a conflict: both bodies changed the same lines (markers in the body), or both
 * sides set another field to different values (markers around that field, in the front-matter).
 * A version whose front-matter cannot be parsed makes the whole file a plain-text merge.
 */
export async function mergeMemoryText(input: MergeInput): Promise<MergeOutput> {
  const sides = [input.base, input.ours, input.theirs].map((text) => splitMemory(text, input.path));
  const [base, ours, theirs] = sides;
  if (!base || !ours || !theirs) return mergeText(input.ours, input.base, input.theirs, input.markerSize);
  const { fields, conflicts } = mergeFields(base.fields, ours.fields, theirs.fields);
  const body = await mergeText(ours.body, base.body, theirs.body, input.markerSize);
  /** `side`'s front-matter with every field that merged cleanly set to its merged value. */
  const settled = (side: MemoryFrontmatter): FrontmatterPatch => {
    const patch: FrontmatterPatch = {};
    for (const key of new Set([...Object.keys(side), ...Object.keys(fields)])) {
      if (!conflicts.includes(key) && !same(side[key], fields[key])) patch[key] = fields[key];
    }
    return patch;
  };
  if (conflicts.length === 0) {
    return { text: updateNote(input.ours, { frontmatter: settled(ours.fields), body: body.text }, input.path), conflicted: body.conflicted };
  }
  // Both sides set these fields two ways: the front-matter, every other field settled on all
  // three versions, is merged as text, so the markers stand around those fields alone.
  const yaml = (side: Side) => patchFrontmatterYaml(side.split?.yaml ?? "", settled(side.fields), input.path ?? "<memory>");
  const front = await mergeText(yaml(ours), yaml(base), yaml(theirs), input.markerSize);
  const open = ours.split?.open ?? theirs.split?.open ?? "---\n";
  const close = ours.split?.close ?? theirs.split?.close ?? "---\n";
  return { text: open + front.text + close + body.text, conflicted: true };
}

interface Side {
  fields: MemoryFrontmatter;
  body: string;
  split: FrontmatterSplit | null;
}

function splitMemory(text: string, path = "<memory>"): Side | null {
  try {
    const split = splitFrontmatter(text, path);
    if (!split) return { fields: {}, body: text, split: null };
    return { fields: parseFrontmatterYaml(split.yaml, path), body: split.body, split };
  } catch {
    return null;
  }
}

/** The merged front-matter, and the fields both sides set to different values (left at ours in `fields`). */
function mergeFields(base: MemoryFrontmatter, ours: MemoryFrontmatter, theirs: MemoryFrontmatter): { fields: MemoryFrontmatter; conflicts: string[] } {
  const fields: MemoryFrontmatter = {};
  const conflicts: string[] = [];
  for (const key of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
    const [b, o, t] = [base[key], ours[key], theirs[key]];
    let value: unknown;
    if (same(o, t)) value = o;
    else if (UNIONED.has(key) && (Array.isArray(o) || o === undefined) && (Array.isArray(t) || t === undefined)) value = union((o as unknown[]) ?? [], (t as unknown[]) ?? []);
    else if ((key === "updated" || key === "created") && isTime(o) && isTime(t)) value = (Date.parse(o) > Date.parse(t)) === (key === "updated") ? o : t;
    else if (same(o, b)) value = t;
    else if (same(t, b)) value = o;
    else if (key === "id") value = o ?? t;
    else {
      conflicts.push(key);
      value = o;
    }
    if (value !== undefined) fields[key] = value;
  }
  return { fields, conflicts };
}

function isTime(value: unknown): value is string {
  return typeof value === "string" && !Number.isNaN(Date.parse(value));
}

/** Our entries in order, then theirs that we do not have. */
function union(ours: readonly unknown[], theirs: readonly unknown[]): unknown[] {
  const seen = new Set(ours.map(canonical));
  return [...ours, ...theirs.filter((entry) => !seen.has(canonical(entry)))];
}

function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with object keys sorted, so `{ a, b }` and `{ b, a }` compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  ) ?? "undefined";
}

/** git's own three-way merge of three texts (`git merge-file`), run on temp files. */
export async function mergeText(ours: string, base: string, theirs: string, markerSize = 7): Promise<MergeOutput> {
  if (ours === theirs) return { text: ours, conflicted: false };
  if (base === ours) return { text: theirs, conflicted: false };
  if (base === theirs) return { text: ours, conflicted: false };
  const dir = await mkdtemp(join(tmpdir(), "reverie-merge-"));
  try {
    const files = { ours: join(dir, "ours"), base: join(dir, "base"), theirs: join(dir, "theirs") };
    await Promise.all([writeFile(files.ours, ours), writeFile(files.base, base), writeFile(files.theirs, theirs)]);
    const okCodes = Array.from({ length: 127 }, (_, i) => i + 1);
    const result = await runGit(dir, ["merge-file", `--marker-size=${markerSize}`, "-L", "ours", "-L", "base", "-L", "theirs", files.ours, files.base, files.theirs], { okCodes });
    return { text: await readFile(files.ours, "utf8"), conflicted: result.code !== 0 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
