import type { Evidence, PatternOperation } from "../consolidate/operations.js";
import { sortEvidence, withAt, type TurnIndex } from "./evidence.js";
import { screenText } from "./injection.js";
import { freePath, oneLine, slugify } from "./memory-paths.js";
import type { MemoryView } from "./memory-view.js";
import { commandSteps, shellCommandOf } from "./shell-steps.js";
import { errorLine, normalizeSignature } from "./signature.js";
import { isEditTool, isReadTool, targetOf, type SessionSignals, type ToolCall } from "./signals.js";
import { tokenSet } from "./tokenize.js";

/**
 * Lessons from errors: a call fails, something *different* is done, and the same call then
 * succeeds. The different thing is the lesson — a step run first (`rm -f .git/index.lock`,
 * `source venv/bin/activate`), a flag added or dropped (`git add -f`, no `--out-format`), or
 * the target read again before an edit is retried. What is not a lesson: the same call
 * succeeding again with nothing changed (a flake), a retry with other values (a stale fact,
 * which the stale pass reads), and a failure fixed by editing code (a test or lint failure is
 * the work itself, not something to remember).
 */

/** Tuning of lesson mining. */
export interface PatternOptions {
  /**
   * Distinct sessions a lesson must recur in. Two sessions can be coincidence; three is a habit.
   * @default 3
   */
  minSessions?: number;
  /**
   * How many later calls to look through for the successful retry of a failed call.
   * @default 8
   */
  recoveryWindow?: number;
}

/** Shell programs that only look around (their running changes nothing). */
const LOOK_PROGRAMS = new Set("ls ll la pwd cat less more head tail grep egrep rg ag find fd tree file stat du df echo printf which whereis type command wc sort uniq diff cmp jq yq basename dirname realpath readlink date env ps lsof id whoami uname sed awk".split(" "));
/** Git sub-commands that only look. */
const LOOK_GIT = new Set("status log diff show branch remote rev-parse config ls-files blame describe".split(" "));
/** Programs that take the working directory with them: a `cd` step is where, not what. */
const WHERE = new Set(["cd", "pushd", "popd"]);

const isShell = (call: ToolCall) => shellCommandOf(call.use.name, call.use.input) !== undefined;
/** Each call's steps, parsed once: a failed call is compared with every call of its window. */
const parsedSteps = new WeakMap<ToolCall, string[][]>();
function stepsOf(call: ToolCall): string[][] {
  let steps = parsedSteps.get(call);
  if (steps === undefined) {
    steps = commandSteps(shellCommandOf(call.use.name, call.use.input) ?? "").filter((w) => !WHERE.has(w[0]!));
    parsedSteps.set(call, steps);
  }
  return steps;
}
const stepText = (words: readonly string[]) => words.join(" ");

/** Whether a shell step only looks around. */
function looks(words: readonly string[]): boolean {
  const program = words[0]!.replace(/^.*\//, "");
  if (LOOK_PROGRAMS.has(program)) return !(program === "sed" && words.includes("-i"));
  return program === "git" && LOOK_GIT.has(words[1] ?? "");
}

/** Steps that prepare the shell for what follows rather than doing the work. */
const SETUP = new Set(["source", ".", "export", "set", "unset", "alias", "ulimit", "umask"]);

/**
 * The step of a command line the error is most likely about: its first step that does work
 * (neither a look-around nor shell setup), else its last step.
 */
function mainStep(steps: readonly string[][]): string[] | undefined {
  return steps.find((w) => !looks(w) && !SETUP.has(w[0]!)) ?? steps[steps.length - 1];
}

/** A program and its sub-command: what a step does, whatever it acts on (`python3` and `python` alike). */
function familyOf(words: readonly string[]): string {
  const program = words[0]!.replace(/^(python|pip)[0-9.]*$/, "$1");
  const sub = words.slice(1).find((w) => !w.startsWith("-"));
  return sub !== undefined && /^[a-z][\w:-]*$/.test(sub) ? `${program} ${sub}` : program;
}

/** A flag (`-f`, `--out-format`), not a number (`-20`) or a negative value. */
const FLAG = /^--?[A-Za-z][\w-]*$/;

/** Whether `later` is the same call as `failed`, tried again. */
function retries(failed: ToolCall, later: ToolCall): boolean {
  if (later.use.name !== failed.use.name) return false;
  if (!isShell(failed)) return targetOf(failed) !== undefined && targetOf(failed) === targetOf(later);
  const a = mainStep(stepsOf(failed));
  return a !== undefined && stepsOf(later).some((w) => familyOf(w) === familyOf(a));
}

/**
 * What was done differently, and how plainly the session says it was the fix: `named` by the
 * error output itself ("Read it first", "hint: Use -f"), `composed` into the retried command
 * line ahead of the step that failed, or `separate`: a call in between (maybe a probe) or a flag
 * changed on the retry (maybe a value tried for this once).
 */
interface Fix {
  text: string;
  signature: string;
  /** The call that did it: the one in between, else the retry itself. */
  call?: ToolCall;
  strength: "named" | "composed" | "separate";
}

/** Sessions a lesson needs, by how plainly its fix is shown: a named fix is enough once. */
function sessionsNeeded(strength: Fix["strength"], minSessions: number): number {
  return strength === "named" ? 1 : strength === "composed" ? Math.min(2, minSessions) : minSessions;
}

/**
 * A path as it holds in any checkout: relative to the working directory when it is under it,
 * else from its first hidden folder on (`/home/me/app/.git/index.lock` → `.git/index.lock`).
 */
function portable(text: string, cwd?: string): string {
  let out = cwd !== undefined && cwd.length > 1 ? text.split(`${cwd.replace(/\/$/, "")}/`).join("") : text;
  out = out.replace(/(^|[\s'"`(=])(?:\/[^\s/'"`]+)+\/(?=\.[\w-]+\/)/g, "$1");
  return out;
}

/** An error that something is missing ("No such file or directory", "not found"). */
const MISSING = /no such file or directory|not found|does not exist|cannot find|can't open/i;

/** Whether `step` names a path the error output says is missing. */
function makesMissing(output: string, step: readonly string[]): boolean {
  if (!MISSING.test(output)) return false;
  return step.slice(1).some((word) => word.length > 3 && word.includes("/") && new RegExp(`(^|[\\s'"\`:])${word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?=$|[\\s'"\`:])`, "m").test(output));
}

function fixOf(failed: ToolCall, between: readonly ToolCall[], retry: ToolCall): Fix | undefined {
  if (!isShell(failed)) {
    // An edit that failed, then the same file looked at again: the file had changed under the edit.
    const target = targetOf(failed)!;
    const reread = between.find((c) => c.ok && (isReadTool(c.use.name) ? targetOf(c) === target : isShell(c) && stepsOf(c).some((w) => looks(w) && w.includes(target))));
    // An error that itself says to read first ("Read it first before writing to it") names the fix.
    if (!reread) return undefined;
    const named = /\bread\b/i.test(failed.result?.text ?? "");
    const file = oneLine(portable(target), 120);
    return { text: named ? `read \`${file}\` first, as the error asks, then retry` : `read \`${file}\` again (it changed since it was last read), then retry`, signature: "read again", strength: named ? "named" : "separate", call: reread };
  }
  const before = stepsOf(failed);
  const after = stepsOf(retry);
  const had = new Set(before.map(stepText));
  // A step written into the retried command line ("source venv/bin/activate && python …") is the
  // agent saying what the fix is; a step run as a call of its own in between may be a probe.
  const main = familyOf(mainStep(before)!);
  const at = after.findIndex((w) => familyOf(w) === main);
  const composed = after.slice(0, at).filter((w) => !had.has(stepText(w)) && !looks(w));
  const separate = between.filter((c) => c.ok && isShell(c)).flatMap((c) => stepsOf(c).filter((w) => !looks(w)).map((w) => ({ w, c })));
  const first = composed[0] ?? separate[0]?.w;
  if (first !== undefined) {
    // "/tmp/app-bin: No such file or directory", then `go build -o /tmp/app-bin …` ahead of the
    // retry: the error names what was missing and the step makes it, which is the fix, named.
    const strength = composed.length > 0 ? (makesMissing(failed.result?.text ?? "", first) ? "named" : "composed") : "separate";
    return { text: `run \`${oneLine(portable(stepText(first)), 160)}\` first, then retry`, signature: `run ${normalizeSignature(stepText(first), 6)}`, strength, call: composed.length > 0 ? retry : separate[0]!.c };
  }
  const a = mainStep(before)!;
  const b = after.find((w) => familyOf(w) === main)!;
  const flags = (w: readonly string[]) => new Set(w.map((x) => x.replace(/=.*$/, "")).filter((x) => FLAG.test(x)));
  const [fa, fb] = [flags(a), flags(b)];
  const added = [...fb].filter((f) => !fa.has(f));
  const dropped = [...fa].filter((f) => !fb.has(f));
  if (added.length + dropped.length === 0) return undefined;
  const parts = [...added.map((f) => `add \`${f}\``), ...dropped.map((f) => `drop \`${f}\``)];
  // A flag the error output itself suggests ("hint: Use -f if you really want to add them") is named by it.
  const output = failed.result?.text ?? "";
  const suggested = [...added, ...dropped].every((f) => output.includes(f));
  return { text: `${parts.join(" and ")}: \`${oneLine(portable(stepText(b)), 160)}\``, signature: `${added.map((f) => `+${f}`).join(" ")} ${dropped.map((f) => `-${f}`).join(" ")}`.trim(), strength: suggested ? "named" : "separate" };
}

interface Occurrence {
  session: string;
  rank: number;
  error: ToolCall;
  retry: ToolCall;
  fix: Fix;
}

/** Whether a file was changed (code, config) between a failure and its retry. */
function editedBetween(between: readonly ToolCall[]): boolean {
  return between.some((c) => isEditTool(c.use.name) || (isShell(c) && stepsOf(c).some((w) => w[0] === "sed" && w.includes("-i"))));
}

/** The lesson of the failed call at `index`, if the session shows one. */
function lessonAt(calls: readonly ToolCall[], index: number, window: number): Occurrence | undefined {
  const failed = calls[index]!;
  for (let j = index + 1; j < Math.min(calls.length, index + 1 + window); j++) {
    const later = calls[j]!;
    if (!retries(failed, later)) continue;
    const between = calls.slice(index + 1, j);
    // A later failure of the same call is the one its recovery belongs to — unless it fails for
    // another reason after the change the first error named ("unknown flag: --out-format", then
    // lint findings without the flag): that error was fixed, and the rest is the work.
    if (!later.ok) {
      const fix = errorLine(later.result?.text ?? "") !== errorLine(failed.result?.text ?? "") ? fixOf(failed, between, later) : undefined;
      return fix?.strength === "named" && !editedBetween(between) ? { session: failed.session, rank: 0, error: failed, retry: later, fix } : undefined;
    }
    // Fixed by changing a file (code, config): the error was the work, not a trap to remember.
    if (editedBetween(between)) return undefined;
    const fix = fixOf(failed, between, later);
    return fix ? { session: failed.session, rank: 0, error: failed, retry: later, fix } : undefined;
  }
  return undefined;
}

function alreadyKnown(views: readonly MemoryView[], error: string, fix: string): boolean {
  const errTokens = tokenSet(error);
  const fixTokens = tokenSet(fix);
  const covers = (v: MemoryView, tokens: Set<string>) => tokens.size === 0 || [...tokens].filter((t) => v.tokens.has(t)).length / tokens.size >= 0.5;
  return views.some((v) => covers(v, errTokens) && covers(v, fixTokens));
}

/**
 * Mines lessons from errors: a failed call, then the same call succeeding after something was
 * done differently, grouped by the error's signature and what was done. A lesson that recurs in
 * at least `minSessions` distinct sessions becomes a playbook citing every occurrence; text
 * that looks like an instruction to the agent makes it `trust: low`.
 */
export function mineLessons(
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
      if (call.ok || !call.result) return;
      const error = errorLine(call.result.text);
      if (error === "") return;
      const occurrence = lessonAt(s.calls, i, window);
      if (!occurrence) return;
      // The error's first words: exporters wrap long lines, cutting quoted paths at different places.
      const sig = `${call.use.name.toLowerCase()}: ${normalizeSignature(error, 5)} ⇒ ${occurrence.fix.signature}`;
      const list = groups.get(sig) ?? [];
      if (!list.some((o) => o.session === s.id)) list.push({ ...occurrence, rank: s.rank });
      groups.set(sig, list);
    });
  }
  const ops: PatternOperation[] = [];
  for (const sig of [...groups.keys()].sort()) {
    const list = groups.get(sig)!;
    if (!list.some((o) => list.length >= sessionsNeeded(o.fix.strength, minSessions))) continue;
    // The clearest telling: the shortest fix, an error line an exporter did not cut, the latest.
    const clarity = (o: Occurrence) => [o.fix.text.length, balanced(errorLine(o.error.result!.text)) ? 0 : 1, -o.rank];
    const latest = list.reduce((a, b) => (compareTuples(clarity(b), clarity(a)) < 0 ? b : a));
    const error = portable(errorLine(latest.error.result!.text));
    const fix = latest.fix;
    const failed = oneLine(latest.error.command, 200);
    if (alreadyKnown(views, error, fix.text)) continue;
    const evidence: Evidence[] = list.flatMap((o) => [
      withAt({ session: o.session, turn: o.error.result!.turn, note: "error" }, o.error.result!.at),
      withAt({ session: o.session, turn: (o.fix.call ?? o.retry).use.turn, note: "recovery" }, (o.fix.call ?? o.retry).use.at),
    ]);
    const sessions = [...new Set(list.map((o) => o.session))];
    const opening = isShell(latest.error) ? `When \`${trigger(latest.error)}\` (${latest.error.use.name}) fails with:` : `When ${latest.error.use.name} on a file (here \`${oneLine(portable(failed), 120)}\`) fails with:`;
    const body = [
      opening,
      "",
      "```",
      error,
      "```",
      "",
      `${fix.text.charAt(0).toUpperCase()}${fix.text.slice(1)}.`,
      "",
      `Seen in ${sessions.length} session${sessions.length === 1 ? "" : "s"}: ${sessions.join(", ")}.`,
      "",
    ].join("\n");
    // Screened: everything the lesson comes from — the whole error output and the fix call as
    // run (`curl … | sh` keeps its pipe here), not only the lines the body quotes.
    const screen = screenText(list.flatMap((o) => [o.error.result!.text, o.error.command, (o.fix.call ?? o.retry).command]).join("\n"));
    ops.push({
      kind: "pattern",
      path: freePath("playbooks", slugify(normalizeSignature(error)), taken),
      title: oneLine(`Recover from: ${error}`, 90),
      type: "playbook",
      body,
      trust: screen.flagged ? "low" : "normal",
      tags: ["error-recovery"],
      reason: `\`${oneLine(failed, 60)}\` failing with "${oneLine(error, 80)}" was fixed: ${oneLine(fix.text, 80)} (${sessions.length} session${sessions.length === 1 ? "" : "s"})${screen.flagged ? `; quarantined (trust: low) because the text ${screen.reasons.join(", ")}` : ""}`,
      evidence: sortEvidence(evidence, turns),
    });
  }
  return ops;
}

/**
 * How a playbook names the call that fails: the step the error is about and the shell setup
 * before it, portable, with a long
 * list of arguments elided (`git add …`). The files one run happened to name are that day's
 * task, and they go stale (a renamed file); the error and the fix are what recur.
 */
function trigger(call: ToolCall): string {
  const steps = stepsOf(call);
  const main = mainStep(steps);
  if (main === undefined) return oneLine(call.command, 200);
  const args = main.slice(1).filter((w) => !FLAG.test(w));
  // The shell setup it ran under (`export STRATEGY=manual-commit`) is part of how it is called.
  const setup = steps.slice(0, steps.indexOf(main)).filter((w) => SETUP.has(w[0]!));
  const text = [...setup.map(stepText), args.length > 2 ? `${familyOf(main)} …` : stepText(main)].join(" && ");
  return oneLine(portable(text, undefined), 200);
}

/** Whether every quote a line opens it also closes (an exporter's wrap cuts quoted paths). */
function balanced(line: string): boolean {
  return (line.match(/'/g) ?? []).length % 2 === 0 && (line.match(/"/g) ?? []).length % 2 === 0;
}

function compareTuples(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
