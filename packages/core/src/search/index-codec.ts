import MiniSearch, { type AsPlainObject, type Options } from "minisearch";

/**
 * A minisearch index in a denser shape than `toJSON()`: the terms as an array, and every posting
 * list (per term, per field: document short id and term frequency) packed as varints into one
 * base64 string. At 10,000 memories the file is half the size of `toJSON()`'s, and a cold open
 * (parse, then rebuild the maps) takes well under half the time — which is what keeps it inside
 * its 300 ms budget.
 */
export interface EncodedIndex {
  /** `toJSON()` with an empty `index`: document ids, field lengths, stored fields, counters. */
  meta: AsPlainObject;
  terms: string[];
  /** Base64 varints; per term: field count, then per field: field id, pair count, then (zigzag doc-id delta, frequency) pairs. */
  postings: string;
}

type FieldTermData = Map<number, Map<number, number>>;

/**
 * The inverted index inside minisearch. `toJSON()`/`loadJS()` go through an object per term and
 * per field whose serialization dominated save and open times; reaching for the tree directly is
 * guarded, so a minisearch release that renames it makes the cache unusable (a rebuild), not wrong.
 */
function invertedIndex(mini: MiniSearch<unknown>): Map<string, FieldTermData> & { set(term: string, data: FieldTermData): unknown } {
  const tree = (mini as unknown as { _index?: unknown })._index;
  if (!(typeof tree === "object" && tree !== null && "set" in tree && Symbol.iterator in tree)) {
    throw new Error("minisearch internals changed: no _index tree");
  }
  return tree as Map<string, FieldTermData>;
}

/** Whether any memory has this index term (after `indexTerm`); true when the internals are not there to ask. */
export function hasTerm(mini: MiniSearch<unknown>, term: string): boolean {
  const tree = (mini as unknown as { _index?: { has?: unknown } })._index;
  return typeof tree?.has === "function" ? (tree.has as (key: string) => boolean).call(tree, term) : true;
}

/** `toJSON()` of everything but the inverted index, which `encodeIndex` writes in its own shape. */
function metaOf(mini: MiniSearch<unknown>): AsPlainObject {
  const holder = mini as unknown as { _index: unknown };
  const tree = invertedIndex(mini);
  holder._index = new Map();
  try {
    return mini.toJSON();
  } finally {
    holder._index = tree;
  }
}

/** Encodes a minisearch index (see `EncodedIndex`). */
export function encodeIndex(mini: MiniSearch<unknown>): EncodedIndex {
  const terms: string[] = [];
  const out = new VarintWriter();
  for (const [term, fields] of invertedIndex(mini)) {
    terms.push(term);
    out.write(fields.size);
    for (const [fieldId, freqs] of fields) {
      out.write(fieldId);
      out.write(freqs.size);
      let previous = 0;
      // Short ids are handed out in ascending order, so deltas are small and mostly one byte.
      for (const [docId, frequency] of freqs) {
        const delta = docId - previous;
        out.write(delta >= 0 ? delta * 2 : -delta * 2 - 1);
        out.write(frequency);
        previous = docId;
      }
    }
  }
  return { meta: metaOf(mini), terms, postings: out.toBase64() };
}

/**
 * Rebuilds a minisearch index from `encodeIndex` output.
 * @throws Error when the encoded data is malformed (callers treat the cache as corrupt).
 */
export function decodeIndex<T>(encoded: EncodedIndex, options: Options<T>): MiniSearch<T> {
  const { meta, terms, postings } = encoded;
  if (!Array.isArray(terms) || typeof postings !== "string") throw new Error("missing terms or postings");
  const mini = MiniSearch.loadJS<T>({ ...meta, index: [] }, options);
  const tree = invertedIndex(mini as MiniSearch<unknown>);
  const bytes = Buffer.from(postings, "base64");
  let at = 0;
  const read = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (at >= bytes.length) throw new Error("postings end early");
      const byte = bytes[at++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  for (const term of terms) {
    if (typeof term !== "string") throw new Error("a term is not a string");
    const fields: FieldTermData = new Map();
    for (let f = read(); f > 0; f--) {
      const fieldId = read();
      const freqs = new Map<number, number>();
      let docId = 0;
      for (let n = read(); n > 0; n--) {
        const zigzag = read();
        docId += zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
        freqs.set(docId, read());
      }
      fields.set(fieldId, freqs);
    }
    tree.set(term, fields);
  }
  if (at !== bytes.length) throw new Error("postings longer than the terms");
  return mini;
}

/** Unsigned LEB128 into a growing buffer; numbers are non-negative integers below 2^53. */
class VarintWriter {
  private buffer = Buffer.allocUnsafe(1 << 16);
  private length = 0;

  write(value: number): void {
    if (this.length + 8 > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
  }

  toBase64(): string {
    return this.buffer.toString("base64", 0, this.length);
  }
}
