import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { listMarkdownFiles, noteTitle, parseNote, type Note } from "@reverie/core";
import type { Measure } from "../report/row.js";

/** What a gold item is about (QUALITY.md, "Real data: learning from sessions"). */
export const GoldKinds = ["preference", "prohibition", "workflow", "layout", "lesson", "fact", "stale"] as const;
export type GoldKind = (typeof GoldKinds)[number];

/** One thing a person who read the sessions would want remembered. */
export interface GoldItem {
  id: string;
  kind: GoldKind;
  /** What a person would want remembered, in one or two sentences. */
  statement: string;
  /**
   * Lowercase tokens a correct memory must all contain (commands, paths, values); `a|b` accepts
   * either spelling (`read|re-read`, `walker|walkers`), since a token never matches inside a longer word.
   */
  tokens: string[];
  /** Tokens of a superseded value that no memory may state as current. */
  old_tokens?: string[];
  /** `<session file>#<turn>` in `reverie import`'s turn numbering. */
  support: string[];
}

/** Where a series' sessions are, relative to the shared datasets folder. */
export interface GoldDataset {
  folder: string;
  /** File name prefix of the series' sessions ("" for every file). */
  prefix: string;
  /** File name ending of the series' sessions (".jsonl", ".txt"). */
  ext: string;
}

/** The gold list of one real series (`bench/gold/<series>.json`). */
export interface GoldList {
  series: string;
  description: string;
  dataset: GoldDataset;
  items: GoldItem[];
}

function fail(file: string, what: string): never {
  throw new Error(`${file}: ${what}`);
}

function stringList(file: string, where: string, value: unknown, options: { lowercase: boolean; empty: boolean }): string[] {
  if (!Array.isArray(value) || (!options.empty && value.length === 0)) fail(file, `${where} must be a${options.empty ? "n" : " non-empty"} array of strings, got ${JSON.stringify(value)}`);
  return value.map((v, i) => {
    if (typeof v !== "string" || v.trim() === "" || (options.lowercase && v.split("|").some((alt) => alt.trim() === ""))) fail(file, `${where}[${i}] must be a non-empty string${options.lowercase ? " (and no empty alternative around |)" : ""}, got ${JSON.stringify(v)}`);
    if (options.lowercase && v !== v.toLowerCase()) fail(file, `${where}[${i}] must be lowercase (tokens are matched case-insensitively), got "${v}"; write "${v.toLowerCase()}"`);
    return v;
  });
}

/**
 * Parses and checks a gold list; `file` names it in errors.
 * @throws Error naming the file, the item and the field that is wrong, and what was expected.
 */
export function parseGoldList(text: string, file: string): GoldList {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    fail(file, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null) fail(file, "expected an object { series, description, dataset, items }");
  const r = raw as Record<string, unknown>;
  if (typeof r.series !== "string" || r.series === "") fail(file, `"series" must be a non-empty string`);
  if (typeof r.description !== "string") fail(file, `"description" must be a string`);
  const d = r.dataset as Record<string, unknown> | undefined;
  if (typeof d !== "object" || d === null || typeof d.folder !== "string" || typeof d.prefix !== "string" || typeof d.ext !== "string") {
    fail(file, `"dataset" must be { folder, prefix, ext } (strings), e.g. { "folder": "claude-code", "prefix": "entireio__cli__", "ext": ".jsonl" }`);
  }
  if (!Array.isArray(r.items)) fail(file, `"items" must be an array`);
  const ids = new Set<string>();
  const items = r.items.map((value, index): GoldItem => {
    const it = value as Record<string, unknown>;
    const where = `items[${index}]${typeof it?.id === "string" ? ` (${it.id})` : ""}`;
    if (typeof it !== "object" || it === null) fail(file, `${where} must be an object`);
    if (typeof it.id !== "string" || it.id === "") fail(file, `${where}.id must be a non-empty string`);
    if (ids.has(it.id)) fail(file, `${where}.id "${it.id}" is used twice`);
    ids.add(it.id);
    if (!GoldKinds.includes(it.kind as GoldKind)) fail(file, `${where}.kind must be one of ${GoldKinds.join(", ")}, got ${JSON.stringify(it.kind)}`);
    if (typeof it.statement !== "string" || it.statement.trim() === "") fail(file, `${where}.statement must be a non-empty string`);
    const support = stringList(file, `${where}.support`, it.support, { lowercase: false, empty: false });
    for (const ref of support) if (!/#\d+$/.test(ref)) fail(file, `${where}.support "${ref}" must be "<session file>#<turn>", e.g. "2025-11-24-f.txt#134"`);
    const item: GoldItem = {
      id: it.id,
      kind: it.kind as GoldKind,
      statement: it.statement,
      tokens: stringList(file, `${where}.tokens`, it.tokens, { lowercase: true, empty: false }),
      support,
    };
    if (it.old_tokens !== undefined) item.old_tokens = stringList(file, `${where}.old_tokens`, it.old_tokens, { lowercase: true, empty: false });
    return item;
  });
  return { series: r.series, description: r.description, dataset: { folder: d.folder as string, prefix: d.prefix as string, ext: d.ext as string }, items };
}

/** Reads and checks `bench/gold/<series>.json`. */
export async function readGoldList(path: string): Promise<GoldList> {
  return parseGoldList(await readFile(path, "utf8"), path);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const tokenCache = new Map<string, RegExp>();

/**
 * Whether `text` contains `token` as a whole word or path segment, case-insensitively:
 * `mise run test` in "run `mise run test` first" but not in `mise run test:ci`; `read` not in
 * `thread`; `cmd/entire/cli/agent` in `/Users/x/cli/cmd/entire/cli/agent/gemini.go` (a path
 * segment); `generate()` in `id.Generate()` (after a qualifier dot); `walker` not in `walkers`.
 * Whitespace inside a token matches any run of whitespace; `a|b` matches either alternative.
 */
export function containsToken(text: string, token: string): boolean {
  let re = tokenCache.get(token);
  if (!re) {
    const alternatives = token.split("|").map((alt) =>
      alt
        .trim()
        .split(/\s+/)
        .map(escapeRegExp)
        .join(String.raw`\s+`),
    );
    const body = `(?:${alternatives.join("|")})`;
    // Before: not a letter, digit, _, - or @ (a "/" or "." may precede: a path or a qualifier).
    // After: not a letter, digit, _ or -, and not "." or ":" followed by one (test:ci, 8080.5).
    re = new RegExp(String.raw`(?<![\p{L}\p{N}_\-@])${body}(?![\p{L}\p{N}_\-])(?![.:][\p{L}\p{N}_])`, "iu");
    tokenCache.set(token, re);
  }
  return re.test(text);
}

/** A memory file of the adopted folder, as the learn metrics read it. */
export interface LearnMemory {
  path: string;
  /** Title and body, lowercased: the text that states things. */
  text: string;
  /** Length of the body in characters (a memory over 2,000 states nothing: a paste, not a memory). */
  bodyChars: number;
  trust: "normal" | "low";
  /** Front-matter `type`, when set. */
  type?: string;
  /** Whether its front-matter carries what a `learn` operation writes (`support` and `confidence`). */
  learned: boolean;
}

/** Reduces a parsed memory file to a {@link LearnMemory}. */
export function learnMemory(note: Note): LearnMemory {
  const fm = note.frontmatter as Record<string, unknown>;
  const m: LearnMemory = {
    path: note.path,
    text: `${noteTitle(note)}\n${note.body}`.toLowerCase(),
    bodyChars: note.body.length,
    trust: fm.trust === "low" ? "low" : "normal",
    learned: fm.type === "learned" || (fm.support !== undefined && typeof fm.confidence === "string"),
  };
  if (typeof fm.type === "string") m.type = fm.type;
  return m;
}

/** Every memory file of a folder as it is on disk now. */
export async function readLearnFolder(memoryDir: string): Promise<LearnMemory[]> {
  const paths = await listMarkdownFiles(memoryDir);
  return Promise.all(paths.map(async (p) => learnMemory(parseNote(p, await readFile(join(memoryDir, p), "utf8")))));
}

/** Longest body a memory may have and still count as stating an item. */
export const MAX_BODY_CHARS = 2000;

/** Whether memory `m` states every token of `item` (any trust; body within {@link MAX_BODY_CHARS}). */
export function statesItem(m: LearnMemory, item: GoldItem): boolean {
  return m.bodyChars <= MAX_BODY_CHARS && item.tokens.every((t) => containsToken(m.text, t));
}

/** Whether memory `m` states an old value of `item` as current: an old token without the new value. */
export function statesOldValue(m: LearnMemory, item: GoldItem): boolean {
  if (!item.old_tokens || item.old_tokens.length === 0) return false;
  return item.old_tokens.some((t) => containsToken(m.text, t)) && !item.tokens.every((t) => containsToken(m.text, t));
}

/** How one gold item fared. */
export interface ItemMatch {
  id: string;
  kind: GoldKind;
  /** Whether one normal-trust memory states it. */
  recalled: boolean;
  /** Normal-trust memories that state it. */
  memories: string[];
  /** Low-trust memories that state it (they do not count). */
  lowTrust: string[];
  /** Memories that state its old value as current. */
  statingOld: string[];
}

/** How one memory the dream wrote fared. */
export interface WrittenMatch {
  path: string;
  /** Gold items it states. */
  items: string[];
  /** Gold items whose old value it states as current. */
  old: string[];
  noise: boolean;
  /** Why it is noise. */
  reason?: string;
}

export interface LearnResult {
  metrics: { learn_recall: Measure; learn_noise: Measure };
  items: ItemMatch[];
  written: WrittenMatch[];
}

/**
 * learn_recall and learn_noise (QUALITY.md) of the adopted folder against a gold list.
 * `before` holds the paths that existed before the dream: a memory is "written by the dream"
 * when its path is new or its front-matter is a learn operation's.
 */
export function learnMetrics(final: readonly LearnMemory[], before: ReadonlySet<string>, gold: GoldList): LearnResult {
  const items: ItemMatch[] = gold.items.map((item) => {
    const stating = final.filter((m) => statesItem(m, item));
    return {
      id: item.id,
      kind: item.kind,
      recalled: stating.some((m) => m.trust === "normal"),
      memories: stating.filter((m) => m.trust === "normal").map((m) => m.path),
      lowTrust: stating.filter((m) => m.trust === "low").map((m) => m.path),
      statingOld: final.filter((m) => statesOldValue(m, item)).map((m) => m.path),
    };
  });
  const written: WrittenMatch[] = final
    .filter((m) => !before.has(m.path) || m.learned)
    .map((m) => {
      const stated = gold.items.filter((item) => statesItem(m, item)).map((i) => i.id);
      const old = gold.items.filter((item) => statesOldValue(m, item)).map((i) => i.id);
      const w: WrittenMatch = { path: m.path, items: stated, old, noise: stated.length === 0 || old.length > 0 };
      if (old.length > 0) w.reason = `states the old value of ${old.join(", ")} as current`;
      else if (stated.length === 0) w.reason = m.bodyChars > MAX_BODY_CHARS ? `body of ${m.bodyChars} chars (over ${MAX_BODY_CHARS}): states nothing` : "matches no gold item";
      return w;
    });
  const recall: Measure = items.length === 0 ? { value: null, reason: `the gold list of ${gold.series} has no items` } : { value: items.filter((i) => i.recalled).length / items.length };
  const noise: Measure = written.length === 0 ? { value: null, reason: "the dream wrote no memory" } : { value: written.filter((w) => w.noise).length / written.length };
  return { metrics: { learn_recall: recall, learn_noise: noise }, items, written };
}
