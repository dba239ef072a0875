import { normalizeMemoryFilePath, normalizeMemoryPath, type Note } from "@reverie/core";
import type { DreamOperation, Evidence } from "../consolidate/operations.js";
import { screenText } from "../offline/injection.js";
import { isProtected, type DreamPolicy } from "../offline/instructions.js";
import type { Session } from "../transcripts/types.js";
import type { ModelEvidence, ModelOperation } from "./schema.js";

/** An operation the model proposed that a gate refused, and why. */
export interface DroppedOperation {
  /** The request it came from (e.g. `sessions-2`). */
  request: string;
  kind: string;
  /** The memory path it was about, when it names one. */
  path?: string;
  reason: string;
}

/** The turns of a dream's input, with their times, so evidence cites only what exists. */
export interface TurnLookup {
  at(session: string, turn: number): string | undefined | null;
  rank(session: string): number;
}

/** Indexes sessions in dream order; `at` is null for a turn that does not exist. */
export function turnLookup(sessions: readonly Session[]): TurnLookup {
  const turns = new Map<string, Map<number, string | undefined>>();
  const ranks = new Map<string, number>();
  sessions.forEach((s, i) => {
    ranks.set(s.header.id, i);
    turns.set(s.header.id, new Map(s.events.map((e) => [e.turn, e.at])));
  });
  return {
    at: (session, turn) => {
      const t = turns.get(session);
      return t?.has(turn) ? t.get(turn) : null;
    },
    rank: (session) => ranks.get(session) ?? -1,
  };
}

/** What the gates check operations against. */
export interface GateContext {
  memories: ReadonlyMap<string, Note>;
  turns: TurnLookup;
  policy: DreamPolicy;
  /** Distinct sessions a pattern must cite. @default 3 */
  minPatternSessions?: number;
}

function toEvidence(list: readonly ModelEvidence[], turns: TurnLookup): { evidence: Evidence[]; invalid: string[] } {
  const evidence: Evidence[] = [];
  const invalid: string[] = [];
  const seen = new Set<string>();
  for (const e of list) {
    const at = turns.at(e.session, e.turn);
    if (at === null) {
      invalid.push(`${e.session}#${e.turn}`);
      continue;
    }
    const id = `${e.session}#${e.turn}`;
    if (seen.has(id)) continue;
    seen.add(id);
    evidence.push({ session: e.session, turn: e.turn, ...(at !== undefined && { at }), ...(e.note !== undefined && e.note !== "" && { note: e.note }) });
  }
  evidence.sort((a, b) => turns.rank(a.session) - turns.rank(b.session) || a.turn - b.turn);
  return { evidence, invalid };
}

function pathsOf(op: ModelOperation): string[] {
  switch (op.kind) {
    case "dedup":
      return [op.keep, ...op.remove];
    case "stale":
      return [op.path];
    case "verify":
      return [op.path];
    case "reorganize":
      return [op.from];
    case "pattern":
    case "learn":
      return [];
  }
}

function memoryText(note: Note): string {
  return `${typeof note.frontmatter.title === "string" ? note.frontmatter.title : ""}\n${note.body}`;
}

/** Injection rules that match `text` and none of `originals` (text already in a memory is not new input). */
function newInjection(text: string, originals: readonly string[]): string[] {
  const flagged = screenText(text);
  if (!flagged.flagged) return [];
  const before = new Set(originals.flatMap((o) => screenText(o).reasons));
  return flagged.reasons.filter((r) => !before.has(r));
}

/**
 * Turns one request's answer into dream operations, applying the same gates as offline
 * operations: named memories must exist and not be protected, operation kinds must be allowed,
 * every evidence entry must cite a real turn of the input (one made-up citation drops the whole
 * operation), patterns must recur in enough sessions, and instruction-like text new to the
 * memory makes a pattern `trust: low` and drops a merge or update that would carry it.
 */
export function gateOperations(request: string, answer: readonly ModelOperation[], ctx: GateContext): { operations: DreamOperation[]; dropped: DroppedOperation[]; sources: number[] } {
  const operations: DreamOperation[] = [];
  const sources: number[] = [];
  const dropped: DroppedOperation[] = [];
  const minSessions = ctx.minPatternSessions ?? 3;
  answer.forEach((op, i) => {
    const drop = (reason: string, path?: string) => dropped.push({ request, kind: op.kind, ...(path !== undefined && { path }), reason });
    if (!ctx.policy.kinds.has(op.kind)) return drop(`the dream's instructions exclude ${op.kind} operations`);
    const unknown = pathsOf(op).find((p) => !ctx.memories.has(p));
    if (unknown !== undefined) return drop(`names ${unknown}, which is not a memory`, unknown);
    const guarded = pathsOf(op).find((p) => isProtected(ctx.policy, p, ctx.memories.get(p)!.frontmatter.type));
    if (guarded !== undefined) return drop(`${guarded} is protected by the dream's instructions`, guarded);
    const { evidence, invalid } = toEvidence(op.evidence, ctx.turns);
    const main = pathsOf(op)[0] ?? (op.kind === "pattern" || op.kind === "learn" ? op.path : undefined);
    if (invalid.length > 0) return drop(`cites turns that do not exist in the dream's sessions: ${invalid.join(", ")}`, main);
    if (evidence.length === 0 && op.kind !== "dedup" && op.kind !== "reorganize") return drop("cites no evidence", main);
    const accept = (d: DreamOperation) => {
      operations.push(d);
      sources.push(i);
    };
    switch (op.kind) {
      case "dedup": {
        if (op.remove.includes(op.keep) || new Set(op.remove).size !== op.remove.length) return drop("keeps and removes the same memory", op.keep);
        const originals = [op.keep, ...op.remove].map((p) => memoryText(ctx.memories.get(p)!));
        const injected = newInjection(`${op.title ?? ""}\n${op.body ?? ""}`, originals);
        if (injected.length > 0) return drop(`the merged text ${injected.join(", ")} (injection screen)`, op.keep);
        return accept({ kind: "dedup", keep: op.keep, remove: [...op.remove].sort(), ...(op.title !== undefined && { title: op.title }), ...(op.body !== undefined && { body: op.body }), reason: op.reason, evidence });
      }
      case "stale": {
        if (op.action === "retire" && !ctx.policy.allowRetire) return drop("the dream's instructions forbid retiring memories", op.path);
        if (op.action === "retire" && op.superseded_by !== undefined && (!ctx.memories.has(op.superseded_by) || op.superseded_by === op.path)) return drop(`superseded_by ${op.superseded_by} is not another memory`, op.path);
        const injected = newInjection(`${op.title ?? ""}\n${op.body ?? ""}`, [memoryText(ctx.memories.get(op.path)!)]);
        if (injected.length > 0) return drop(`the updated text ${injected.join(", ")} (injection screen)`, op.path);
        return accept({
          kind: "stale",
          path: op.path,
          action: op.action,
          ...(op.action === "update" && op.body !== undefined && { body: op.body }),
          ...(op.action === "update" && op.title !== undefined && { frontmatter: { title: op.title } }),
          ...(op.action === "retire" && op.superseded_by !== undefined && { supersededBy: op.superseded_by }),
          reason: op.reason,
          evidence,
        });
      }
      case "pattern": {
        let path: string;
        try {
          path = normalizeMemoryPath(op.path);
        } catch {
          return drop(`${JSON.stringify(op.path)} is not a valid memory path`);
        }
        if (!path.toLowerCase().endsWith(".md")) path = `${path}.md`;
        const sessions = new Set(evidence.map((e) => e.session));
        if (sessions.size < minSessions) return drop(`recurs in ${sessions.size} session(s); a pattern needs ${minSessions}`, path);
        const screen = screenText(`${op.title}\n${op.body}`);
        return accept({
          kind: "pattern",
          path,
          title: op.title,
          type: op.type,
          body: op.body.endsWith("\n") ? op.body : `${op.body}\n`,
          trust: screen.flagged ? "low" : "normal",
          ...(op.tags && op.tags.length > 0 && { tags: op.tags }),
          reason: screen.flagged ? `${op.reason}; quarantined (trust: low) because the text ${screen.reasons.join(", ")}` : op.reason,
          evidence,
        });
      }
      case "learn": {
        let path: string;
        try {
          path = normalizeMemoryPath(op.path);
        } catch {
          return drop(`${JSON.stringify(op.path)} is not a valid memory path`);
        }
        if (!path.toLowerCase().endsWith(".md")) path = `${path}.md`;
        const sessions = new Set(evidence.map((e) => e.session));
        // What a person states may be learned once; behaviour needs to recur (the offline gates' rule).
        if (op.confidence === "observed" && sessions.size < minSessions) return drop(`observed in ${sessions.size} session(s); learning from behaviour needs ${minSessions}`, path);
        const screen = screenText(`${op.title}\n${op.body}`);
        return accept({
          kind: "learn",
          path,
          title: op.title,
          type: op.type,
          body: op.body.endsWith("\n") ? op.body : `${op.body}\n`,
          trust: screen.flagged ? "low" : "normal",
          support: sessions.size,
          confidence: op.confidence,
          ...(op.tags && op.tags.length > 0 && { tags: op.tags }),
          reason: screen.flagged ? `${op.reason}; quarantined (trust: low) because the text ${screen.reasons.join(", ")}` : op.reason,
          evidence,
        });
      }
      case "verify":
        return accept({ kind: "verify", path: op.path, note: op.note, reason: op.reason, evidence });
      case "reorganize": {
        let to: string;
        try {
          to = normalizeMemoryFilePath(op.to);
        } catch {
          return drop(`${JSON.stringify(op.to)} is not a valid memory path`, op.from);
        }
        if (ctx.memories.has(to)) return drop(`would move onto ${to}, which exists`, op.from);
        return accept({ kind: "reorganize", from: op.from, to, reason: op.reason, evidence });
      }
    }
  });
  return { operations, dropped, sources };
}
