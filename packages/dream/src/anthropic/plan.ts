import { createHash } from "node:crypto";
import type { Note } from "@reverie/core";
import type { ConsolidateInput } from "../consolidate/consolidator.js";
import { sortSessions } from "../offline/evidence.js";
import { isProtected, parseInstructions } from "../offline/instructions.js";
import { memoryView } from "../offline/memory-view.js";
import { sessionSignals } from "../offline/signals.js";
import { termStats } from "../offline/similarity.js";
import { memoryGroups, recurringErrors, relevantMemories } from "./candidates.js";
import { compressSession, splitCompressed, type CompressedSession, type CompressOptions } from "./compress.js";
import { instructionsBlock, memoriesTask, memoryIndex, patternsTask, PROMPT_VERSION, sessionsTask, SYSTEM_RULES } from "./prompt.js";
import { estimateTokens } from "./token-estimate.js";

/** How a dream is cut into requests. */
export interface PlanOptions {
  /**
   * Most estimated tokens of session text per request; more sessions means more requests,
   * never a cap on sessions.
   * @default 12000
   */
  maxBatchTokens?: number;
  /** Most memories sent in full with one batch of sessions. @default 24 */
  maxMemoriesPerBatch?: number;
  /** Similarity from which two memories are asked about as duplicate candidates. @default 0.25 */
  groupThreshold?: number;
  compress?: CompressOptions;
}

/** What one request asks about. */
export type PlannedRequestKind = "memories" | "sessions" | "patterns";

/** One request of a dream, before it is sent. */
export interface PlannedRequest {
  /** Stable, unique within the dream: `memories`, `sessions-1`, `patterns`. */
  label: string;
  kind: PlannedRequestKind;
  /** The request's own text (the user turn); the prefix is shared. */
  task: string;
  /** Sessions whose text the task shows. */
  sessions: string[];
  /** Memories the task shows in full. */
  memories: string[];
  /** Estimated tokens of `task`. */
  taskTokens: number;
}

/** The requests of a dream and the prefix they share. */
export interface DreamPlan {
  /** Rules and the user's instructions (first system block). */
  rules: string;
  /** The memory index (second system block, end of the cached prefix). */
  index: string;
  /** Estimated tokens of rules + index. */
  prefixTokens: number;
  requests: PlannedRequest[];
  /** Characters of every event of every session, before compression. */
  rawSessionChars: number;
  /** Characters of the compressed sessions. */
  compressedSessionChars: number;
}

/**
 * Plans a dream locally and for free: compresses transcripts, groups look-alike memories,
 * finds errors that recur across sessions, packs sessions into batches under
 * `maxBatchTokens`, and picks for each batch only the memories relevant to it.
 */
export function planDream(input: ConsolidateInput, options: PlanOptions = {}): DreamPlan {
  const maxBatchTokens = options.maxBatchTokens ?? 12_000;
  const maxMemories = options.maxMemoriesPerBatch ?? 24;
  const { policy } = parseInstructions(input.instructions);
  const memories = [...input.memories].sort((a, b) => (a.path < b.path ? -1 : 1));
  const byPath = new Map<string, Note>(memories.map((n) => [n.path, n]));
  const views = memories.map((n) => memoryView(n, isProtected(policy, n.path, n.frontmatter.type)));
  const stats = termStats(views.map((v) => v.tokens));
  const sessions = sortSessions(input.sessions);
  const rules = `${SYSTEM_RULES}${instructionsBlock(input.instructions)}`;
  const index = memoryIndex(memories);
  const requests: PlannedRequest[] = [];
  const add = (label: string, kind: PlannedRequestKind, task: string, s: string[], m: string[]) => requests.push({ label, kind, task, sessions: s, memories: m, taskTokens: estimateTokens(task) });

  const groups = memoryGroups(views, stats, options.groupThreshold ?? 0.25);
  if (groups.length > 0) {
    const maxChars = maxBatchTokens * 4;
    let chunk: typeof groups = [];
    let size = 0;
    const flush = () => {
      if (chunk.length === 0) return;
      const n = requests.length + 1;
      add(requests.length === 0 && size <= maxChars ? "memories" : `memories-${n}`, "memories", memoriesTask(chunk, byPath), [], chunk.flatMap((g) => g.paths));
      chunk = [];
      size = 0;
    };
    for (const g of groups) {
      const chars = g.paths.reduce((s, p) => s + byPath.get(p)!.body.length + 100, 0);
      if (size + chars > maxChars) flush();
      chunk.push(g);
      size += chars;
    }
    flush();
  }

  const compressed = sessions.flatMap((s) => splitCompressed(compressSession(s, options.compress), maxBatchTokens * 4));
  const batches: CompressedSession[][] = [];
  let current: CompressedSession[] = [];
  let tokens = 0;
  for (const c of compressed) {
    const t = estimateTokens(c.lines.join("\n"));
    if (current.length > 0 && tokens + t > maxBatchTokens) {
      batches.push(current);
      current = [];
      tokens = 0;
    }
    current.push(c);
    tokens += t;
  }
  if (current.length > 0) batches.push(current);
  batches.forEach((batch, i) => {
    const text = batch.map((c) => c.lines.join("\n")).join("\n");
    const relevant = relevantMemories(views, stats, text, maxMemories).map((v) => v.note);
    const label = `sessions-${i + 1}`;
    add(label, "sessions", sessionsTask(`sessions batch ${i + 1} of ${batches.length}`, batch, relevant), [...new Set(batch.map((c) => c.id))], relevant.map((n) => n.path));
  });

  if (sessions.length >= 3) {
    const errors = recurringErrors(sessionSignals(sessions), 3);
    if (errors.length > 0) add("patterns", "patterns", patternsTask(errors.slice(0, 20)), [...new Set(errors.flatMap((e) => e.sessions))], []);
  }

  return {
    rules,
    index,
    prefixTokens: estimateTokens(rules) + estimateTokens(index),
    requests,
    rawSessionChars: compressed.reduce((n, c) => n + c.rawChars, 0),
    compressedSessionChars: compressed.reduce((n, c) => n + c.lines.join("\n").length, 0),
  };
}

/** The checkpoint key of a request: a hash of everything its answer depends on. */
export function requestKey(model: string, plan: DreamPlan, request: PlannedRequest): string {
  return createHash("sha256").update(JSON.stringify([PROMPT_VERSION, model, plan.rules, plan.index, request.task])).digest("hex").slice(0, 32);
}
