import type { Evidence, PatternOperation } from "../consolidate/operations.js";
import { commandShape } from "./corrections.js";
import { sortEvidence, withAt, type TurnIndex } from "./evidence.js";
import { screenText } from "./injection.js";
import { freePath, oneLine, slugify } from "./memory-paths.js";
import type { MemoryView } from "./memory-view.js";
import { errorLine, errorSignature, recoverySignature, normalizeSignature } from "./signature.js";
import type { SessionSignals, ToolCall } from "./signals.js";
import { weightedJaccard, type TermStats } from "./similarity.js";
import { tokenSet } from "./tokenize.js";

/** Tuning of pattern mining. */
export interface PatternOptions {
  /**
   * Distinct sessions a pattern must recur in. Two sessions can be coincidence; three is a habit.
   * @default 3
   */
  minSessions?: number;
  /**
   * How many later calls to look through for the recovery of an error.
   * @default 8
   */
  recoveryWindow?: number;
}

interface Occurrence {
  session: string;
  rank: number;
  error: ToolCall;
  recovery: ToolCall;
}

/** The recovery of a failed call: the next successful call, preferring one of the same tool. */
function recoveryOf(calls: readonly ToolCall[], index: number, window: number): ToolCall | undefined {
  const next = calls.slice(index + 1, index + 1 + window);
  const failed = calls[index]!;
  return next.find((c) => c.ok && c.use.name === failed.use.name && c.command !== "") ?? next.find((c) => c.ok && c.command !== "");
}

function alreadyKnown(views: readonly MemoryView[], error: string, recovery: string): boolean {
  const rec = recovery.toLowerCase().replace(/\s+/g, " ").trim();
  const errTokens = tokenSet(error);
  return views.some((v) => {
    if (!v.text.toLowerCase().replace(/\s+/g, " ").includes(rec)) return false;
    let shared = 0;
    for (const t of errTokens) if (v.tokens.has(t)) shared++;
    return errTokens.size === 0 || shared / errTokens.size >= 0.5;
  });
}

/**
 * Mines error→recovery pairs: a failed tool call and the next successful call after it,
 * grouped by their signatures. A pair that recurs in at least `minSessions` distinct sessions
 * becomes a playbook citing every occurrence; text that looks like an instruction makes it
 * `trust: low`.
 */
export function mineRecoveries(
  signals: readonly SessionSignals[],
  views: readonly MemoryView[],
  taken: Set<string>,
  turns: TurnIndex,
  options: PatternOptions = {},
): PatternOperation[] {
  const minSessions = options.minSessions ?? 3;
  const window = options.recoveryWindow ?? 8;
  const groups = new Map<string, Occurrence[]>();
  for (const s of signals) {
    s.calls.forEach((call, i) => {
      if (call.ok || !call.result || !call.result.is_error) return;
      const recovery = recoveryOf(s.calls, i, window);
      if (!recovery) return;
      // The same call retried with another value is usually a value that changed for one subject
      // (stale evidence), so placeholders would join unrelated subjects' moves (one service's port
      // here, another's there) into a fake habit; such a retry recurs only with its exact values.
      const retry = recovery.use.name === call.use.name && recovery.command !== call.command && commandShape(recovery.command) === commandShape(call.command);
      const recoverySig = retry ? `${recovery.use.name.toLowerCase()}: ${recovery.command.toLowerCase().replace(/\s+/g, " ").trim()}` : recoverySignature(recovery.use.name, recovery.command);
      const sig = `${errorSignature(call.use.name, call.result.text)} ⇒ ${recoverySig}`;
      const list = groups.get(sig);
      const occurrence = { session: s.id, rank: s.rank, error: call, recovery };
      if (!list) groups.set(sig, [occurrence]);
      else if (!list.some((o) => o.session === s.id)) list.push(occurrence);
    });
  }
  const ops: PatternOperation[] = [];
  for (const sig of [...groups.keys()].sort()) {
    const list = groups.get(sig)!;
    if (list.length < minSessions) continue;
    const latest = list.reduce((a, b) => (b.rank > a.rank ? b : a));
    const error = errorLine(latest.error.result!.text);
    const recovery = oneLine(latest.recovery.command, 300);
    const failedCommand = oneLine(latest.error.command, 300);
    if (alreadyKnown(views, error, recovery)) continue;
    const evidence: Evidence[] = list.flatMap((o) => [
      withAt({ session: o.session, turn: o.error.result!.turn, note: "error" }, o.error.result!.at),
      withAt({ session: o.session, turn: o.recovery.use.turn, note: "recovery" }, o.recovery.use.at),
    ]);
    const body = [
      `When \`${failedCommand}\` (${latest.error.use.name}) fails with:`,
      "",
      "```",
      error,
      "```",
      "",
      `recover with \`${recovery}\` (${latest.recovery.use.name}).`,
      "",
      `Seen in ${list.length} sessions: ${[...new Set(list.map((o) => o.session))].join(", ")}.`,
      "",
    ].join("\n");
    const screen = screenText(`${error}\n${recovery}\n${failedCommand}`);
    const title = oneLine(`Recover from: ${error}`, 90);
    ops.push({
      kind: "pattern",
      path: freePath("playbooks", slugify(normalizeSignature(error)), taken),
      title,
      type: "playbook",
      body,
      trust: screen.flagged ? "low" : "normal",
      tags: ["error-recovery"],
      reason: `\`${oneLine(failedCommand, 60)}\` failing with "${oneLine(error, 80)}" was fixed by \`${oneLine(recovery, 60)}\` in ${list.length} sessions${screen.flagged ? `; quarantined (trust: low) because the text ${screen.reasons.join(", ")}` : ""}`,
      evidence: sortEvidence(evidence, turns),
    });
  }
  return ops;
}

const CORRECTION = /^(?:no\b|nope\b|wrong\b|stop\b|don'?t\b|do\s+not\b|never\b|please\s+(?:don'?t|do\s+not|stop|never|always|remember)\b|i\s+(?:said|told\s+you|asked)\b|again\b|remember\s+to\b|you\s+forgot\b|not\s+like\s+that\b|that'?s\s+(?:wrong|not)\b|always\b)/i;

/**
 * Mines repeated user corrections: messages of a person that correct the agent ("no, use …",
 * "don't …", "I told you …") and say nearly the same thing in at least `minSessions`
 * distinct sessions become a lesson.
 */
export function mineCorrections(
  signals: readonly SessionSignals[],
  views: readonly MemoryView[],
  stats: TermStats,
  taken: Set<string>,
  turns: TurnIndex,
  options: PatternOptions = {},
): PatternOperation[] {
  const minSessions = options.minSessions ?? 3;
  const clusters: Array<{ tokens: Set<string>; items: Array<{ session: string; turn: number; at: string | undefined; text: string; rank: number }> }> = [];
  for (const s of signals) {
    for (const m of s.userMessages) {
      const text = m.event.text.trim();
      if (!CORRECTION.test(text) || text.length > 400) continue;
      const tokens = tokenSet(text);
      if (tokens.size < 2) continue;
      let home = clusters.find((c) => weightedJaccard(c.tokens, tokens, stats) >= 0.5);
      if (!home) {
        home = { tokens, items: [] };
        clusters.push(home);
      }
      home.items.push({ session: s.id, turn: m.event.turn, at: m.event.at, text, rank: s.rank });
    }
  }
  const ops: PatternOperation[] = [];
  for (const c of clusters) {
    const sessions = [...new Set(c.items.map((i) => i.session))];
    if (sessions.length < minSessions) continue;
    const latest = c.items[c.items.length - 1]!;
    if (views.some((v) => weightedJaccard(v.tokens, tokenSet(latest.text), stats) >= 0.5)) continue;
    const screen = screenText(latest.text);
    const firstPerSession = sessions.map((id) => c.items.find((i) => i.session === id)!);
    ops.push({
      kind: "pattern",
      path: freePath("lessons", slugify(latest.text, 7), taken),
      title: oneLine(`User correction: ${latest.text}`, 90),
      type: "lesson",
      body: [`The user has corrected this in ${sessions.length} sessions:`, "", `> ${oneLine(latest.text, 400)}`, "", `Sessions: ${sessions.join(", ")}.`, ""].join("\n"),
      trust: screen.flagged ? "low" : "normal",
      tags: ["user-correction"],
      reason: `the same user correction recurs in ${sessions.length} sessions`,
      evidence: sortEvidence(firstPerSession.map((i) => withAt({ session: i.session, turn: i.turn, note: "user correction" }, i.at)), turns),
    });
  }
  return ops.sort((a, b) => (a.path < b.path ? -1 : 1));
}
