import { eng as englishStopWords } from "stopword";
import { stemmer } from "stemmer";

const STOP_WORDS: ReadonlySet<string> = new Set(englishStopWords);
const SEPARATOR = /[^\p{L}\p{M}\p{N}]+/u;

/** Lower-cased words, stop words dropped, Porter-stemmed: the textbook analyzer of a BM25 baseline. */
export function bm25Terms(text: string): string[] {
  const out: string[] = [];
  for (const word of text.normalize("NFKC").toLowerCase().split(SEPARATOR)) if (word !== "" && !STOP_WORDS.has(word)) out.push(stemmer(word));
  return out;
}

/**
 * Okapi BM25 (k1 = 1.2, b = 0.75) over one text per document, no fields, no fuzziness: the
 * baseline a search engine has to beat. Ties rank by id.
 */
export class Bm25 {
  private readonly docs: Array<{ id: string; tf: Map<string, number>; length: number }> = [];
  private readonly df = new Map<string, number>();
  private totalLength = 0;

  constructor(
    private readonly k1 = 1.2,
    private readonly b = 0.75,
  ) {}

  add(id: string, text: string): void {
    const terms = bm25Terms(text);
    const tf = new Map<string, number>();
    for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const t of tf.keys()) this.df.set(t, (this.df.get(t) ?? 0) + 1);
    this.docs.push({ id, tf, length: terms.length });
    this.totalLength += terms.length;
  }

  search(query: string, limit: number): string[] {
    const n = this.docs.length;
    const avg = this.totalLength / Math.max(1, n);
    const terms = [...new Set(bm25Terms(query))];
    const scored: Array<{ id: string; score: number }> = [];
    for (const doc of this.docs) {
      let score = 0;
      for (const t of terms) {
        const f = doc.tf.get(t);
        if (f === undefined) continue;
        const df = this.df.get(t) ?? 0;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        score += (idf * f * (this.k1 + 1)) / (f + this.k1 * (1 - this.b + (this.b * doc.length) / avg));
      }
      if (score > 0) scored.push({ id: doc.id, score });
    }
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return scored.slice(0, limit).map((s) => s.id);
  }
}
