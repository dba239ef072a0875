import type { MemoryView } from "../offline/memory-view.js";
import { errorLine, errorSignature, recoverySignature } from "../offline/signature.js";
import type { SessionSignals } from "../offline/signals.js";
import { candidatePairs, weightedJaccard, type TermStats } from "../offline/similarity.js";
import { tokenSet } from "../offline/tokenize.js";
import { valueSet, valuesCompatible } from "../offline/values.js";

/** Memories that may state the same subject: what the model is asked to merge or reconcile. */
export interface MemoryGroup {
  paths: string[];
  /** Highest pairwise similarity in the group. */
  similarity: number;
  /** Values some member states and another does not (a conflict or a look-alike). */
  differingValues: string[];
  sharedKey?: string;
}

/**
 * Groups memories that look alike locally (rare shared tokens with rarity-weighted Jaccard ≥
 * `threshold`, or the same subject key), so the model is asked only about real duplicate and
 * conflict candidates, never about the whole folder. Look-alikes whose values conflict join a
 * group only from `conflictThreshold` (then they may be one subject with a changed value).
 * Groups are capped at `maxGroupSize`.
 */
export function memoryGroups(views: readonly MemoryView[], stats: TermStats, threshold = 0.25, maxGroupSize = 8, conflictThreshold = 0.55): MemoryGroup[] {
  const eligible = views.map((v, i) => (v.protected || v.tokens.size === 0 ? -1 : i)).filter((i) => i >= 0);
  const docs = eligible.map((i) => views[i]!.tokens);
  const pairs = candidatePairs(docs, Math.max(32, Math.ceil(docs.length / 20))).map(([a, b]) => [eligible[a]!, eligible[b]!] as const);
  const byKey = new Map<string, number[]>();
  for (const i of eligible) {
    const k = views[i]!.key;
    if (k !== undefined) byKey.set(k, [...(byKey.get(k) ?? []), i]);
  }
  const scored: Array<{ a: number; b: number; s: number }> = [];
  const sim = new Map<string, number>();
  const pairId = (a: number, b: number) => (a < b ? `${a},${b}` : `${b},${a}`);
  const similarity = (a: number, b: number): number => {
    const id = pairId(a, b);
    let s = sim.get(id);
    if (s === undefined) {
      const k = views[a]!.key;
      s = k !== undefined && k === views[b]!.key ? 1 : weightedJaccard(views[a]!.tokens, views[b]!.tokens, stats);
      sim.set(id, s);
    }
    return s;
  };
  const seen = new Set<string>();
  const consider = (a: number, b: number, forced: boolean) => {
    const id = pairId(a, b);
    if (seen.has(id)) return;
    seen.add(id);
    const s = weightedJaccard(views[a]!.tokens, views[b]!.tokens, stats);
    // Memories whose values conflict are a duplicate of nothing; they are asked about only as a
    // conflict of one subject (same key, or words alike enough to be the same subject).
    const candidate = valuesCompatible(views[a]!.values, views[b]!.values) ? s >= threshold : s >= conflictThreshold;
    if (candidate || forced) scored.push({ a, b, s });
  };
  for (const [a, b] of pairs) consider(a, b, false);
  for (const list of byKey.values()) for (let x = 0; x < list.length; x++) for (let y = x + 1; y < list.length; y++) consider(list[x]!, list[y]!, true);
  scored.sort((p, q) => q.s - p.s || p.a - q.a || p.b - q.b);
  const parent = new Map<number, number[]>();
  const best = new Map<number[], number>();
  for (const { a, b, s } of scored) {
    const ga = parent.get(a) ?? [a];
    const gb = parent.get(b) ?? [b];
    if (ga === gb || ga.length + gb.length > maxGroupSize) continue;
    // Average linkage: one look-alike pair must not chain two unrelated clusters into one
    // group, which would send the model memories that are no candidates of anything.
    if (ga.length + gb.length > 2) {
      let sum = 0;
      for (const x of ga) for (const y of gb) sum += similarity(x, y);
      if (sum / (ga.length * gb.length) < threshold) continue;
    }
    const merged = [...ga, ...gb].sort((x, y) => x - y);
    best.set(merged, Math.max(s, best.get(ga) ?? 0, best.get(gb) ?? 0));
    for (const m of merged) parent.set(m, merged);
  }
  const groups: MemoryGroup[] = [];
  for (const g of new Set(parent.values())) {
    const members = g.map((i) => views[i]!);
    const all = new Map<string, number>();
    for (const m of members) for (const v of m.values) all.set(v, (all.get(v) ?? 0) + 1);
    const differing = [...all].filter(([, n]) => n < members.length).map(([v]) => v).sort();
    const key = members[0]!.key;
    groups.push({
      paths: members.map((m) => m.path),
      similarity: Math.round((best.get(g) ?? 0) * 100) / 100,
      differingValues: differing.slice(0, 12),
      ...(key !== undefined && members.every((m) => m.key === key) && { sharedKey: key }),
    });
  }
  return groups.sort((a, b) => (a.paths[0]! < b.paths[0]! ? -1 : 1));
}

/** A value and the spellings it may take in a transcript (`v1.2.3` for `1.2.3`, `/abs/dir/a.toml` for `dir/a.toml`). */
function valueForms(values: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const v of values) {
    out.add(v);
    if (/^v\d/.test(v)) out.add(v.slice(1));
    if (v.includes("/") && !v.includes("://")) {
      const parts = v.split("/").filter((p) => p !== "");
      for (let i = 1; i < parts.length; i++) out.add(parts.slice(i).join("/"));
    }
  }
  return out;
}

/**
 * The memories relevant to some session text: those sharing a witness value with it (a value
 * the text exercises singles a memory out, so these rank first), or whose rarity-weighted
 * tokens it covers by at least `minCoverage`, best first, at most `max`.
 */
export function relevantMemories(views: readonly MemoryView[], stats: TermStats, text: string, max = 24, minCoverage = 0.3): MemoryView[] {
  const tokens = tokenSet(text);
  const values = valueForms(valueSet(text));
  const scored: Array<{ v: MemoryView; score: number }> = [];
  for (const v of views) {
    let shared = 0;
    let total = 0;
    for (const t of v.tokens) {
      const w = stats.weight(t);
      total += w;
      if (tokens.has(t)) shared += w;
    }
    const coverage = total === 0 ? 0 : shared / total;
    let valueHits = 0;
    for (const value of v.values) if (value.length >= 3 && values.has(value)) valueHits++;
    const score = coverage + valueHits * 2;
    if (coverage >= minCoverage || valueHits > 0) scored.push({ v, score });
  }
  return scored
    .sort((a, b) => b.score - a.score || (a.v.path < b.v.path ? -1 : 1))
    .slice(0, max)
    .map((s) => s.v);
}

/** An error and its recovery that recur across sessions: a pattern candidate. */
export interface RecurringError {
  signature: string;
  /** Distinct sessions it occurred in. */
  sessions: string[];
  occurrences: Array<{ session: string; errorTurn: number; recoveryTurn: number; error: string; recovery: string }>;
}

/**
 * Error→recovery pairs (a failed tool call and the next successful call) grouped by signature,
 * kept when they recur in at least `minSessions` sessions. Sessions see only their own batch,
 * so this is how a pattern spread over many batches still reaches the model.
 */
export function recurringErrors(signals: readonly SessionSignals[], minSessions = 2, window = 8): RecurringError[] {
  const groups = new Map<string, RecurringError>();
  for (const s of signals) {
    s.calls.forEach((call, i) => {
      if (call.ok || !call.result?.is_error) return;
      const next = s.calls.slice(i + 1, i + 1 + window);
      const recovery = next.find((c) => c.ok && c.use.name === call.use.name && c.command !== "") ?? next.find((c) => c.ok && c.command !== "");
      if (!recovery) return;
      const signature = `${errorSignature(call.use.name, call.result.text)} ⇒ ${recoverySignature(recovery.use.name, recovery.command)}`;
      const g = groups.get(signature) ?? { signature, sessions: [], occurrences: [] };
      if (!g.sessions.includes(s.id)) g.sessions.push(s.id);
      g.occurrences.push({
        session: s.id,
        errorTurn: call.result.turn,
        recoveryTurn: recovery.use.turn,
        error: `${call.use.name} ${call.command.slice(0, 120)} → ${errorLine(call.result.text)}`,
        recovery: `${recovery.use.name} ${recovery.command.slice(0, 160)}`,
      });
      groups.set(signature, g);
    });
  }
  return [...groups.values()].filter((g) => g.sessions.length >= minSessions).sort((a, b) => b.sessions.length - a.sessions.length || (a.signature < b.signature ? -1 : 1));
}
