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
