/**
 * Rarity-weighted Jaccard similarity over token sets, with candidate pairs found through an
 * inverted index on rare tokens so 2,000 memories never cost 2,000² comparisons.
 */

/** Document frequencies of tokens over a collection, for IDF weights. */
export interface TermStats {
  readonly size: number;
  weight(token: string): number;
  /** How many documents hold `token` (0 when none). */
  df(token: string): number;
}

/** IDF weights `ln(1 + N / df)` computed over `docs`; unseen tokens weigh as if seen once. */
export function termStats(docs: readonly ReadonlySet<string>[]): TermStats {
  const df = new Map<string, number>();
  for (const doc of docs) for (const t of doc) df.set(t, (df.get(t) ?? 0) + 1);
  const size = Math.max(docs.length, 1);
  const cache = new Map<string, number>();
  return {
    size,
    weight(token) {
      let w = cache.get(token);
      if (w === undefined) {
        w = Math.log(1 + size / (df.get(token) ?? 1));
        cache.set(token, w);
      }
      return w;
    },
    df: (token) => df.get(token) ?? 0,
  };
}

/** Sum of weights of a token set. */
export function totalWeight(tokens: ReadonlySet<string>, stats: TermStats): number {
  let sum = 0;
  for (const t of tokens) sum += stats.weight(t);
  return sum;
}

/** Weighted Jaccard: weight of the shared tokens over weight of all tokens, in [0, 1]. */
export function weightedJaccard(a: ReadonlySet<string>, b: ReadonlySet<string>, stats: TermStats): number {
  let shared = 0;
  let all = 0;
  for (const t of a) {
    const w = stats.weight(t);
    all += w;
    if (b.has(t)) shared += w;
  }
  for (const t of b) if (!a.has(t)) all += stats.weight(t);
  return all === 0 ? 0 : shared / all;
}

/**
 * Weighted containment: weight of the shared tokens over the weight of the smaller set, in [0, 1].
 * A short statement and a longer one that restates it with more words ("never delete completed
 * tasks" and "when updating to-do lists never delete tasks, mark them done") score high here
 * and low under Jaccard.
 */
export function weightedContainment(a: ReadonlySet<string>, b: ReadonlySet<string>, stats: TermStats): number {
  let shared = 0;
  for (const t of a) if (b.has(t)) shared += stats.weight(t);
  const smaller = Math.min(totalWeight(a, stats), totalWeight(b, stats));
  return smaller === 0 ? 0 : shared / smaller;
}

/** A candidate pair `i < j` and the weight of the rare tokens it shares. */
export interface CandidatePair {
  i: number;
  j: number;
  sharedRare: number;
}

/**
 * Pairs of documents that share at least one token held by at most `maxDf` documents,
 * sorted, with the weight of those shared rare tokens. Common tokens alone cannot make two
 * documents similar under IDF weighting, so skipping their postings loses nothing that
 * would pass a similarity threshold, and keeps the work near-linear in the collection.
 */
export function rareOverlaps(docs: readonly ReadonlySet<string>[], maxDf: number, stats: TermStats): CandidatePair[] {
  const postings = new Map<string, number[]>();
  docs.forEach((doc, i) => {
    for (const t of doc) {
      const list = postings.get(t);
      if (list) list.push(i);
      else postings.set(t, [i]);
    }
  });
  const shared = new Map<number, number>();
  const n = docs.length;
  for (const [token, list] of postings) {
    if (list.length < 2 || list.length > maxDf) continue;
    const w = stats.weight(token);
    for (let x = 0; x < list.length; x++) {
      for (let y = x + 1; y < list.length; y++) {
        const code = list[x]! * n + list[y]!;
        shared.set(code, (shared.get(code) ?? 0) + w);
      }
    }
  }
  const pairs: CandidatePair[] = [];
  for (const [code, w] of shared) pairs.push({ i: Math.floor(code / n), j: code % n, sharedRare: w });
  return pairs.sort((p, q) => p.i - q.i || p.j - q.j);
}

/** Index pairs `[i, j]` (`i < j`) sharing a token held by at most `maxDf` documents, sorted (see {@link rareOverlaps}). */
export function candidatePairs(docs: readonly ReadonlySet<string>[], maxDf: number): Array<[number, number]> {
  return rareOverlaps(docs, maxDf, { size: docs.length, weight: () => 1, df: () => 0 }).map((p) => [p.i, p.j]);
}
