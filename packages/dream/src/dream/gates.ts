import { findSecrets, parseNote, redactSecrets, redactSecretsInTexts, type Note } from "@reverie/core";
import type { MaterializedOperation } from "../consolidate/materialize.js";
import { formatEvidence } from "../consolidate/operations.js";
import { screenText } from "../offline/injection.js";
import type { Session } from "../transcripts/types.js";
import { carriedCommands, describeCarried, isQuarantined } from "./command-trust.js";
import { operationCommit } from "./commits.js";
import type { GateResult } from "./record.js";

export const GateNames = ["loss_cap", "no_op", "evidence", "injection", "secrets"] as const;
export type GateName = (typeof GateNames)[number];

/** Gates whose failure stops `--auto-adopt` and makes the CLI exit 2; a no-op dream is just nothing to adopt. */
export const BLOCKING_GATES: ReadonlySet<string> = new Set<GateName>(["loss_cap", "evidence", "injection", "secrets"]);

/** How a gate reads to a person and an agent alike: passed, failed (blocking), or a note (failed, but blocks nothing: `no_op`). */
export type GateState = "pass" | "fail" | "note";

/** One definition of a gate's state, for `dream show`, the review page and MCP's `dream_status`. */
export function gateState(gate: GateResult): GateState {
  return gate.passed ? "pass" : BLOCKING_GATES.has(gate.name) ? "fail" : "note";
}

export interface GateInput {
  base: readonly Note[];
  operations: readonly MaterializedOperation[];
  sessions: readonly Session[];
  /** Share of memories a dream may retire. @default 0.25 */
  lossCap: number;
}

const LIST_AT_MOST = 5;

function listed(items: readonly string[]): string {
  return items.length <= LIST_AT_MOST ? items.join("; ") : `${items.slice(0, LIST_AT_MOST).join("; ")}; and ${items.length - LIST_AT_MOST} more`;
}

/**
 * The checks every dream passes before anyone adopts it, whatever consolidator proposed it:
 * it may not retire too much, every citation must be a real session turn, and no
 * instruction-like text may land in a normal-trust memory, and no operation may write a secret.
 */
export async function evaluateGates(input: GateInput): Promise<GateResult[]> {
  return [lossCap(input), noOp(input), evidence(input), injection(input), await secrets(input)];
}

function lossCap({ base, operations, lossCap: cap }: GateInput): GateResult {
  const basePaths = new Set(base.map((n) => n.path));
  const retired = new Set<string>();
  for (const { changes } of operations) {
    for (const change of changes) if (change.content === null && basePaths.has(change.path)) retired.add(change.path);
  }
  const share = base.length === 0 ? 0 : retired.size / base.length;
  // A nonzero cap always allows one retirement: otherwise merging one duplicate in a memory of
  // three would fail a 25% cap. A cap of 0 still means none.
  const allowed = cap === 0 ? 0 : Math.max(1, Math.floor(cap * base.length));
  const percent = (x: number) => `${(x * 100).toFixed(1).replace(/\.0$/, "")}%`;
  return {
    name: "loss_cap",
    passed: retired.size <= allowed,
    detail: `retires ${retired.size} of ${base.length} memories (${percent(share)}; cap ${percent(cap)}, so at most ${allowed})`,
  };
}

function noOp({ operations }: GateInput): GateResult {
  return operations.length === 0
    ? { name: "no_op", passed: false, detail: "the dream found nothing to change" }
    : { name: "no_op", passed: true, detail: `${operations.length} operation(s)` };
}

function evidence({ operations, sessions }: GateInput): GateResult {
  const turns = new Map(sessions.map((s) => [s.header.id, new Set(s.events.map((e) => e.turn))]));
  const problems: string[] = [];
  operations.forEach(({ operation }, i) => {
    const needsEvidence = operation.kind !== "dedup" && operation.kind !== "reorganize";
    if (needsEvidence && operation.evidence.length === 0) problems.push(`operation ${i + 1} (${operation.kind}) cites no session turn`);
    const bad = operation.evidence.filter((e) => !turns.get(e.session)?.has(e.turn));
    if (bad.length > 0) problems.push(`operation ${i + 1} (${operation.kind}) cites ${formatEvidence(bad)}, not a turn of this dream's sessions`);
  });
  return { name: "evidence", passed: problems.length === 0, detail: problems.length === 0 ? "every citation is a real session turn" : listed(problems) };
}

/** Text compared for provenance: case, emphasis marks, typed line-break backslashes and spacing do not matter. */
function comparable(text: string): string {
  return text.toLowerCase().replace(/[*_`\\]/g, "").replace(/\s+/g, " ").trim();
}

/**
 * What people typed in the cited turns, per operation. Instruction-like text is the danger when it
 * arrives through a tool result, a page or a file; the same words typed by the user are the user's
 * own rule ("always include the study area"), and a memory may keep them at normal trust.
 */
function citedUserText(evidence: readonly { session: string; turn: number }[], sessions: readonly Session[]): string[] {
  const byId = new Map(sessions.map((s) => [s.header.id, s]));
  const out: string[] = [];
  for (const e of evidence) {
    const event = byId.get(e.session)?.events.find((ev) => ev.turn === e.turn);
    if (event?.type === "message" && event.role === "user" && !event.meta && !event.sidechain) out.push(comparable(event.text));
  }
  return out;
}

function injection({ base, operations, sessions }: GateInput): GateResult {
  const before = new Map(base.map((n) => [n.path, n.body]));
  const problems: string[] = [];
  const quarantined: string[] = [];
  operations.forEach(({ operation, changes }, i) => {
    for (const change of changes) {
      if (change.content === null) continue;
      const note = parseNote(change.path, change.content);
      if (note.frontmatter.trust === "low") continue;
      if (before.get(change.from ?? change.path) === note.body) continue; // text that was already trusted
      const screen = screenText(note.body);
      if (!screen.flagged) continue;
      const typed = citedUserText(operation.evidence, sessions);
      if (typed.length > 0 && screen.matches.every((m) => typed.some((t) => t.includes(comparable(m))))) continue;
      problems.push(`operation ${i + 1} (${operation.kind}) writes ${change.path} as a normal-trust memory, but its text ${screen.reasons.join(", ")}`);
    }
    // A dangerous command: quarantined (trust: low, left out of --auto-adopt) when the post-pass
    // could lower the memory it writes, else refused here.
    for (const carried of carriedCommands(operation, sessions)) {
      const line = `operation ${i + 1} (${operation.kind}) carries ${describeCarried(carried)}`;
      if (isQuarantined(operation)) quarantined.push(line);
      else problems.push(line);
    }
  });
  const held = quarantined.length === 0 ? "" : `; quarantined at trust: low and left out of --auto-adopt until a person reviews them: ${listed(quarantined)}`;
  return {
    name: "injection",
    passed: problems.length === 0,
    detail: problems.length === 0 ? `no instruction-like text promoted to a normal-trust memory${held}` : `${listed(problems)}${held}`,
  };
}

/**
 * The last line of defence behind the redaction of a dream's inputs (redact-inputs.ts): whoever
 * proposed an operation, its commit — file text, file names, message and trailers — may not hold
 * a credential the file did not already hold at the base commit (`reverie doctor` reports those).
 * The detail names the operation, the file and the kind, never the secret.
 */
async function secrets({ base, operations }: GateInput): Promise<GateResult> {
  const before = new Map(base.map((n) => [n.path, n.content]));
  const messages = operations.map((m) => {
    const commit = operationCommit("drm_", m);
    return [commit.subject, commit.body, ...Object.values(commit.trailers)].join("\n");
  });
  // One scan of everything finds the operations worth a closer look (a scan has a fixed cost; a dream may have thousands of changes).
  const texts = operations.flatMap((m, i) => [messages[i]!, ...m.changes.flatMap((c) => [c.path, c.content ?? ""])]);
  const scanned = await redactSecretsInTexts(texts);
  const flagged = new Set<number>();
  let at = 0;
  operations.forEach((m, i) => {
    const n = 1 + 2 * m.changes.length;
    for (let k = at; k < at + n; k++) if (scanned.texts[k] !== texts[k]) flagged.add(i);
    at += n;
  });
  const problems: string[] = [];
  for (const i of flagged) {
    const m = operations[i]!;
    const found: string[] = [];
    for (const s of await findSecrets(messages[i]!)) found.push(`${s.kind} in its commit message`);
    for (const change of m.changes) {
      const path = await redactSecrets(change.path);
      for (const kind of path.kinds) found.push(`${kind} in the file name ${path.text}`);
      if (change.content === null) continue;
      const old = before.get(change.from ?? change.path);
      const known = old === undefined ? new Set<string>() : new Set((await findSecrets(old)).map((s) => old.slice(s.start, s.end)));
      for (const s of await findSecrets(change.content)) {
        if (!known.has(change.content.slice(s.start, s.end))) found.push(`${s.kind} in ${path.text}`);
      }
    }
    if (found.length > 0) problems.push(`operation ${i + 1} (${m.operation.kind}) writes ${listed([...new Set(found)])}`);
  }
  return {
    name: "secrets",
    passed: problems.length === 0,
    detail: problems.length === 0 ? "no operation writes a credential" : `${listed(problems)}; discard the dream, or adopt with --skip for those operations`,
  };
}
