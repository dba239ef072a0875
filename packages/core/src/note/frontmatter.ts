import { Document, isMap, isScalar, LineCounter, parseDocument, visit } from "yaml";
import type { YAMLMap } from "yaml";
import { ReverieError } from "../errors.js";
import { aliasLimitError, assertFrontmatterWithinLimits, LIMITS } from "../limits.js";
import type { MemoryFrontmatter } from "./types.js";

/** A Markdown file cut into its front-matter block and body, byte-exact: `open + yaml + close + body` is the file. */
export interface FrontmatterSplit {
  /** The opening delimiter line, with its line ending (and a BOM if the file had one). */
  open: string;
  yaml: string;
  /** The closing delimiter line, with its line ending (empty string ending when at end of file). */
  close: string;
  body: string;
}

const OPEN = /^(\uFEFF?---[ \t]*\r?\n)/;
const CLOSE = /^(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/m;
/** How far into a file the closing delimiter is looked for: the front-matter limit, and room for the line itself. */
const SEARCH_WINDOW = LIMITS.frontmatterBytes + 16;

/** Cuts `content` at its front-matter delimiters; `null` when the file has no front-matter block. */
export function splitFrontmatter(content: string, path = "<memory>"): FrontmatterSplit | null {
  const open = OPEN.exec(content)?.[1];
  if (open === undefined) return null;
  const rest = content.slice(open.length);
  // An empty block (`---\n---\n`) closes on the very first line. The search stops a little past
  // the front-matter limit: a block that does not close by then is too large whatever follows.
  const window = rest.length > SEARCH_WINDOW ? rest.slice(0, SEARCH_WINDOW) : rest;
  const close = CLOSE.exec(window);
  if (!close && window !== rest) assertFrontmatterWithinLimits(path, window);
  if (!close) {
    throw new ReverieError(
      "PARSE_ERROR",
      `${path}:1: front-matter is opened with '---' but never closed. Add a line '---' after the YAML, or remove the first line if the file has no front-matter.`,
      { path, line: 1 },
    );
  }
  return {
    open,
    yaml: rest.slice(0, close.index),
    close: close[0],
    body: rest.slice(close.index + close[0].length),
  };
}

/**
 * Parses the YAML of a front-matter block into a plain object, reporting errors with the file's
 * line number. The block is checked against {@link LIMITS} first, and parsing is linear in its
 * size: yaml's own duplicate-key check compares every key with every other (quadratic: 40,000
 * keys took 19 s), so keys are checked for uniqueness here, with a set.
 */
export function parseFrontmatterYaml(yaml: string, path: string): MemoryFrontmatter {
  assertFrontmatterWithinLimits(path, yaml);
  const lineCounter = new LineCounter();
  const doc = parseDocument(yaml, { uniqueKeys: false, prettyErrors: false, lineCounter });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line + 1; // +1: the opening '---' is line 1
  const error = doc.errors[0];
  if (error) {
    // yaml reports an unclosed bracket or quote at the end of input; point at the last YAML
    // line instead of the closing delimiter.
    const lastLine = Math.max(1, lineCounter.lineStarts.length - (yaml.endsWith("\n") ? 1 : 0));
    const line = Math.min(lineCounter.linePos(error.pos[0]).line, lastLine) + 1;
    const detail = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new ReverieError(
      "PARSE_ERROR",
      `${path}:${line}: front-matter is not valid YAML: ${detail}. Expected 'key: value' lines between the '---' delimiters, e.g. 'title: Use pnpm'.`,
      { path, line, reason: detail },
    );
  }
  if (isMap(doc.contents)) {
    const seen = new Set<unknown>();
    for (const item of doc.contents.items) {
      const key = isScalar(item.key) ? item.key.value : item.key;
      if (!seen.has(key)) {
        seen.add(key);
        continue;
      }
      const line = lineAt((item.key as { range?: [number, number, number] } | null)?.range?.[0] ?? 0);
      const detail = "Map keys must be unique";
      throw new ReverieError(
        "PARSE_ERROR",
        `${path}:${line}: front-matter is not valid YAML: ${detail}. Expected 'key: value' lines between the '---' delimiters, e.g. 'title: Use pnpm'.`,
        { path, line, reason: detail },
      );
    }
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: LIMITS.yamlAliases });
  } catch (error) {
    if (!(error instanceof ReferenceError) || !/alias/i.test(error.message)) throw error;
    let first = 0;
    visit(doc, {
      Alias(_, node) {
        first = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    throw aliasLimitError(path, lineAt(first));
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ReverieError(
      "PARSE_ERROR",
      `${path}:2: front-matter must be a mapping of keys (e.g. 'title: Use pnpm'), found a ${Array.isArray(value) ? "list" : typeof value}.`,
      { path, line: 2 },
    );
  }
  return value as MemoryFrontmatter;
}

/** Key order for front-matter reverie writes from scratch; keys it does not know follow in their own order. */
const CANONICAL_ORDER = ["id", "title", "type", "key", "tags", "created", "updated", "sources", "verified", "trust"];

function orderedKeys(keys: string[]): string[] {
  const known = CANONICAL_ORDER.filter((k) => keys.includes(k));
  return [...known, ...keys.filter((k) => !CANONICAL_ORDER.includes(k))];
}

/**
 * One `key: value` entry as reverie writes it: provenance lists as one flow map per line
 * (`- { session: ses_1, turn: 3 }`) and scalar lists inline (`[a, b]`), so diffs stay one
 * line per source.
 */
export function stringifyEntry(key: string, value: unknown): string {
  const doc = new Document({ [key]: value });
  visit(doc, {
    Map(_, node, path) {
      if (path.length > 1) node.flow = true;
    },
    Seq(_, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}

/** Renders a complete front-matter block (delimiters included) for the given fields. */
export function renderFrontmatter(frontmatter: MemoryFrontmatter): string {
  const keys = orderedKeys(Object.keys(frontmatter).filter((k) => frontmatter[k] !== undefined));
  return `---\n${keys.map((k) => stringifyEntry(k, frontmatter[k])).join("")}---\n`;
}

/** A change to front-matter: a key set to `undefined` is removed, any other value replaces or adds it. */
export type FrontmatterPatch = { [K in keyof MemoryFrontmatter]?: MemoryFrontmatter[K] | undefined };

/**
 * Rewrites only the patched keys of a front-matter block. Every other top-level entry — its
 * bytes, comments and quoting — is kept exactly, which is what lets people and other tools
 * keep their own keys in a memory file.
 */
export function patchFrontmatterYaml(yaml: string, patch: FrontmatterPatch, path: string): string {
  parseFrontmatterYaml(yaml, path); // throws the located error, limits included
  const doc = parseDocument(yaml, { prettyErrors: false, uniqueKeys: false });
  const contents = doc.contents;
  if (contents !== null && !isMap(contents)) parseFrontmatterYaml(yaml, path);
  const items = contents ? (contents as YAMLMap).items : [];

  const starts = items.map((item) => (item.key as { range?: [number, number, number] } | null)?.range?.[0] ?? 0);
  const preamble = yaml.slice(0, starts[0] ?? yaml.length);
  const segments = items.map((item, i) => ({
    key: isScalar(item.key) ? String(item.key.value) : undefined,
    text: yaml.slice(starts[i], starts[i + 1] ?? yaml.length),
  }));

  const pending = new Set(Object.keys(patch));
  const out: string[] = [];
  for (const segment of segments) {
    if (segment.key === undefined || !pending.has(segment.key)) {
      out.push(segment.text);
      continue;
    }
    pending.delete(segment.key);
    const value = patch[segment.key];
    if (value === undefined) continue;
    out.push(ensureNewline(stringifyEntry(segment.key, value)));
  }
  const last = out.length > 0 ? out[out.length - 1]! : preamble;
  if (out.length > 0 && !last.endsWith("\n")) out[out.length - 1] = `${last}\n`;
  for (const key of orderedKeys([...pending])) {
    const value = patch[key];
    if (value !== undefined) out.push(stringifyEntry(key, value));
  }
  return preamble + out.join("");
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
