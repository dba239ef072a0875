import { ReverieError } from "@reverie/core";
import type { ConsolidateContext, ConsolidateInput, ConsolidateOutput, Consolidator } from "../consolidate/consolidator.js";
import type { DreamOperation, LearnOperation, StaleOperation } from "../consolidate/operations.js";
import { commandCorrections, editCorrections, movedCorrections, userCorrections } from "./corrections.js";
import { findDuplicates, type DedupOptions } from "./dedup.js";
import { sortSessions, turnIndex } from "./evidence.js";
import { isProtected, parseInstructions } from "./instructions.js";
import { learnStatements } from "./learn-statements.js";
import { learnWorkflows, type WorkflowOptions } from "./learn-workflows.js";
import { memoryView } from "./memory-view.js";
import { mineLessons, type PatternOptions } from "./lessons.js";
import { mineCorrections } from "./patterns.js";
import { learnLayout } from "./learn-layout.js";
import { learnKnownFailures } from "./known-failures.js";
import { sessionSignals } from "./signals.js";
import { termStats } from "./similarity.js";
import { applyCorrections, retireSameSubject, retireSuperseded } from "./stale.js";
import { findVerifications } from "./verify.js";

/** Tuning of the offline consolidator; the defaults are what the quality bench is scored with. */
export interface OfflineConsolidatorOptions {
  dedup?: DedupOptions;
  patterns?: PatternOptions;
  workflows?: WorkflowOptions;
  /**
   * Most verifying sessions cited per memory (the latest ones).
   * @default 3
   */
  verifyMaxSessions?: number;
}

const STAGES = ["index", "dedup", "stale", "verify", "pattern", "learn"] as const;

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ReverieError("CANCELED", "The dream was canceled while consolidating.", { stage: "consolidate" }, { cause: signal.reason });
}

/**
 * The default consolidator: no model, no network, deterministic (the same input gives the
 * same operations, whatever the order of memories and sessions). It merges near-duplicates
 * whose values agree, resolves subject-key conflicts and stated value changes by recency,
 * mines error→recovery pairs and repeated user corrections that recur in 3+ sessions, and
 * stamps memories whose command, path, port or version a later session exercised.
 *
 * @example
 * const { operations, ignoredInstructions } = await offlineConsolidator().consolidate({
 *   memories, sessions, instructions: "leave decisions/ alone", now: new Date().toISOString(),
 * });
 */
export function offlineConsolidator(options: OfflineConsolidatorOptions = {}): Consolidator {
  return {
    name: "offline",
    async consolidate(input: ConsolidateInput, ctx: ConsolidateContext = {}): Promise<ConsolidateOutput> {
      const { signal, onProgress } = ctx;
      const progress = (stage: (typeof STAGES)[number]) => onProgress?.({ stage, done: STAGES.indexOf(stage), total: STAGES.length });
      checkAborted(signal);
      progress("index");
      const { policy, ignored } = parseInstructions(input.instructions);
      const memories = [...input.memories].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const views = memories.map((note) => memoryView(note, isProtected(policy, note.path, note.frontmatter.type)));
      const stats = termStats(views.map((v) => v.tokens));
      const sessions = sortSessions(input.sessions);
      const turns = turnIndex(sessions);
      const signals = sessionSignals(sessions);

      checkAborted(signal);
      progress("dedup");
      const dedups = policy.kinds.has("dedup") ? findDuplicates(views, stats, turns, options.dedup) : [];
      const removed = new Set(dedups.flatMap((op) => op.remove));
      let live = views.filter((v) => !removed.has(v.path));

      checkAborted(signal);
      progress("stale");
      const stale: StaleOperation[] = [];
      if (policy.kinds.has("stale")) {
        if (policy.allowRetire) {
          stale.push(...retireSuperseded(live, turns));
          const byKey = new Set(stale.map((op) => op.path));
          stale.push(...retireSameSubject(live.filter((v) => !byKey.has(v.path)), stats, turns));
        }
        const retired = new Set(stale.map((op) => op.path));
        live = live.filter((v) => !retired.has(v.path));
        const corrections = [...userCorrections(signals), ...movedCorrections(signals), ...commandCorrections(signals), ...editCorrections(signals)];
        stale.push(...applyCorrections(live, corrections, stats, turns));
        stale.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      }
      const touched = new Set(stale.map((op) => op.path));

      checkAborted(signal);
      progress("verify");
      const verifies = policy.kinds.has("verify")
        ? findVerifications(
            live.filter((v) => !touched.has(v.path)),
            signals,
            turns,
            options.verifyMaxSessions,
          )
        : [];

      checkAborted(signal);
      progress("pattern");
      const taken = new Set(memories.map((m) => m.path.toLowerCase()));
      const patterns = policy.kinds.has("pattern")
        ? [
            ...mineLessons(signals, views, taken, turns, options.patterns),
            ...mineCorrections(signals, views, stats, taken, turns, options.patterns),
          ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
        : [];

      checkAborted(signal);
      progress("learn");
      const learned: LearnOperation[] = policy.kinds.has("learn") ? [...learnStatements(signals, live, stats, taken, turns), ...learnWorkflows(signals, live, taken, turns, options.workflows), ...learnLayout(signals, live, taken, turns), ...learnKnownFailures(signals, live, taken, turns)].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) : [];

      const operations: DreamOperation[] = [...dedups, ...stale, ...verifies, ...patterns, ...learned];
      onProgress?.({ stage: "done", done: STAGES.length, total: STAGES.length });
      return { operations, ignoredInstructions: ignored };
    },
  };
}
