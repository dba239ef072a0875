import type { Evidence, StaleOperation } from "../consolidate/operations.js";
import type { Correction } from "./corrections.js";
import { sortEvidence, sourceEvidence, type TurnIndex } from "./evidence.js";
import type { MemoryView } from "./memory-view.js";
import type { TermStats } from "./similarity.js";
import { tokenSet } from "./tokenize.js";
import { extractValues, isConcreteValue, type WitnessValue } from "./values.js";

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Matches `value` as a whole token: `8080` in `localhost:8080/` but not in `18080` or `8080.5`. */
export function valuePattern(value: string, flags = "iu"): RegExp {
  return new RegExp(String.raw`(?<![\p{L}\p{N}_.\-/])${escapeRegExp(value)}(?![\p{L}\p{N}_\-]|\.[\p{L}\p{N}])`, flags);
}

interface Draft {
  view: MemoryView;
  title: string;
  body: string;
  changes: string[];
  evidence: Evidence[];
}

/**
 * Retires memories whose subject `key` has a newer memory stating a different value. Only a
 * strictly newer timestamp decides; without one nothing is retired.
 */
export function retireSuperseded(views: readonly MemoryView[], turns: TurnIndex): StaleOperation[] {
  const byKey = new Map<string, MemoryView[]>();
  for (const v of views) {
    if (v.key === undefined || v.trust === "low") continue;
    const list = byKey.get(v.key);
    if (list) list.push(v);
    else byKey.set(v.key, [v]);
  }
  const ops: StaleOperation[] = [];
  for (const [key, group] of byKey) {
    if (group.length < 2) continue;
    const dated = group.filter((v) => !Number.isNaN(v.recency)).sort((a, b) => b.recency - a.recency || (a.path < b.path ? -1 : 1));
    const newest = dated[0];
    if (!newest || (dated[1] && dated[1].recency === newest.recency)) continue;
    for (const old of dated.slice(1)) {
      if (old.protected) continue;
      ops.push({
        kind: "stale",
        path: old.path,
        action: "retire",
        supersededBy: newest.path,
        reason: `key ${key} has a newer value in ${newest.path} (${new Date(newest.recency).toISOString()}); retiring the older ${old.path}`,
        evidence: sortEvidence(sourceEvidence(newest.note.frontmatter.sources, turns, `newer value in ${newest.path}`), turns),
      });
    }
  }
  return ops;
}

/** Words a memory uses to say that something changed, rather than to state it afresh. */
const CHANGE_WORDS = /\b(?:now|no\s+longer|any\s*more|changed|moved|migrated|switched|upgraded|downgraded|updated|bumped|renamed|replaced|instead)\b/i;

/** What a memory states in its own title and body (a derived title repeats, and may cut, its first line). */
interface Stated {
  values: WitnessValue[];
  /** Content tokens that are not values: what it is about and how it says it. */
  words: Set<string>;
  /**
   * The subject it names: the rarest words of its title and file name found in its text, else
   * its rarest words another memory also uses; ties kept; empty when those are vocabulary.
   */
  subject: string[];
}

function statedOf(view: MemoryView, stats: TermStats, nameDf: number): Stated {
  const title = typeof view.note.frontmatter.title === "string" ? view.note.frontmatter.title : "";
  const text = `${title}\n${view.note.body}`;
  const values = extractValues(text);
  const own = new Set(values.map((v) => v.value));
  const words = new Set([...tokenSet(text)].filter((t) => !own.has(t)));
  // "now" or "moved" shared by two memories says both changed, not that they are about one thing.
  const plain = tokenSet(text.replace(new RegExp(CHANGE_WORDS.source, "gi"), " "));
  // A title and a file name are chosen to name the subject, so their words are the name when
  // the text has them; otherwise a word no other memory uses cannot tie it to one.
  const stem = view.path.replace(/^.*\//, "").replace(/\.md$/i, "").toLowerCase();
  const names = tokenSet(`${title}\n${stem}`);
  // A file name joins the subject to what is said of it (`api-server-port`): its runs of parts are names too.
  const parts = stem.split(/[-_]+/).filter((p) => p !== "");
  for (let i = 0; i < parts.length; i++) for (let j = i + 2; j <= parts.length; j++) names.add(parts.slice(i, j).join("-"));
  const naming = [...names].filter((t) => plain.has(t) && words.has(t));
  const pool = naming.length > 0 ? naming : [...plain].filter((t) => words.has(t) && stats.df(t) >= 2);
  let rarest = Number.POSITIVE_INFINITY;
  for (const t of pool) rarest = Math.min(rarest, stats.df(t));
  const subject = rarest > nameDf ? [] : pool.filter((t) => stats.df(t) === rarest);
  return { values, words, subject };
}

/** Values of `a` missing from `b`, without those that only embed another of them (`http://localhost:8080` with `8080`). */
function onlyIn(a: readonly WitnessValue[], b: readonly WitnessValue[]): WitnessValue[] {
  const other = new Set(b.map((v) => v.value));
  const own = a.filter((v) => !other.has(v.value));
  return own.filter((v) => !own.some((w) => w !== v && v.value.includes(w.value)));
}

function sameWords(a: ReadonlySet<string>, b: ReadonlySet<string>, values: ReadonlySet<string>): boolean {
  for (const t of a) if (!values.has(t) && !b.has(t)) return false;
  for (const t of b) if (!values.has(t) && !a.has(t)) return false;
  return true;
}

/**
 * Retires memories that a newer memory, written in one of the dream's sessions, contradicts
 * about the same subject without a shared `key`. Same subject: each memory's name for its
 * subject (the rarest words of its title and file name) is in the other, and each states exactly one concrete value the
 * other does not, of the same kind (both ports, both versions). Sharing some rare word is not
 * enough: two updates may both explain themselves with "the compose file". Look-alikes (two subjects that share words, such as
 * a staging and a production port) are told apart from an update in two ways: the newer
 * memory must say it is a change ("now", "moved", "no longer"…) unless it words the fact
 * exactly as the older one does, and it must point at one older value only; two older
 * memories with different values for it are two subjects, and nothing is retired.
 */
export function retireSameSubject(views: readonly MemoryView[], stats: TermStats, turns: TurnIndex): StaleOperation[] {
  const retire = new Map<string, { old: MemoryView; newer: MemoryView; evidence: Evidence[]; change: string }>();
  const eligible = views.filter((v) => v.trust === "normal" && v.tokens.size > 0 && !Number.isNaN(v.recency));
  // A word more memories than this use is vocabulary ("port", "listens"), not a name.
  const nameDf = Math.max(3, Math.ceil(stats.size / 100));
  const cache = new Map<MemoryView, Stated>();
  const stated = (v: MemoryView): Stated => {
    let s = cache.get(v);
    if (!s) cache.set(v, (s = statedOf(v, stats, nameDf)));
    return s;
  };
  for (const newer of eligible) {
    const evidence = sourceEvidence(newer.note.frontmatter.sources, turns, `newer value in ${newer.path}`);
    if (evidence.length === 0) continue;
    const n = stated(newer);
    if (n.values.length === 0 || n.subject.length === 0) continue;
    const isChange = CHANGE_WORDS.test(`${newer.title}\n${newer.note.body}`);
    const candidates: Array<{ old: MemoryView; from: WitnessValue; to: WitnessValue }> = [];
    for (const old of eligible) {
      if (old === newer || old.protected || !(old.recency < newer.recency)) continue;
      if (old.key !== undefined && newer.key !== undefined) continue;
      if (!n.subject.every((t) => old.tokens.has(t))) continue;
      const o = stated(old);
      if (o.subject.length === 0 || !o.subject.every((t) => n.words.has(t))) continue;
      const from = onlyIn(o.values, n.values);
      const to = onlyIn(n.values, o.values);
      if (from.length !== 1 || to.length !== 1 || from[0]!.kind !== to[0]!.kind || !isConcreteValue(from[0]!.value) || !isConcreteValue(to[0]!.value)) continue;
      if (!isChange && !sameWords(o.words, n.words, new Set([...o.values, ...n.values].map((v) => v.value)))) continue;
      candidates.push({ old, from: from[0]!, to: to[0]! });
    }
    if (new Set(candidates.map((c) => c.from.value)).size !== 1) continue;
    for (const { old, from, to } of candidates) {
      const previous = retire.get(old.path);
      if (previous && previous.newer.recency >= newer.recency) continue;
      retire.set(old.path, { old, newer, evidence, change: `${from.value} → ${to.value}` });
    }
  }
  return [...retire.values()]
    .sort((a, b) => (a.old.path < b.old.path ? -1 : 1))
    .map(({ old, newer, evidence, change }) => ({
      kind: "stale" as const,
      path: old.path,
      action: "retire" as const,
      supersededBy: newer.path,
      reason: `${newer.path} (${new Date(newer.recency).toISOString()}) states a newer value for the same subject (${change}); retiring the older ${old.path}`,
      evidence: sortEvidence(evidence, turns),
    }));
}

/**
 * Applies value corrections from sessions to the memories that state the old value, in
 * dream order so a value changed twice ends at the latest. A correction reaches the memory
 * whose words best match its context (ties all for a person's word, none for a retried
 * command, which shows one thing moved), or, when no memory shares its words, the
 * only memory stating a concrete old value (a port, a version, a path); a memory already
 * stating the new value, or newer than the correction, is left alone.
 */
export function applyCorrections(
  views: readonly MemoryView[],
  corrections: readonly Correction[],
  stats: TermStats,
  turns: TurnIndex,
): StaleOperation[] {
  const drafts = new Map<string, Draft>();
  const ordered = [...corrections].sort((a, b) => a.rank - b.rank || a.evidence.turn - b.evidence.turn || (a.oldValue < b.oldValue ? -1 : a.oldValue > b.oldValue ? 1 : 0));
  for (const c of ordered) {
    const context = tokenSet(c.context);
    for (const t of tokenSet(`${c.oldValue} ${c.newValue}`)) context.delete(t);
    const oldRe = valuePattern(c.oldValue);
    const newRe = valuePattern(c.newValue);
    // A failing call is weak evidence: if another memory already states the new value, the
    // agent may simply have switched to that other thing.
    if (c.source === "command" && views.some((v) => v.values.has(c.newValue.toLowerCase()))) continue;
    let best = 0;
    let targets: Draft[] = [];
    // Every memory stating the old value counts, even one this correction may not touch: the
    // value names one subject only when nothing else states it.
    let holders = 0;
    let sole: Draft | undefined;
    for (const view of views) {
      const draft = drafts.get(view.path) ?? { view, title: view.title, body: view.note.body, changes: [], evidence: [] };
      const text = `${draft.title}\n${draft.body}`;
      if (!oldRe.test(text) || newRe.test(text)) continue;
      holders++;
      if (view.protected || view.trust === "low") continue;
      if (!Number.isNaN(view.recency) && !Number.isNaN(c.at) && view.recency > c.at) continue;
      sole = draft;
      let score = 0;
      for (const t of context) if (view.tokens.has(t)) score += stats.weight(t);
      if (score <= 0) continue;
      if (score > best + 1e-9) {
        best = score;
        targets = [draft];
      } else if (Math.abs(score - best) <= 1e-9) {
        targets.push(draft);
      }
    }
    // With no shared words, a concrete value only one memory states still names its subject.
    if (targets.length === 0 && holders === 1 && sole && isConcreteValue(c.oldValue)) targets = [sole];
    // A person saying a value changed changes it everywhere; a retried call only shows that one
    // thing moved, so it must point at one memory.
    if (c.source === "command" && targets.length > 1) targets = [];
    for (const draft of targets) {
      draft.body = draft.body.replace(valuePattern(c.oldValue, "giu"), () => c.newValue);
      draft.title = draft.title.replace(valuePattern(c.oldValue, "giu"), () => c.newValue);
      draft.changes.push(`${c.oldValue} → ${c.newValue}`);
      draft.evidence.push(c.evidence);
      drafts.set(draft.view.path, draft);
    }
  }
  const ops: StaleOperation[] = [];
  for (const d of [...drafts.values()].sort((a, b) => (a.view.path < b.view.path ? -1 : 1))) {
    if (d.changes.length === 0) continue;
    const op: StaleOperation = {
      kind: "stale",
      path: d.view.path,
      action: "update",
      reason: `value changed (${d.changes.join(", ")}) per ${d.evidence.map((e) => `${e.session}#${e.turn}`).join(", ")}`,
      evidence: sortEvidence(d.evidence, turns),
    };
    if (d.body !== d.view.note.body) op.body = d.body;
    if (typeof d.view.note.frontmatter.title === "string" && d.title !== d.view.title) op.frontmatter = { title: d.title };
    ops.push(op);
  }
  return ops;
}
