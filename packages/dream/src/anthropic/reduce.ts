import { isReverieError, type Note } from "@reverie/core";
import { materialize } from "../consolidate/materialize.js";
import type { DreamOperation, Evidence } from "../consolidate/operations.js";
import type { DroppedOperation, TurnLookup } from "./gates.js";

/** An operation with the request it came from (and its index in that request's accepted list). */
export interface SourcedOperation {
  operation: DreamOperation;
  request: string;
}

function latest(evidence: readonly Evidence[], turns: TurnLookup): [number, number] {
  let best: [number, number] = [-1, -1];
  for (const e of evidence) {
    const k: [number, number] = [turns.rank(e.session), e.turn];
    if (k[0] > best[0] || (k[0] === best[0] && k[1] > best[1])) best = k;
  }
  return best;
}

function newer(a: readonly Evidence[], b: readonly Evidence[], turns: TurnLookup): boolean {
  const x = latest(a, turns);
  const y = latest(b, turns);
  return x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]);
}

const ORDER: Record<DreamOperation["kind"], number> = { dedup: 0, stale: 1, verify: 2, reorganize: 3, pattern: 4, learn: 5 };

/**
 * Merges the operations of every request into one applicable list: one dedup per memory
 * (first wins), one stale per memory (later evidence wins), verifies of one memory joined and
 * moved onto the memory a dedup kept, nothing aimed at a removed or retired memory, free paths
 * for patterns; then a dry run of `materialize` drops anything that still would not apply.
 */
export function reduceOperations(items: readonly SourcedOperation[], memories: readonly Note[], turns: TurnLookup, now: string): { kept: SourcedOperation[]; dropped: DroppedOperation[] } {
  const dropped: DroppedOperation[] = [];
  const drop = (s: SourcedOperation, path: string, reason: string) => dropped.push({ request: s.request, kind: s.operation.kind, path, reason });
  const claimed = new Map<string, string>();
  const dedups: SourcedOperation[] = [];
  const keptBy = new Map<string, string>();
  for (const s of items) {
    if (s.operation.kind !== "dedup") continue;
    const op = s.operation;
    const clash = [op.keep, ...op.remove].find((p) => claimed.has(p));
    if (clash !== undefined) {
      drop(s, op.keep, `${clash} is already merged by another dedup`);
      continue;
    }
    for (const p of [op.keep, ...op.remove]) claimed.set(p, op.keep);
    for (const p of op.remove) keptBy.set(p, op.keep);
    dedups.push(s);
  }
  const stale = new Map<string, SourcedOperation>();
  for (const s of items) {
    if (s.operation.kind !== "stale") continue;
    const op = s.operation;
    if (keptBy.has(op.path)) {
      drop(s, op.path, `${op.path} is removed by a dedup into ${keptBy.get(op.path)}`);
      continue;
    }
    const other = stale.get(op.path);
    if (other && other.operation.kind === "stale") {
      if (newer(op.evidence, other.operation.evidence, turns)) {
        drop(other, op.path, "a later session's evidence supersedes it");
        stale.set(op.path, s);
      } else {
        drop(s, op.path, "an operation with later evidence already updates this memory");
      }
      continue;
    }
    stale.set(op.path, s);
  }
  const retired = new Set([...stale.values()].filter((s) => s.operation.kind === "stale" && s.operation.action === "retire").map((s) => (s.operation as { path: string }).path));
  const verifies = new Map<string, SourcedOperation>();
  for (const s of items) {
    if (s.operation.kind !== "verify") continue;
    const path = keptBy.get(s.operation.path) ?? s.operation.path;
    if (retired.has(path)) {
      drop(s, path, `${path} is retired by a stale operation`);
      continue;
    }
    const other = verifies.get(path);
    if (other && other.operation.kind === "verify") {
      const seen = new Set(other.operation.evidence.map((e) => `${e.session}#${e.turn}`));
      other.operation.evidence.push(...s.operation.evidence.filter((e) => !seen.has(`${e.session}#${e.turn}`)));
      continue;
    }
    verifies.set(path, { ...s, operation: { ...s.operation, path, evidence: [...s.operation.evidence] } });
  }
  const taken = new Set(memories.map((m) => m.path.toLowerCase()));
  const rest: SourcedOperation[] = [];
  for (const s of items) {
    const op = s.operation;
    if (op.kind === "reorganize") {
      if (keptBy.has(op.from) || retired.has(op.from) || stale.has(op.from) || taken.has(op.to.toLowerCase())) {
        drop(s, op.from, "another operation changes this memory or the target path is taken");
        continue;
      }
      taken.add(op.to.toLowerCase());
      rest.push(s);
    } else if (op.kind === "pattern" || op.kind === "learn") {
      let path = op.path;
      for (let i = 2; taken.has(path.toLowerCase()); i++) path = op.path.replace(/(\.md)?$/i, `-${i}.md`);
      taken.add(path.toLowerCase());
      rest.push(path === op.path ? s : { ...s, operation: { ...op, path } });
    }
  }
  const pathOf = (op: DreamOperation) => (op.kind === "dedup" ? op.keep : op.kind === "reorganize" ? op.from : op.path);
  let kept = [...dedups, ...stale.values(), ...verifies.values(), ...rest].sort((a, b) => {
    const pa = pathOf(a.operation);
    const pb = pathOf(b.operation);
    return ORDER[a.operation.kind] - ORDER[b.operation.kind] || (pa < pb ? -1 : pa > pb ? 1 : 0);
  });
  for (;;) {
    try {
      materialize(kept.map((s) => s.operation), memories, { now, newId: () => "mem_dryrun" });
      return { kept, dropped };
    } catch (err) {
      if (!isReverieError(err, "INVALID_INPUT")) throw err;
      const { index, path } = err.data as { index?: unknown; path?: unknown };
      if (typeof index !== "number" || !kept[index]) throw err;
      drop(kept[index], String(path ?? ""), `would not apply: ${err.message}`);
      kept = kept.filter((_, i) => i !== index);
    }
  }
}
