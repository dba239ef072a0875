/**
 * Tokens for similarity: lowercased words reduced to a crude stem, stop words dropped, and
 * value-like tokens (ports, versions, paths, regions) kept whole so `us-east-1` never becomes
 * `us`, `east`, `1`.
 */

const STOP_WORDS = new Set(
  (
    "a an the and or but if then else of to in on at by for from with without into onto over under " +
    "is are was were be been being am do does did done has have had having it its it's this that these those " +
    "there here we our us you your i me my they them their he she his her as so such than too very can could " +
    "should would will shall may might must just also only all any some each every which who whom what when where " +
    "why how about via per e.g i.e etc please"
  ).split(" "),
);

const SPLIT = /[^\p{L}\p{N}._/\-:@~+#]+/u;
const EDGE = /^[._\-:/@~+#]+|[._\-:@~+#]+$/g;
const HAS_DIGIT_OR_MARK = /[\d./_:@~+#]/;
const WORD = /^\p{L}+$/u;

/** Lowercased raw tokens: whitespace and punctuation split, inner `.`/`/`/`-`/`:` kept (so paths and versions survive). */
export function rawTokens(text: string): string[] {
  const out: string[] = [];
  for (const piece of text.toLowerCase().split(SPLIT)) {
    const t = piece.replace(EDGE, "");
    if (t !== "") out.push(t);
  }
  return out;
}

/** A crude suffix stripper: enough for "listens/listening/listened" to meet, cheap enough for 20k events. */
export function stem(word: string): string {
  let w = word;
  if (w.length > 4 && w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && w.endsWith("sses")) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith("s") && !w.endsWith("ss") && !w.endsWith("us") && !w.endsWith("is")) w = w.slice(0, -1);
  if (w.length > 6 && w.endsWith("ation")) w = w.slice(0, -5);
  else if (w.length > 5 && w.endsWith("ing")) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith("ed")) w = w.slice(0, -2);
  if (w.length > 3 && w.endsWith("e")) w = w.slice(0, -1);
  const n = w.length;
  if (n > 3 && w[n - 1] === w[n - 2] && !"aeiouls".includes(w[n - 1]!)) w = w.slice(0, -1);
  return w;
}

function expand(token: string, out: string[]): void {
  if (WORD.test(token)) {
    if (!STOP_WORDS.has(token)) out.push(stem(token));
    return;
  }
  if (HAS_DIGIT_OR_MARK.test(token)) {
    out.push(token);
    return;
  }
  // Hyphenated words ("read-only", "api-server") count as their parts and as the whole.
  out.push(token);
  for (const part of token.split("-")) if (part !== "" && !STOP_WORDS.has(part)) out.push(stem(part));
}

/** Content tokens of `text` for similarity (may repeat; callers take a set). */
export function contentTokens(text: string): string[] {
  const out: string[] = [];
  for (const t of rawTokens(text)) expand(t, out);
  return out;
}

/** Distinct content tokens of `text`. */
export function tokenSet(text: string): Set<string> {
  return new Set(contentTokens(text));
}
