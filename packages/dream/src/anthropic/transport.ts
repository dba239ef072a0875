import type { ReportedUsage } from "./usage-ledger.js";

/** A content block of a model answer (the kinds a dream reads). */
export type ModelContent = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: unknown } | { type: string };

/** A model answer, reduced to what a dream reads. */
export interface ModelMessage {
  id: string;
  content: ModelContent[];
  stop_reason: string | null;
  usage: ReportedUsage;
}

/** Request body of the Messages API, passed through unchanged. */
export type MessageParams = Record<string, unknown>;

/** The result of one request of a Message Batch. */
export interface BatchItemResult {
  customId: string;
  message?: ModelMessage;
  /** A `MODEL_ERROR` describing why the item failed (`data.retryable` says if a resubmit may help). */
  error?: Error;
}

/**
 * The seam between the dream and the Anthropic SDK: the only calls a dream makes. Every
 * failure is a ReverieError `MODEL_ERROR` whose `data` carries `type`, `retryable`, `status`
 * and, from a `retry-after` header, `retryAfterMs`.
 */
export interface ModelTransport {
  createMessage(params: MessageParams, options: { signal?: AbortSignal; stream?: boolean; timeoutMs?: number }): Promise<ModelMessage>;
  /** Exact prompt tokens; absent or failing on servers without count_tokens. */
  countTokens?(params: MessageParams, options: { signal?: AbortSignal }): Promise<number>;
  /** Message Batches; absent on servers without them. */
  batches?: {
    submit(items: Array<{ customId: string; params: MessageParams }>, options: { signal?: AbortSignal }): Promise<string>;
    status(id: string, options: { signal?: AbortSignal }): Promise<"in_progress" | "canceling" | "ended">;
    results(id: string, options: { signal?: AbortSignal }): Promise<BatchItemResult[]>;
  };
}
