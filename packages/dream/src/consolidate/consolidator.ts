import type { Note } from "@reverie/core";
import type { Session } from "../transcripts/types.js";
import type { DreamOperation } from "./operations.js";

/** What a consolidator reads: the memory at the base commit, the sessions of the dream, and the user's steering. */
export interface ConsolidateInput {
  memories: Note[];
  sessions: Session[];
  /** Free text from the user, at most 4,096 characters (e.g. "leave decisions/ alone"). */
  instructions?: string;
  /** ISO-8601 time of the dream; the only clock a consolidator may read. */
  now: string;
}

/** Token counts as the Anthropic API reports them; absent for consolidators that call no model. */
export interface ConsolidateUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** What a consolidator proposes. */
export interface ConsolidateOutput {
  operations: DreamOperation[];
  /** Instruction lines the consolidator could not apply, verbatim (trimmed). */
  ignoredInstructions: string[];
  usage?: ConsolidateUsage;
  /** Cost in USD of the model calls (resumed ones included), for consolidators that call a model. */
  costUsd?: number;
  /** Proposals the consolidator's own gates refused (made-up evidence, unknown paths, injection). */
  dropped?: DroppedOperationReport[];
}

/** A step of a consolidation, for progress display. */
export interface ConsolidateProgress {
  stage: string;
  done: number;
  total: number;
}

export interface ConsolidateContext {
  /** Aborting rejects with a `CANCELED` error. */
  signal?: AbortSignal;
  onProgress?(event: ConsolidateProgress): void;
  /** Finished model requests of an earlier attempt of this dream; overrides the consolidator's own option. */
  checkpoint?: ConsolidateCheckpoint;
}

/**
 * The brain of a dream: turns memories and sessions into operations with evidence. Never
 * writes anything itself; the dream runner validates and materializes what it returns.
 */
export interface Consolidator {
  /** Recorded as the run's `provider` (e.g. `offline`, `anthropic`). */
  name: string;
  consolidate(input: ConsolidateInput, ctx?: ConsolidateContext): Promise<ConsolidateOutput>;
}

/**
 * Where a consolidator keeps the answers of finished model requests so a resumed dream does not
 * pay for them again (the dream runner backs it with files in `.reverie/runs/<id>/`).
 */
export interface ConsolidateCheckpoint {
  get(key: string): Promise<unknown | undefined>;
  put(key: string, value: unknown): Promise<void>;
}

/** An operation a consolidator proposed but refused at its own gates, for `dream show`. */
export interface DroppedOperationReport {
  /** Which part of the consolidation proposed it (e.g. a request label). */
  request: string;
  kind: string;
  path?: string;
  reason: string;
}
