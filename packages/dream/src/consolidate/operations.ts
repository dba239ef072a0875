import type { Trust } from "@reverie/core";

/**
 * One cited turn of one session: the reason a reviewer can trust an operation.
 * Rendered as `ses_…#turn` in commit trailers.
 */
export interface Evidence {
  session: string;
  turn: number;
  /** When the turn happened, if the transcript says; becomes the `at` of `sources`/`verified` entries. */
  at?: string;
  /** What this turn shows, in a few words (e.g. "`pnpm test` succeeded"). */
  note?: string;
}

/** The operation kinds of a dream (DESIGN §4), as written in the `Dream-Op` trailer. */
export const DreamOperationKinds = ["dedup", "stale", "pattern", "verify", "learn", "reorganize"] as const;
export type DreamOperationKind = (typeof DreamOperationKinds)[number];

interface OperationBase {
  /** One line a reviewer reads: what changes and why. */
  reason: string;
  /** Session turns that justify the operation; may be empty only for `dedup` and `reorganize`. */
  evidence: Evidence[];
}

/**
 * N memories saying the same thing become one. `keep` survives (its id stays), the ids,
 * `sources` and `verified` of `remove` are unioned into it, and `remove` are deleted.
 */
export interface DedupOperation extends OperationBase {
  kind: "dedup";
  keep: string;
  remove: string[];
  /** New title for the kept memory; absent keeps its title. */
  title?: string;
  /** New body for the kept memory; absent keeps its body. */
  body?: string;
}

/** Front-matter changes a `stale` operation may make; `null` deletes a key. */
export interface StaleFrontmatterPatch {
  title?: string;
  trust?: Trust;
  key?: string | null;
}

/**
 * A memory contradicted by newer evidence: updated to the latest value (`update`), or
 * removed in favour of `supersededBy` (`retire`).
 */
export interface StaleOperation extends OperationBase {
  kind: "stale";
  path: string;
  action: "update" | "retire";
  /** New body for `update`; absent keeps the body. */
  body?: string;
  frontmatter?: StaleFrontmatterPatch;
  /** The memory that now states the current value, for `retire`. */
  supersededBy?: string;
}

/** Something recurring across sessions, written down as a new memory at `path`. */
export interface PatternOperation extends OperationBase {
  kind: "pattern";
  /** Path of the new memory; never an existing one. */
  path: string;
  title: string;
  type: "playbook" | "lesson";
  body: string;
  /** `low` when any of its text came from untrusted input that looks like an instruction. */
  trust: Trust;
  tags?: string[];
}

/** A memory whose concrete claim a later session exercised successfully. */
export interface VerifyOperation extends OperationBase {
  kind: "verify";
  path: string;
  /** Stored as the `note` of the `verified` entry. */
  note: string;
}

/** Memory types a `learn` operation writes. */
export const LearnedTypes = ["fact", "preference", "workflow", "lesson", "playbook"] as const;
export type LearnedType = (typeof LearnedTypes)[number];

/**
 * A new memory distilled from sessions: a rule or fact the user stated, a workflow that recurs
 * and succeeds, a layout fact a session settled, a lesson from an error and the different action
 * that fixed it. `support` is how many distinct sessions back it; `confidence` says how it was
 * learned (`stated` by a person, `observed` in recurring behaviour, `settled` by a tool result).
 */
export interface LearnOperation extends OperationBase {
  kind: "learn";
  /** Path of the new memory; never an existing one. */
  path: string;
  title: string;
  type: LearnedType;
  body: string;
  trust: Trust;
  support: number;
  confidence: "stated" | "observed" | "settled";
  tags?: string[];
}

/** Rename/move for structure; content unchanged. */
export interface ReorganizeOperation extends OperationBase {
  kind: "reorganize";
  from: string;
  to: string;
}

/**
 * A semantic, reviewable change to the memory proposed by a consolidator. Paths refer to
 * memory paths at the dream's base commit; each operation becomes one commit on the dream branch.
 */
export type DreamOperation = DedupOperation | StaleOperation | PatternOperation | VerifyOperation | LearnOperation | ReorganizeOperation;

/** Operations that write a new memory (and so take a new id at materialization). */
export type CreatingOperation = PatternOperation | LearnOperation;

/** True for the kinds that create a memory at a new path. */
export function createsMemory(op: DreamOperation): op is CreatingOperation {
  return op.kind === "pattern" || op.kind === "learn";
}

/** Renders evidence the way commit trailers and `dream show` cite it: `ses_a#3, ses_b#7`. */
export function formatEvidence(evidence: readonly Evidence[]): string {
  return evidence.map((e) => `${e.session}#${e.turn}`).join(", ");
}
