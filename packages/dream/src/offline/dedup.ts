import type { DedupOperation } from "../consolidate/operations.js";
import { sortEvidence, sourceEvidence, type TurnIndex } from "./evidence.js";
import type { MemoryView } from "./memory-view.js";
import { rareOverlaps, totalWeight, weightedJaccard, type TermStats } from "./similarity.js";
import { isConcreteValue, isSubset, valuesCompatible } from "./values.js";

/** Tuning of near-duplicate detection. */
export interface DedupOptions {
  /**
   * Weighted Jaccard at or above which two memories with compatible values are merged.
   * Lower finds more paraphrases; higher keeps more look-alikes apart (values guard those anyway).
   * @default 0.5
   */
  threshold?: number;
  /**
   * Every pair inside one cluster must reach this, so A≈B≈C chains never join A and C when they differ.
   * @default 0.3
   */
  clusterFloor?: number;
  /**
   * Weighted Jaccard enough for two memories that state the same concrete value (a port, a
   * version, a path) few other memories state, and share a name few memories use: the value
   * and the subject say "same fact" where paraphrase keeps the wording apart.
   * @default 0.35
   */
  witnessThreshold?: number;
}

interface Cluster {
  members: number[];
}

function keysAgree(views: readonly MemoryView[], members: readonly number[]): boolean {
  let key: string | undefined;
  for (const m of members) {
    const k = views[m]!.key;
    if (k === undefined) continue;
    if (key !== undefined && k !== key) return false;
    key = k;
  }
  return true;
}

/** Provenance a memory has accumulated: its sources and verified stamps. */
function provenance(view: MemoryView): number {
  const fm = view.note.frontmatter;
  return (Array.isArray(fm.sources) ? fm.sources.length : 0) + (Array.isArray(fm.verified) ? fm.verified.length : 0);
}

/**
 * The member whose values contain every value of the cluster. Among those, the one with a
 * subject `key` (later stale updates find the fact by it), then the most provenance, then the
 * longest body, then the first path.
 */
function keeper(views: readonly MemoryView[], members: readonly number[]): number | undefined {
  const all = new Set<string>();
  for (const m of members) for (const v of views[m]!.values) all.add(v);
  let best: number | undefined;
  for (const m of members) {
    const v = views[m]!;
    if (!isSubset(all, v.values)) continue;
    if (best === undefined) {
      best = m;
      continue;
    }
    const b = views[best]!;
    const order =
      Number(v.key !== undefined) - Number(b.key !== undefined) ||
      provenance(v) - provenance(b) ||
      v.note.body.trim().length - b.note.body.trim().length ||
      (v.path < b.path ? 1 : -1);
    if (order > 0) best = m;
  }
  return best;
}

/**
 * Finds memories that state the same fact and proposes one `dedup` per cluster. A pair is a
 * candidate when it shares a rare token (or its whole token set, or a concrete value few
 * memories state); it merges when its rarity-weighted Jaccard reaches the threshold (the lower
 * `witnessThreshold` when it shares such a value and a rare name; any similarity for two
 * memories with the same `key`) and neither states a value the other contradicts: one value set must contain the
 * other, and the kept memory is the one holding all values, so no witness is lost.
 */
export function findDuplicates(
  views: readonly MemoryView[],
  stats: TermStats,
  turns: TurnIndex,
  options: DedupOptions = {},
): DedupOperation[] {
  const threshold = options.threshold ?? 0.5;
  const floor = options.clusterFloor ?? 0.3;
  const witnessThreshold = options.witnessThreshold ?? 0.35;
  const eligible = views.map((v, i) => (v.protected || v.trust === "low" || v.tokens.size === 0 ? -1 : i)).filter((i) => i >= 0);
  const docs = eligible.map((i) => views[i]!.tokens);
  const maxDf = Math.max(32, Math.ceil(docs.length / 20));
  // A token in more than maxDf documents weighs at most this much.
  const commonWeight = Math.log(1 + stats.size / (maxDf + 1)) + 1e-9;
  const total = views.map((v) => totalWeight(v.tokens, stats));
  const common = views.map((v) => {
    let w = 0;
    for (const t of v.tokens) if (stats.weight(t) <= commonWeight) w += stats.weight(t);
    return w;
  });
  // Upper bound of the Jaccard from the shared rare weight: prunes most pairs before an exact score.
  const pairs = rareOverlaps(docs, maxDf, stats)
    .map(({ i, j, sharedRare }) => ({ a: eligible[i]!, b: eligible[j]!, sharedRare }))
    .filter(({ a, b, sharedRare }) => {
      const bound = sharedRare + Math.min(common[a]!, common[b]!);
      return bound / (total[a]! + total[b]! - bound) >= threshold;
    })
    .map(({ a, b }) => [a, b] as const);
  // Memories sharing a concrete value stated by few memories (the same port, version, path).
  const n = views.length;
  const few = Math.max(4, Math.ceil(stats.size / 100));
  const holders = new Map<string, number[]>();
  for (const i of eligible) {
    for (const v of views[i]!.values) {
      const list = holders.get(v);
      if (list) list.push(i);
      else holders.set(v, [i]);
    }
  }
  const witnessPairs = new Set<number>();
  for (const [value, list] of holders) {
    if (list.length < 2 || list.length > few || !isConcreteValue(value)) continue;
    for (let x = 0; x < list.length; x++) for (let y = x + 1; y < list.length; y++) witnessPairs.add(list[x]! * n + list[y]!);
  }
  const sharesName = (a: MemoryView, b: MemoryView): boolean => {
    for (const t of a.tokens) if (!a.values.has(t) && b.tokens.has(t) && stats.df(t) <= few) return true;
    return false;
  };
  const byTokens = new Map<string, number[]>();
  for (const i of eligible) {
    const sig = [...views[i]!.tokens].sort().join(" ");
    const list = byTokens.get(sig);
    if (list) list.push(i);
    else byTokens.set(sig, [i]);
  }
  const allPairs: Array<readonly [number, number]> = [...pairs, ...[...witnessPairs].map((id) => [Math.floor(id / n), id % n] as const)];
  for (const list of byTokens.values()) {
    for (let x = 0; x < list.length; x++) for (let y = x + 1; y < list.length; y++) allPairs.push([list[x]!, list[y]!]);
  }
  // Also pair memories sharing a key: one subject, so similarity of wording matters less.
  const byKey = new Map<string, number[]>();
  for (const i of eligible) {
    const k = views[i]!.key;
    if (k === undefined) continue;
    const list = byKey.get(k);
    if (list) list.push(i);
    else byKey.set(k, [i]);
  }
  for (const list of byKey.values()) {
    for (let x = 0; x < list.length; x++) for (let y = x + 1; y < list.length; y++) allPairs.push([list[x]!, list[y]!]);
  }

  const scored: Array<{ a: number; b: number; score: number }> = [];
  const seen = new Set<number>();
  for (const [a, b] of allPairs) {
    const id = a * n + b;
    if (seen.has(id)) continue;
    seen.add(id);
    const va = views[a]!;
    const vb = views[b]!;
    if (va.key !== undefined && vb.key !== undefined && va.key !== vb.key) continue;
    if (!valuesCompatible(va.values, vb.values)) continue;
    const score = weightedJaccard(va.tokens, vb.tokens, stats);
    const sameKey = va.key !== undefined && va.key === vb.key;
    const sameWitness = score >= witnessThreshold && witnessPairs.has(id) && sharesName(va, vb);
    if (score >= threshold || sameKey || sameWitness) scored.push({ a, b, score });
  }
  scored.sort((p, q) => q.score - p.score || p.a - q.a || p.b - q.b);

  const clusterOf = new Map<number, Cluster>();
  const scoreCache = new Map<number, number>();
  const pairScore = (a: number, b: number): number => {
    const id = a < b ? a * n + b : b * n + a;
    let s = scoreCache.get(id);
    if (s === undefined) {
      s = weightedJaccard(views[a]!.tokens, views[b]!.tokens, stats);
      scoreCache.set(id, s);
    }
    return s;
  };
  for (const { a, b } of scored) {
    const ca = clusterOf.get(a) ?? { members: [a] };
    const cb = clusterOf.get(b) ?? { members: [b] };
    if (ca === cb) continue;
    const members = [...ca.members, ...cb.members];
    if (!keysAgree(views, members) || keeper(views, members) === undefined) continue;
    const sharedKey = views[members[0]!]!.key !== undefined && members.every((m) => views[m]!.key === views[members[0]!]!.key);
    let ok = true;
    for (const x of ca.members) {
      for (const y of cb.members) {
        if (!valuesCompatible(views[x]!.values, views[y]!.values) || (!sharedKey && pairScore(x, y) < floor)) {
          ok = false;
          break;
        }
      }
      if (!ok) break;
    }
    if (!ok) continue;
    const merged: Cluster = { members: members.sort((x, y) => x - y) };
    for (const m of merged.members) clusterOf.set(m, merged);
  }

  const ops: DedupOperation[] = [];
  const done = new Set<Cluster>();
  for (const cluster of clusterOf.values()) {
    if (done.has(cluster)) continue;
    done.add(cluster);
    const keep = keeper(views, cluster.members)!;
    const remove = cluster.members.filter((m) => m !== keep).map((m) => views[m]!.path).sort();
    const kept = views[keep]!;
    let best = 0;
    for (const m of cluster.members) if (m !== keep) best = Math.max(best, pairScore(keep, m));
    const evidence = sortEvidence(
      cluster.members.flatMap((m) => sourceEvidence(views[m]!.note.frontmatter.sources, turns, `stated in ${views[m]!.path}`)),
      turns,
    );
    ops.push({
      kind: "dedup",
      keep: kept.path,
      remove,
      reason: `${cluster.members.length} memories state the same fact${kept.key ? ` (key ${kept.key})` : ""}; keeping ${kept.path} (similarity ${best.toFixed(2)}, no conflicting values), merging ${remove.join(", ")}`,
      evidence,
    });
  }
  return ops.sort((a, b) => (a.keep < b.keep ? -1 : a.keep > b.keep ? 1 : 0));
}
