import type { Evidence, LearnOperation } from "../consolidate/operations.js";
import { sortEvidence, withAt, type TurnIndex } from "./evidence.js";
import { screenText } from "./injection.js";
import type { MemoryView } from "./memory-view.js";
import { freePath, oneLine, slugify } from "./memory-paths.js";
import { shellCommandOf } from "./shell-steps.js";
import { isEditTool, isReadTool, isSearchTool, projectOf, targetOf, type SessionSignals, type ToolCall } from "./signals.js";

/**
 * Where things are, learned from a wrong guess: an agent reads `cmd/cli/chunking/chunking.go`,
 * is told it does not exist, and then finds `cmd/cli/agent/chunking.go`. The next agent will
 * guess the same way, so the correction is worth a line: the missing path and the one that
 * worked. A guess is corrected by the next file call that succeeds on the same file name in
 * another folder, or on the same name with another extension (`.golangci.yml` → `.golangci.yaml`).
 */

/** Tool errors that say a path is not there. */
const MISSING = /does not exist|no such file|not found|ENOENT|cannot find the (?:file|path)|path does not exist/i;

/** The path a file tool acted on. */
function pathOf(call: ToolCall): string | undefined {
  if (!(isReadTool(call.use.name) || isEditTool(call.use.name) || isSearchTool(call.use.name)) || shellCommandOf(call.use.name, call.use.input) !== undefined) return undefined;
  const target = targetOf(call);
  // A glob or a search pattern is not a path; a path has a folder or an extension.
  return target !== undefined && /[\\/.]/.test(target) && !/[*?{\s]/.test(target) ? target : undefined;
}

const base = (p: string) => p.replace(/[\\/]+$/, "").split(/[\\/]/).pop() ?? p;
const dir = (p: string) => p.replace(/[\\/]+$/, "").replace(/[\\/][^\\/]*$/, "");
const stem = (name: string) => name.replace(/\.[^.]+$/, "");

/** Whether `found` answers the wrong guess `missing`. */
function answers(missing: string, found: string): boolean {
  if (found === missing) return false;
  const [bm, bf] = [base(missing), base(found)];
  // Another file of the same folder is a different file, not the answer to the guess.
  return bm === bf || (stem(bm) === stem(bf) && stem(bm) !== "" && dir(missing) === dir(found));
}

/** A path relative to the session's working directory when under it. */
function relative(path: string, cwd: string | undefined): string {
  const root = cwd?.replace(/[\\/]+$/, "");
  return root !== undefined && root !== "" && path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}

interface Correction {
  missing: string;
  found: string;
  session: string;
  rank: number;
  error: ToolCall;
  success: ToolCall;
}

/**
 * One `layout/<project>-paths.md` per project listing every wrong guess a session corrected
 * (the latest correction of a path wins), each citing the failed call and the one that worked.
 * Paths a memory already names are left out; a path that later succeeded itself is no mistake.
 */
export function learnLayout(signals: readonly SessionSignals[], views: readonly MemoryView[], taken: Set<string>, turns: TurnIndex, window = 6): LearnOperation[] {
  const byProject = new Map<string, Map<string, Correction>>();
  const worked = new Set<string>();
  for (const s of signals) {
    for (const c of s.calls) {
      const p = pathOf(c);
      if (p !== undefined && c.ok) worked.add(relative(p, s.cwd));
    }
    s.calls.forEach((call, i) => {
      const missing = pathOf(call);
      if (missing === undefined || call.ok || !call.result || !MISSING.test(call.result.text)) return;
      const success = s.calls.slice(i + 1, i + 1 + window).find((c) => {
        const p = pathOf(c);
        return c.ok && p !== undefined && answers(missing, p);
      });
      if (!success) return;
      const project = projectOf(s);
      const list = byProject.get(project) ?? new Map<string, Correction>();
      const key = relative(missing, s.cwd);
      list.set(key, { missing: key, found: relative(pathOf(success)!, s.cwd), session: s.id, rank: s.rank, error: call, success });
      byProject.set(project, list);
    });
  }
  const known = (path: string) => views.some((v) => v.text.includes(path));
  const ops: LearnOperation[] = [];
  for (const project of [...byProject.keys()].sort()) {
    const corrections = [...byProject.get(project)!.values()].filter((c) => !worked.has(c.missing) && !(known(c.missing) && known(c.found))).sort((a, b) => (a.found < b.found ? -1 : a.found > b.found ? 1 : 0));
    if (corrections.length === 0) continue;
    const lines = corrections.map((c) => `- \`${c.found}\` — not \`${c.missing}\`, which does not exist (${c.session}#${c.error.use.turn}).`);
    const screen = screenText(corrections.map((c) => `${c.missing}\n${c.found}`).join("\n"));
    const sessions = new Set(corrections.map((c) => c.session));
    const evidence: Evidence[] = corrections.flatMap((c) => [
      withAt({ session: c.session, turn: c.error.result!.turn, note: `${oneLine(c.missing, 80)} does not exist` }, c.error.result!.at),
      withAt({ session: c.session, turn: c.success.use.turn, note: `${oneLine(c.found, 80)} is the file` }, c.success.use.at),
    ]);
    ops.push({
      kind: "learn",
      path: freePath("layout", slugify(`${project} paths`, 6, "paths"), taken),
      title: oneLine(`Where files are in ${project}`, 90),
      type: "fact",
      body: [`Paths an agent guessed wrong in ${project}, and where the file is:`, "", ...lines, ""].join("\n"),
      trust: screen.flagged ? "low" : "normal",
      support: sessions.size,
      confidence: "observed",
      tags: ["layout"],
      reason: `${corrections.length} path${corrections.length === 1 ? "" : "s"} of ${project} guessed wrong and found elsewhere in ${sessions.size} session${sessions.size === 1 ? "" : "s"} (${corrections
        .slice(0, 2)
        .map((c) => `\`${oneLine(c.found, 50)}\``)
        .join(", ")}${corrections.length > 2 ? ", …" : ""})`,
      evidence: sortEvidence(evidence, turns),
    });
  }
  return ops;
}
