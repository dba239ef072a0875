import type { Evidence, LearnOperation } from "../consolidate/operations.js";
import { sortEvidence, withAt, type TurnIndex } from "./evidence.js";
import { screenText } from "./injection.js";
import type { MemoryView } from "./memory-view.js";
import { freePath, oneLine, slugify } from "./memory-paths.js";
import { shellCommandOf, shellSteps } from "./shell-steps.js";
import { projectOf, type SessionSignals, type ToolCall } from "./signals.js";

/** Tuning of workflow learning. */
export interface WorkflowOptions {
  /**
   * Distinct sessions of one project a command must succeed in. Behaviour is only observed, never
   * stated, so it needs more than one session: two can be one task spread over two sittings.
   * @default 3
   */
  minSessions?: number;
  /**
   * Most commands listed in one project's workflow memory (the most used first).
   * @default 8
   */
  maxCommands?: number;
}

interface CommandStats {
  family: string;
  /** Session id → whether the command's runs there ended in success, and how many times it ran. */
  runs: Map<string, { total: number; lastOk: boolean }>;
  /** Session id → the first successful call running it there. */
  ok: Map<string, ToolCall>;
  okRuns: number;
  failedRuns: number;
  texts: Map<string, number>;
  /** Where in its session each successful run was, 0 (first turn) to 1 (last). */
  positions: number[];
}

interface ChainStats {
  families: string[];
  sessions: Set<string>;
  texts: Map<string, number>;
}

/** Words of a task name that say what it is for; the rest stay unnamed rather than guessed. */
const PURPOSES: Array<[RegExp, string]> = [
  [/(?:^|[\s:_-])(?:test|tests|spec|pytest|jest|vitest)(?:$|[\s:_-])/, "tests"],
  [/(?:^|[\s:_-])(?:lint|eslint|clippy|vet|ruff|golangci-lint)(?:$|[\s:_-])/, "lint"],
  [/(?:^|[\s:_-])(?:fmt|format|prettier|gofmt|black)(?:$|[\s:_-])/, "format"],
  [/(?:^|[\s:_-])(?:typecheck|tsc|mypy|pyright)(?:$|[\s:_-])/, "type-check"],
  [/(?:^|[\s:_-])(?:build|compile)(?:$|[\s:_-])/, "build"],
  [/(?:^|[\s:_-])(?:install|sync|ci)(?:$|[\s:_-])/, "install dependencies"],
  [/(?:^|[\s:_-])(?:dev|serve|start)(?:$|[\s:_-])/, "start it locally"],
];

function purposeOf(family: string): string | undefined {
  return PURPOSES.find(([re]) => re.test(family.toLowerCase()))?.[1];
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** The most frequent key (ties: the shortest, then the first in order). */
function mostFrequent(counts: Map<string, number>): [string, number] {
  let best: [string, number] = ["", 0];
  for (const [key, n] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (n > best[1] || (n === best[1] && key.length < best[0].length)) best = [key, n];
  }
  return best;
}

/** How a command is usually written: the common spelling when it is half the runs, else the family with its arguments elided. */
function usualText(family: string, texts: Map<string, number>): string {
  const total = [...texts.values()].reduce((a, b) => a + b, 0);
  const [text, n] = mostFrequent(texts);
  return n * 2 >= total ? text : `${family} …`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** True when a memory already names the command (its family, or the way it is usually written). */
function alreadyNamed(views: readonly MemoryView[], texts: readonly string[]): boolean {
  const wanted = texts.map((t) => t.toLowerCase().replace(/ …$/, ""));
  return views.some((v) => {
    const text = v.text.toLowerCase().replace(/\s+/g, " ");
    return wanted.some((t) => text.includes(t));
  });
}

function collect(group: readonly SessionSignals[]): { commands: Map<string, CommandStats>; chains: Map<string, ChainStats> } {
  const commands = new Map<string, CommandStats>();
  const chains = new Map<string, ChainStats>();
  for (const s of group) {
    for (const call of s.calls) {
      const line = shellCommandOf(call.use.name, call.use.input);
      if (line === undefined || call.result === undefined) continue;
      // A step that needs a credential (redacted before the dream) cannot be replayed from memory.
      const steps = shellSteps(line).filter((st) => !st.text.includes("<redacted:"));
      for (const step of steps) {
        let stats = commands.get(step.family);
        if (!stats) {
          stats = { family: step.family, runs: new Map(), ok: new Map(), okRuns: 0, failedRuns: 0, texts: new Map(), positions: [] };
          commands.set(step.family, stats);
        }
        const seen = stats.runs.get(s.id) ?? { total: 0, lastOk: false };
        stats.runs.set(s.id, { total: seen.total + 1, lastOk: call.ok });
        if (!call.ok) {
          stats.failedRuns++;
          continue;
        }
        stats.okRuns++;
        if (!stats.ok.has(s.id)) stats.ok.set(s.id, call);
        bump(stats.texts, step.text);
        stats.positions.push(s.lastTurn > 0 ? call.use.turn / s.lastTurn : 0);
      }
      if (call.ok && steps.length > 1) {
        const families = steps.map((st) => st.family);
        const key = families.join(" && ");
        let chain = chains.get(key);
        if (!chain) {
          chain = { families, sessions: new Set(), texts: new Map() };
          chains.set(key, chain);
        }
        chain.sessions.add(s.id);
        bump(chain.texts, steps.map((st) => st.text).join(" && "));
      }
    }
  }
  return { commands, chains };
}

interface Line {
  text: string;
  families: string[];
  sessions: Set<string>;
  late: boolean;
  /** Where the user named the command ("when running `mise run test:ci` I get …"). */
  named?: UserMention;
  /** Admitted as a project check re-run until it passed, in fewer than `minSessions` sessions. */
  rerun?: boolean;
}

/**
 * A project's own check (its name says tests, lint, type-check or build) that one session ran
 * again and again until it passed: the agent came back to it as the way to know the work is
 * done, so one session is enough. A check run once may have been a guess.
 */
function isProjectCheck(c: CommandStats): boolean {
  const purpose = purposeOf(c.family);
  if (purpose !== "tests" && purpose !== "lint" && purpose !== "type-check" && purpose !== "build") return false;
  return [...c.runs.values()].some((r) => r.total >= 2 && r.lastOk);
}

/** Whether a command's arguments name one particular file (a path with a folder or an extension). */
function namesAFile(text: string): boolean {
  return text
    .split(/\s+/)
    .slice(1)
    .some((w) => !w.startsWith("-") && (/[\w.-]\/[\w.-]/.test(w) || /^[\w-]+\.[a-z][a-z0-9]{0,4}$/i.test(w)));
}

interface UserMention {
  session: string;
  turn: number;
  at: string | undefined;
}

/**
 * Commands the user writes in backticks, by family: a person naming the project's command is
 * stated evidence, so one session in which it then succeeds is enough.
 */
function userNamedCommands(group: readonly SessionSignals[]): Map<string, UserMention> {
  const named = new Map<string, UserMention>();
  for (const s of group) {
    for (const m of s.userMessages) {
      if (m.event.queued) continue;
      for (const [, code] of m.event.text.matchAll(/`([^`\n]{3,200})`/g)) {
        for (const step of shellSteps(code!)) if (!named.has(step.family)) named.set(step.family, { session: s.id, turn: m.event.turn, at: m.event.at });
      }
    }
  }
  return named;
}

/**
 * Learns the commands that work in a project: a shell step that succeeded in at least
 * `minSessions` sessions of the same project, and failed no more often than it succeeded,
 * becomes one line of `workflows/<project>-commands.md`. Steps that habitually run together
 * (`fmt && lint`, in at least half the runs of the first) are listed as one chain; a command
 * whose arguments vary is shown with them elided. Commands an existing memory already names
 * are left out, and a project with nothing new gets no operation.
 */
export function learnWorkflows(
  signals: readonly SessionSignals[],
  views: readonly MemoryView[],
  taken: Set<string>,
  turns: TurnIndex,
  options: WorkflowOptions = {},
): LearnOperation[] {
  const minSessions = options.minSessions ?? 3;
  const maxCommands = options.maxCommands ?? 8;
  const projects = new Map<string, SessionSignals[]>();
  for (const s of signals) {
    const name = projectOf(s);
    projects.set(name, [...(projects.get(name) ?? []), s]);
  }
  const ops: LearnOperation[] = [];
  for (const project of [...projects.keys()].sort()) {
    const group = projects.get(project)!;
    const { commands, chains } = collect(group);
    const named = userNamedCommands(group);
    const habits = [...commands.values()].filter((c) => (c.ok.size >= minSessions || named.has(c.family) || isProjectCheck(c)) && c.ok.size > 0 && c.okRuns >= c.failedRuns);
    const byFamily = new Map(habits.map((c) => [c.family, c]));
    const lines: Line[] = [];
    const listed = new Set<string>();
    const chainList = [...chains.values()]
      .filter((ch) => ch.sessions.size >= minSessions && ch.families.every((f) => byFamily.has(f)))
      .sort((a, b) => b.sessions.size - a.sessions.size || b.families.length - a.families.length);
    for (const chain of chainList) {
      if (chain.families.some((f) => listed.has(f))) continue;
      const first = byFamily.get(chain.families[0]!)!;
      if (chain.sessions.size * 2 < first.ok.size) continue;
      const [text] = mostFrequent(chain.texts);
      const members = chain.families.map((f) => byFamily.get(f)!);
      lines.push({ text, families: chain.families, sessions: chain.sessions, late: median(members.flatMap((m) => m.positions)) >= 0.6 });
      for (const f of chain.families) listed.add(f);
    }
    for (const c of habits) {
      if (listed.has(c.family)) continue;
      const text = usualText(c.family, c.texts);
      // A tool run on a different file every time (`antiword a.doc`, `unzip b.zip`) is a tool
      // the agent knows, not a step of this project's workflow — unless its name says what it is for.
      // The same holds for one named file run again and again (`pandoc notes/a.docx -t plain`):
      // that is reading a document, and its path is the task's, not the project's.
      if (purposeOf(c.family) === undefined && (text.endsWith(" …") || namesAFile(text))) continue;
      const line: Line = { text, families: [c.family], sessions: new Set(c.ok.keys()), late: median(c.positions) >= 0.6 };
      if (c.ok.size < minSessions) {
        const mention = named.get(c.family);
        if (mention) line.named = mention;
        else line.rerun = true;
      }
      lines.push(line);
      listed.add(c.family);
    }
    const fresh = lines
      .filter((l) => !alreadyNamed(views, [l.text, ...l.families]))
      .sort((a, b) => b.sessions.size - a.sessions.size || (a.text < b.text ? -1 : 1))
      .slice(0, maxCommands);
    if (fresh.length === 0) continue;

    const supporting = new Set(fresh.flatMap((l) => [...l.sessions]));
    const body = [
      `Commands that work in ${project} (${group.length} session${group.length === 1 ? "" : "s"} read): each succeeded in ${minSessions} or more sessions, or as noted.`,
      "",
      ...fresh.map((l) => {
        const purposes = [...new Set(l.families.map(purposeOf).filter((p): p is string => p !== undefined))];
        const notes = [purposes.join(", "), `succeeded in ${l.sessions.size} of ${group.length} sessions`, l.named ? `named by the user in ${l.named.session}#${l.named.turn}` : "", l.rerun ? "re-run until it passed" : "", l.late ? "usually near the end of a session" : ""].filter((x) => x !== "");
        return `- \`${l.text}\` — ${notes.join("; ")}`;
      }),
      "",
    ].join("\n");
    const evidence: Evidence[] = fresh.flatMap((l) =>
      l.families.slice(0, 1).flatMap((f) => {
        const calls = [...byFamily.get(f)!.ok.values()].sort((a, b) => turns.rank(b.session) - turns.rank(a.session)).slice(0, 3);
        return calls.map((call) => withAt({ session: call.session, turn: call.use.turn, note: `\`${oneLine(l.text, 60)}\` succeeded` }, call.use.at));
      }).concat(l.named ? [withAt({ session: l.named.session, turn: l.named.turn, note: "the user names the command" }, l.named.at)] : []),
    );
    const screen = screenText(fresh.map((l) => l.text).join("\n"));
    ops.push({
      kind: "learn",
      path: freePath("workflows", `${slugify(project, 4, "project")}-commands`, taken),
      title: `Commands that work in ${project}`,
      type: "workflow",
      body,
      trust: screen.flagged ? "low" : "normal",
      support: supporting.size,
      confidence: "observed",
      tags: ["workflow"],
      reason: `${fresh.length} command${fresh.length === 1 ? "" : "s"} seen working in ${project}: in ${minSessions}+ sessions${fresh.some((l) => l.named) ? ", named by the user" : ""}${fresh.some((l) => l.rerun) ? ", re-run until it passed" : ""} (${fresh.map((l) => `\`${oneLine(l.text, 40)}\``).join(", ")})`,
      evidence: sortEvidence(evidence, turns),
    });
  }
  return ops;
}
