/**
 * Witness values: the concrete things a memory states (a port, a region, a path, a version, a
 * name). Two memories that state different values are different facts, however alike their
 * words, so these decide what may be merged and what a correction replaces.
 */

export const ValueKinds = ["url", "path", "version", "number", "identifier", "quoted", "name"] as const;
export type ValueKind = (typeof ValueKinds)[number];

export interface WitnessValue {
  kind: ValueKind;
  /** Normalized (lowercased) value, the unit of comparison. */
  value: string;
}

const FILE_EXT =
  /^[\w@~+-][\w.@~+-]*\.(?:md|mdx|txt|ts|tsx|mts|cts|js|jsx|mjs|cjs|json|jsonl|ya?ml|toml|ini|cfg|conf|env|lock|sh|bash|zsh|py|rb|go|rs|java|kt|c|h|cc|cpp|hpp|cs|sql|html|css|scss|xml|csv|log|pem|key|crt|dockerfile)$/i;
const VERSION = /^v?\d+(?:\.\d+)+(?:[-+][\w.]+)?$/i;
const NUMBER = /^\d+(?:[a-z]{1,3})?$/i;
const LIST_MARKER = /^\s*(?:[-*+]|\d+[.)]|#{1,6})\s+/;
const EDGE = /^[([{<'",;!?*_~]+|[)\]}>'",;:.!?*]+$/g;
const TITLE_CASE = /^\p{Lu}[\p{Ll}\p{N}]+(?:\p{Lu}[\p{L}\p{N}]*)*$/u;
const CAMEL = /^\p{Ll}+\p{Lu}/u;
const ENDS_SENTENCE = /[.!?:]$/;
const QUOTED = /`([^`\n]{1,80})`|"([^"\n]{1,80})"/g;
const URL = /\bhttps?:\/\/[^\s)>\]"'`]+/gi;

function classify(token: string): ValueKind | null {
  if (token.includes("://")) return "url";
  if (VERSION.test(token)) return "version";
  if (NUMBER.test(token)) return "number";
  if (token.includes("/") || token.startsWith("~") || FILE_EXT.test(token)) return "path";
  if (/\d/.test(token)) return "identifier";
  if (/[\p{L}\p{N}][._][\p{L}\p{N}]/u.test(token) || CAMEL.test(token)) return "identifier";
  return null;
}

function add(out: Map<string, WitnessValue>, kind: ValueKind, raw: string): void {
  const value = raw.toLowerCase();
  if (value === "") return;
  const key = value;
  if (!out.has(key)) out.set(key, { kind, value });
}

/** Embedded ports and numbers of compound tokens (`localhost:8080`, `http://x:9090/health`). */
function addEmbeddedNumbers(out: Map<string, WitnessValue>, token: string): void {
  for (const part of token.split(/[:/]/)) if (/^\d{2,}$/.test(part)) add(out, "number", part);
}

/** All witness values of `text`, in first-seen order, deduplicated by normalized value. */
export function extractValues(text: string): WitnessValue[] {
  const out = new Map<string, WitnessValue>();
  for (const m of text.matchAll(QUOTED)) {
    const inner = (m[1] ?? m[2] ?? "").trim().replace(/\s+/g, " ");
    // One quoted token keeps what it is (`config/app.json` is a path), so checks by kind still see it.
    if (inner !== "") add(out, (!inner.includes(" ") && classify(inner.replace(EDGE, ""))) || "quoted", inner);
  }
  for (const m of text.matchAll(URL)) {
    const url = m[0].replace(/[.,;:!?]+$/, "");
    add(out, "url", url);
    addEmbeddedNumbers(out, url);
  }
  for (const line of text.replace(URL, (m) => ` ${/[.,;:!?]+$/.exec(m)?.[0] ?? ""}`).split("\n")) {
    const stripped = line.replace(LIST_MARKER, "");
    let initial = true;
    for (const piece of stripped.split(/[\s`"=]+/)) {
      if (piece === "") continue;
      const token = piece.replace(EDGE, "");
      const wasInitial = initial;
      initial = ENDS_SENTENCE.test(piece);
      if (token === "") continue;
      const kind = classify(token);
      if (kind) {
        add(out, kind, token);
        if (kind !== "number" && kind !== "version") addEmbeddedNumbers(out, token);
      } else if (!wasInitial && TITLE_CASE.test(token)) {
        add(out, "name", token);
      }
    }
  }
  return [...out.values()];
}

/** The normalized values of `text` as a set. */
export function valueSet(text: string): Set<string> {
  return new Set(extractValues(text).map((v) => v.value));
}

/** True when every value of `a` is also a value of `b`. */
export function isSubset(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size > b.size) return false;
  for (const v of a) if (!b.has(v)) return false;
  return true;
}

/**
 * Two value sets may describe one fact only when one contains the other: then the memory with
 * more values says everything the other says, and keeping it loses no witness.
 */
export function valuesCompatible(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return isSubset(a, b) || isSubset(b, a);
}

/** A concrete value (port, version, path, id), not a word or a small count that many things share. */
export function isConcreteValue(value: string): boolean {
  const kind = extractValues(value)[0]?.kind;
  if (kind === undefined || kind === "name" || kind === "quoted") return false;
  return kind !== "number" || /\d{3,}/.test(value);
}
