import { createHash } from "node:crypto";
import type { Note } from "@reverie/core";
import type { ConsolidateInput } from "../consolidate/consolidator.js";
import { sortSessions } from "../offline/evidence.js";
import { isProtected, parseInstructions } from "../offline/instructions.js";
import { memoryView, type MemoryView } from "../offline/memory-view.js";
import { sessionSignals } from "../offline/signals.js";
import { termStats, weightedJaccard, type TermStats } from "../offline/similarity.js";
import { tokenSet } from "../offline/tokenize.js";
import { memoryGroups, recurringErrors, relevantMemories, type RecurringError } from "./candidates.js";
import { compressSession, splitCompressed, type CompressedSession, type CompressOptions } from "./compress.js";
import { instructionsBlock, memoriesTask, memoryOutline, patternsTask, PROMPT_VERSION, sessionsTask, SYSTEM_RULES } from "./prompt.js";
import { estimateTokens } from "./token-estimate.js";

/** How a dream is cut into requests. */
export interface PlanOptions {
  /**
   * Most estimated tokens of session text per request; more sessions means more requests,
   * never a cap on sessions.
   * @default 30000
   */
  maxBatchTokens?: number;
  /** Most memories sent in full with one batch of sessions (up to 6 per session are picked). @default 128 */
  maxMemoriesPerBatch?: number;
  /** Similarity from which two memories are asked about as duplicate candidates. @default 0.25 */
  groupThreshold?: number;
  /**
   * When the duplicate candidates and every session fit one batch, ask about both in one
   * request: the prefix is sent once, and a memory both in a group and relevant to a session
   * is shown once. `false` keeps a separate `memories` request.
   * @default true
   */
  mergeSmallDream?: boolean;
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
  /**
   * The outline of the memory folder (second system block, end of the cached prefix): small
   * and stable, since every request repeats it; memories themselves go only to the requests
   * they are relevant to.
   */
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
  // Every request repeats the prefix and the memories relevant to it, so few large batches
  // send less than many small ones; 30k tokens is far inside any Claude context.
  const maxBatchTokens = options.maxBatchTokens ?? 30_000;
  const maxMemories = options.maxMemoriesPerBatch ?? 128;
  const { policy } = parseInstructions(input.instructions);
  const memories = [...input.memories].sort((a, b) => (a.path < b.path ? -1 : 1));
  const byPath = new Map<string, Note>(memories.map((n) => [n.path, n]));
  const views = memories.map((n) => memoryView(n, isProtected(policy, n.path, n.frontmatter.type)));
  const stats = termStats(views.map((v) => v.tokens));
  const sessions = sortSessions(input.sessions);
  const rules = `${SYSTEM_RULES}${instructionsBlock(input.instructions)}`;
  const index = memoryOutline(memories);
  const requests: PlannedRequest[] = [];
  const add = (label: string, kind: PlannedRequestKind, task: string, s: string[], m: string[]) => requests.push({ label, kind, task, sessions: s, memories: m, taskTokens: estimateTokens(task) });

  const groups = memoryGroups(views, stats, options.groupThreshold ?? 0.25);
  const maxChars = maxBatchTokens * 4;
  const groupChunks: Array<{ groups: typeof groups; chars: number }> = [];
  for (const g of groups) {
    const chars = g.paths.reduce((s, p) => s + byPath.get(p)!.body.length + 100, 0);
    const last = groupChunks.at(-1);
    if (last && last.chars + chars <= maxChars) {
      last.groups.push(g);
      last.chars += chars;
    } else groupChunks.push({ groups: [g], chars });
  }

  const memoryValues = new Set(views.flatMap((v) => [...v.values]));
  const compressed = sessions.flatMap((s) => splitCompressed(compressSession(s, { memoryValues, ...options.compress }), maxBatchTokens * 4));
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
  const batchOf = new Map<string, Set<number>>();
  batches.forEach((batch, i) => {
    for (const c of batch) batchOf.set(c.id, (batchOf.get(c.id) ?? new Set()).add(i));
  });
  const recurring = sessions.length >= 3 ? recurringErrors(sessionSignals(sessions), 3) : [];
  const spansBatches = (e: RecurringError) => new Set(e.sessions.flatMap((id) => [...(batchOf.get(id) ?? [])])).size > 1;
  const sessionTokens = batches.reduce((n, b) => n + b.reduce((m, c) => m + estimateTokens(c.lines.join("\n")), 0), 0);
  const merged = options.mergeSmallDream !== false && batches.length === 1 && groupChunks.length === 1 && sessionTokens + groupChunks[0]!.chars / 4 <= maxBatchTokens ? groupChunks[0]!.groups : undefined;
  if (!merged) {
    groupChunks.forEach((chunk, i) => {
      const label = i === 0 && chunk.chars <= maxChars ? "memories" : `memories-${i + 1}`;
      add(label, "memories", memoriesTask(chunk.groups, byPath), [], chunk.groups.flatMap((g) => g.paths));
    });
  }
  batches.forEach((batch, i) => {
    const relevant = batchMemories(views, stats, batch, maxMemories);
    const ids = [...new Set(batch.map((c) => c.id))];
    // Errors recurring within this batch only: their text is in the sessions, a pointer suffices.
    const local = recurring.filter((e) => !spansBatches(e) && e.sessions.every((id) => ids.includes(id))).slice(0, 20);
    const label = `sessions-${i + 1}`;
    const shown = merged ? [...new Set([...merged.flatMap((g) => g.paths), ...relevant.map((n) => n.path)])].sort() : relevant.map((n) => n.path);
    add(label, "sessions", sessionsTask(`sessions batch ${i + 1} of ${batches.length}`, batch, relevant, local, merged && { groups: merged, byPath }), ids, shown);
  });

  // A batch already shows its own sessions' errors in full; the cross-session request is for
  // what recurs across batches, which no single batch can see.
  const errors = recurring.filter(spansBatches);
  if (errors.length > 0) {
    const top = errors.slice(0, 20);
    const text = top.map((e) => `${e.signature}\n${e.occurrences.map((o) => `${o.error}\n${o.recovery}`).join("\n")}`).join("\n");
    const relevant = relevantMemories(views, stats, text, Math.min(maxMemories, 12)).map((v) => v.note);
    add("patterns", "patterns", patternsTask(top, relevant), [...new Set(top.flatMap((e) => e.sessions))], relevant.map((n) => n.path));
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

/**
 * The memories relevant to a batch: picked per session (a session's own words single out its
 * memories, a whole batch's words match nearly everything), best first, at most `max`. A
 * memory a session writes comes first with its closest look-alikes: a newer memory restating a
 * value is how the older one goes stale, and the older one shares the subject's words, not the
 * new value, so ranking by the session's words alone loses it among look-alikes of other subjects.
 */
function batchMemories(views: readonly MemoryView[], stats: TermStats, batch: readonly CompressedSession[], max: number): Note[] {
  const texts = new Map<string, string[]>();
  for (const c of batch) texts.set(c.id, [...(texts.get(c.id) ?? []), c.lines.join("\n")]);
  const perSession = 6;
  const best = new Map<string, { view: MemoryView; rank: number }>();
  const pick = (view: MemoryView, rank: number) => {
    const seen = best.get(view.path);
    if (!seen || rank < seen.rank) best.set(view.path, { view, rank });
  };
  for (const parts of texts.values()) {
    const text = parts.join("\n");
    relevantMemories(views, stats, text, perSession).forEach((view, rank) => pick(view, rank));
    for (const written of writtenMemories(views, text)) {
      pick(written, -1);
      for (const v of lookAlikes(views, stats, written, 2)) pick(v, -1);
    }
  }
  return [...best.values()]
    .sort((a, b) => a.rank - b.rank || (a.view.path < b.view.path ? -1 : 1))
    .slice(0, max)
    .map((b) => b.view.note)
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Memories a session's text shows being written (`memory create|str_replace|insert|rename path`), not only viewed. */
function writtenMemories(views: readonly MemoryView[], text: string): MemoryView[] {
  const paths = new Set([...text.matchAll(/^#\d+ memory (?:create|str_replace|insert|rename) (\S+)(?: → (\S+))?/gm)].flatMap((m) => [m[1]!, ...(m[2] ? [m[2]] : [])].map((p) => p.replace(/:$/, ""))));
  return views.filter((v) => paths.has(v.path));
}

/**
 * The words naming a memory's subject: the rarest of its title's and file name's words (with
 * hyphen runs of the file name, `zephyr-billing-svc` of `zephyr-billing-svc-port.md`) found in
 * its text; none when those are vocabulary many memories use ("port", "now").
 */
function subjectWords(view: MemoryView, stats: TermStats): string[] {
  const title = typeof view.note.frontmatter.title === "string" ? view.note.frontmatter.title : "";
  const stem = view.path.replace(/^.*\//, "").replace(/\.md$/i, "").toLowerCase();
  const names = tokenSet(`${title}\n${stem}`);
  const parts = stem.split(/[-_]+/).filter((p) => p !== "");
  for (let i = 0; i < parts.length; i++) for (let j = i + 2; j <= parts.length; j++) names.add(parts.slice(i, j).join("-"));
  const naming = [...names].filter((t) => view.tokens.has(t));
  const rarest = Math.min(...naming.map((t) => stats.df(t)));
  return rarest > Math.max(3, Math.ceil(stats.size / 100)) ? [] : naming.filter((t) => stats.df(t) === rarest);
}

/**
 * The `max` memories about the same subject as `of` (the same key, or every word naming its
 * subject), most alike first: a memory's template words ("now listens on port … compose file")
 * make other subjects' memories look more alike than its own subject's older one.
 */
function lookAlikes(views: readonly MemoryView[], stats: TermStats, of: MemoryView, max: number): MemoryView[] {
  const subject = subjectWords(of, stats);
  return views
    .filter((v) => v !== of && ((of.key !== undefined && v.key === of.key) || (subject.length > 0 && subject.every((t) => v.tokens.has(t)))))
    .map((v) => ({ v, s: weightedJaccard(of.tokens, v.tokens, stats) }))
    .sort((a, b) => b.s - a.s || (a.v.path < b.v.path ? -1 : 1))
    .slice(0, max)
    .map((x) => x.v);
}

/** The checkpoint key of a request: a hash of everything its answer depends on. */
export function requestKey(model: string, plan: DreamPlan, request: PlannedRequest): string {
  return createHash("sha256").update(JSON.stringify([PROMPT_VERSION, model, plan.rules, plan.index, request.task])).digest("hex").slice(0, 32);
}
