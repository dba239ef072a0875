import type { Evidence, StaleOperation } from "../consolidate/operations.js";
import type { Correction } from "./corrections.js";
import { sortEvidence, sourceEvidence, type TurnIndex } from "./evidence.js";
import type { MemoryView } from "./memory-view.js";
import type { TermStats } from "./similarity.js";
import { tokenSet } from "./tokenize.js";
import { extractValues } from "./values.js";

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Matches `value` as a whole token: `8080` in `localhost:8080/` but not in `18080` or `8080.5`. */
export function valuePattern(value: string, flags = "iu"): RegExp {
  return new RegExp(String.raw`(?<![\p{L}\p{N}_.\-/])${escapeRegExp(value)}(?![\p{L}\p{N}_\-]|\.[\p{L}\p{N}])`, flags);
}

/** A concrete value (port, version, path, id), not a word or a small count that many things share. */
function isDistinctive(value: string): boolean {
  const kind = extractValues(value)[0]?.kind;
  if (kind === undefined || kind === "name" || kind === "quoted") return false;
  return kind !== "number" || /\d{3,}/.test(value);
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
    if (targets.length === 0 && holders === 1 && sole && isDistinctive(c.oldValue)) targets = [sole];
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
