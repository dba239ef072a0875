import type { Evidence, LearnOperation } from "../consolidate/operations.js";
import { sortEvidence, withAt, type TurnIndex } from "./evidence.js";
import { screenText } from "./injection.js";
import { freePath, oneLine, slugify } from "./memory-paths.js";
import type { MemoryView } from "./memory-view.js";
import { shellCommandOf, shellSteps } from "./shell-steps.js";
import { errorLine, normalizeSignature } from "./signature.js";
import type { SessionSignals, ToolCall } from "./signals.js";
import { tokenSet } from "./tokenize.js";

/**
 * Known failures: a project command that failed the same way again and again and never once
 * succeeded in the sessions read (`npm run build` → "TypeError: generate is not a function" four
 * times; `pip install` → "externally-managed-environment" in two sessions). No fix was found, so
 * there is no playbook to write — but the next session should not spend its first ten minutes
 * finding that out again. The memory says when it was last seen, since a fix made outside the
 * sessions would make it stale.
 */

/** Tuning of known-failure learning. */
export interface KnownFailureOptions {
  /**
   * Failed runs with one error signature a command needs. One or two can be the agent's own
   * mistakes; three runs of the same command failing the same way is the environment.
   * @default 3
   */
  minFailures?: number;
}

interface Failures {
  family: string;
  text: string;
  error: string;
  calls: ToolCall[];
}

/** Characters of the first failure's output after its error line, which often say why (and what to do). */
const DETAIL_CHARS = 400;

function detailOf(call: ToolCall, error: string): string[] {
  const lines = (call.result?.text ?? "").replace(/<\/?tool_use_error>/g, "").split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
  const at = lines.findIndex((l) => l.startsWith(error.replace(/…$/, "")));
  const out: string[] = [];
  let used = 0;
  for (const l of at < 0 ? [] : lines.slice(at + 1)) {
    if (used + l.length > DETAIL_CHARS) break;
    out.push(l);
    used += l.length;
  }
  return out;
}

function alreadyKnown(views: readonly MemoryView[], family: string, error: string): boolean {
  const wanted = tokenSet(`${family} ${error}`);
  return views.some((v) => wanted.size > 0 && [...wanted].filter((t) => v.tokens.has(t)).length / wanted.size >= 0.7);
}

/**
 * Learns each project command that failed with one error signature at least `minFailures` times
 * and never succeeded in any session read: a `fact` memory quoting the error, the lines after
 * it, and every failed run as evidence. Commands a memory already describes are left out.
 */
export function learnKnownFailures(signals: readonly SessionSignals[], views: readonly MemoryView[], taken: Set<string>, turns: TurnIndex, options: KnownFailureOptions = {}): LearnOperation[] {
  const minFailures = options.minFailures ?? 3;
  const succeeded = new Set<string>();
  const failures = new Map<string, Failures>();
  for (const s of signals) {
    for (const call of s.calls) {
      const line = shellCommandOf(call.use.name, call.use.input);
      if (line === undefined || call.result === undefined) continue;
      // The step the outcome is about: the last one (`cd app && npm run build` is about the build).
      const step = shellSteps(line).at(-1);
      if (step === undefined || step.text.includes("<redacted:")) continue;
      if (call.ok) {
        succeeded.add(step.family);
        continue;
      }
      const error = errorLine(call.result.text);
      if (error === "") continue;
      const key = `${step.family}\u0000${normalizeSignature(error, 8)}`;
      const entry = failures.get(key) ?? { family: step.family, text: step.text, error, calls: [] };
      entry.calls.push(call);
      failures.set(key, entry);
    }
  }
  const ops: LearnOperation[] = [];
  for (const key of [...failures.keys()].sort()) {
    const f = failures.get(key)!;
    if (f.calls.length < minFailures || succeeded.has(f.family) || alreadyKnown(views, f.family, f.error)) continue;
    const sessions = [...new Set(f.calls.map((c) => c.session))];
    const last = f.calls.reduce((a, b) => (turns.rank(b.session) > turns.rank(a.session) || (b.session === a.session && b.use.turn > a.use.turn) ? b : a));
    const detail = detailOf(f.calls[0]!, f.error);
    const when = last.use.at !== undefined ? ` (last seen ${last.use.at.slice(0, 10)})` : "";
    const body = [
      `\`${oneLine(f.family, 80)}\` fails here, and no session read got it to work${when}:`,
      "",
      "```",
      f.error,
      ...detail,
      "```",
      "",
      `Failed ${f.calls.length} times in ${sessions.length} session${sessions.length === 1 ? "" : "s"} (${sessions.join(", ")}), the same way each time. Check whether it was fixed since before running it again, and record the fix here.`,
      "",
    ].join("\n");
    const evidence: Evidence[] = f.calls.slice(-6).map((c) => withAt({ session: c.session, turn: c.result!.turn, note: "failed" }, c.result!.at));
    // Screened: the error output is tool text, which an attacker can write.
    const screen = screenText([f.error, ...detail, ...f.calls.map((c) => c.command)].join("\n"));
    ops.push({
      kind: "learn",
      path: freePath("facts", slugify(`${f.family} fails ${normalizeSignature(f.error, 6)}`, 8, "known-failure"), taken),
      title: oneLine(`Known failure: ${f.family} — ${f.error}`, 90),
      type: "fact",
      body,
      trust: screen.flagged ? "low" : "normal",
      support: sessions.length,
      confidence: "observed",
      tags: ["known-failure"],
      reason: `\`${oneLine(f.family, 40)}\` failed ${f.calls.length} times with "${oneLine(f.error, 60)}" and never succeeded${screen.flagged ? `; quarantined (trust: low) because the text ${screen.reasons.join(", ")}` : ""}`,
      evidence: sortEvidence(evidence, turns),
    });
  }
  return ops;
}
