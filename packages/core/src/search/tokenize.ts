import { eng as englishStopWords } from "stopword";
import { stemmer } from "stemmer";

// Anything that is not a letter, a combining mark or a digit separates terms, so `js.package-manager`,
// `prefs/pm` and `snake_case` split into words the way a person would type them.
const SEPARATOR = /[^\p{L}\p{M}\p{N}]+/u;

// Base64 blobs and hashes pasted into a memory would each add a long, useless branch to the
// radix tree and to the cache file; nobody searches for them by typing them.
const MAX_TERM_LENGTH = 64;

/**
 * Splits text into the search index's terms: Unicode-normalized (NFKC), lower-cased, split on
 * everything that is not a letter, mark or digit; terms longer than 64 characters are dropped.
 * The same function tokenizes documents and queries.
 *
 * @example
 * tokenize("Use pnpm, not npm (js.package-manager)")
 * // => ["use", "pnpm", "not", "npm", "js", "package", "manager"]
 */
export function tokenize(text: string): string[] {
  const terms: string[] = [];
  for (const term of text.normalize("NFKC").toLowerCase().split(SEPARATOR)) {
    if (term.length > 0 && term.length <= MAX_TERM_LENGTH) terms.push(term);
  }
  return terms;
}

// Words that say nothing about which memory is meant ("what did we decide about the port?"):
// `stopword`'s English list, dropped from queries only, so that a query made of nothing else
// ("who", "how") still finds memories about them. Kept: words that are also commands or
// subcommands a memory is about (`make test`, `kubectl get`, `docker compose up`).
const COMMAND_WORDS = new Set(["make", "get", "up"]);
const STOP_WORDS: ReadonlySet<string> = new Set(englishStopWords.filter((word) => !COMMAND_WORDS.has(word)));

/**
 * The index term of a token: its Porter stem (`stemmer`), so that "listening", "listens" and
 * "listened" meet. Identifiers without a suffix to strip (`pnpm`, `k8s`) come out unchanged.
 *
 * @example
 * indexTerm("dancing") // => "danc"
 */
export function indexTerm(token: string): string {
  return stemmer(token);
}

/**
 * The terms a query searches for: `tokenize`'s tokens without stop words; all of them when the
 * query has nothing else.
 *
 * @example
 * queryTokens("What did Caroline research?") // => ["caroline", "research"]
 */
export function queryTokens(query: string): string[] {
  const tokens = tokenize(query);
  const kept = tokens.filter((token) => !STOP_WORDS.has(token));
  return kept.length > 0 ? kept : tokens;
}
