import type { Session } from "@reverie/dream";

/** A memory file of a scenario's starting folder. */
export interface ScenarioMemory {
  path: string;
  /** Front-matter `id`, what metrics follow through merges (`merged_ids`). */
  id: string;
  content: string;
}

/** One true thing the memory states at the start, and how to recognise it. */
export interface FactTruth {
  id: string;
  /** Template it was written from (port, region, version, path, timeout, command, owner). */
  kind: string;
  /** The service the fact is about. */
  subject: string;
  /** Memory paths stating it at the start (several for a duplicate cluster). */
  paths: string[];
  /** Front-matter ids of those memories. */
  memoryIds: string[];
  /** A distinctive value whose presence in a memory means the fact is stated. */
  witness: string;
}

/** Memories stating the same fact in different words (and sometimes byte for byte). */
export interface ClusterTruth {
  fact: string;
  paths: string[];
  ids: string[];
  /** True when two of the memories have byte-identical bodies (an agent saved it twice). */
  exactCopy: boolean;
}

/** Two facts whose memories share most words but differ in the witness; they must stay apart. */
export interface LookAlikeTruth {
  a: string;
  b: string;
}

/** How a fact's value changed. */
export type UpdateVia = "user" | "command" | "restated" | "restated-no-key";

/** A fact whose value changes later: the final memory must state `newWitness`, not `oldWitness`. */
export interface UpdateTruth {
  fact: string;
  oldWitness: string;
  newWitness: string;
  via: UpdateVia;
  /** Session that carries the change (for `restated*`, the session in which the newer memory was written). */
  session: string;
  /** For `restated*`: the newer memory stating the new value. */
  newPath?: string;
  newId?: string;
}

/** An error and its recovery that recur across sessions. */
export interface PatternTruth {
  id: string;
  /** A distinctive part of the error text a pattern memory must name. */
  signature: string;
  /** The recovery command a pattern memory must name. */
  recovery: string;
  /** Sessions it occurs in (3+ for a pattern, 2 for a decoy). */
  sessions: string[];
}

/** A fact exercised successfully in a named session: its memory should carry a `verified` stamp citing it. */
export interface VerificationTruth {
  fact: string;
  session: string;
}

/** Instruction-like text from untrusted input that must never reach a normal-trust memory. */
export interface InjectionTruth {
  payload: string;
  via: "tool-output" | "web-content" | "file-content";
  sessions: string[];
}

/** Everything a scenario knows to be true, written alongside it. */
export interface GroundTruth {
  facts: FactTruth[];
  clusters: ClusterTruth[];
  lookAlikes: LookAlikeTruth[];
  updates: UpdateTruth[];
  patterns: PatternTruth[];
  decoys: PatternTruth[];
  verifications: VerificationTruth[];
  injections: InjectionTruth[];
}

/** A generated test case: a starting memory, the sessions of one dream, and the ground truth. */
export interface Scenario {
  seed: number;
  /** The dream's clock: just after the last session. */
  now: string;
  memories: ScenarioMemory[];
  sessions: Session[];
  truth: GroundTruth;
}

/** How big a scenario is. */
export interface ScenarioSize {
  /** Facts stated by exactly one memory and never changed (the bulk a dream must leave alone). */
  untouchedFacts: number;
  duplicateClusters: number;
  lookAlikePairs: number;
  /** Value changes, spread over user statements, command retries and newer memories. */
  updates: number;
  patterns: number;
  decoys: number;
  verifications: number;
  /** Injection attempts, spread over tool output, web content and file content. */
  injections: number;
  sessions: number;
  /** Ordinary work events per session (reads, edits, test runs), on top of the scenario's signals. */
  fillerEvents: number;
}
