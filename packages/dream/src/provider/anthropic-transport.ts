import type Anthropic from "@anthropic-ai/sdk";
import { isReverieError, ReverieError } from "@reverie/core";
import type { ModelFailureType } from "../anthropic/retry-policy.js";
import type { BatchItemResult, MessageParams, ModelMessage, ModelTransport } from "../anthropic/transport.js";

/** Milliseconds a response asks to wait: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined, nowMs = Date.now()): number | undefined {
  const ms = headers?.get("retry-after-ms");
  if (ms != null && ms.trim() !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers?.get("retry-after");
  if (value == null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function failure(type: ModelFailureType, retryable: boolean, message: string, data: Record<string, unknown>, cause: unknown): ReverieError {
  return new ReverieError("MODEL_ERROR", message, { type, retryable, ...data }, { cause });
}

/**
 * Wraps an SDK error where it enters: 429 → `rate_limited` (with the `retry-after` it
 * carried), 5xx/529/408/409, dropped connections and unreadable bodies → retryable
 * `model_error`, timeouts → `timeout`, other 4xx → non-retryable `model_error`, aborts → CANCELED.
 */
export function wrapSdkError(err: unknown, signal?: AbortSignal): ReverieError {
  if (isReverieError(err)) return err;
  const e = err as { name?: string; status?: number; headers?: { get(name: string): string | null }; message?: string; error?: { error?: { type?: string } } };
  const name = e?.name ?? "";
  const message = e?.message ?? String(err);
  if (signal?.aborted || name === "APIUserAbortError") return new ReverieError("CANCELED", "The dream was canceled while waiting for the model.", { stage: "consolidate" }, { cause: err });
  if (name === "APIConnectionTimeoutError") return failure("timeout", true, `The model request timed out: ${message}`, {}, err);
  if (name === "APIConnectionError") return failure("model_error", true, `Could not reach the model server: ${message}`, {}, err);
  const status = typeof e?.status === "number" ? e.status : undefined;
  if (status !== undefined) {
    const apiType = e.error?.error?.type;
    const after = retryAfterMs(e.headers);
    const data = { status, ...(apiType !== undefined && { apiType }), ...(after !== undefined && { retryAfterMs: after }) };
    if (status === 429) return failure("rate_limited", true, `The model server rate-limited the dream (429): ${message}`, data, err);
    if (status >= 500 || status === 408 || status === 409) return failure("model_error", true, `The model server failed (${status}): ${message}`, data, err);
    const hint = status === 401 || status === 403 ? " Check ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN." : status === 404 ? " Check --model and --base-url." : "";
    return failure("model_error", false, `The model server refused the request (${status}): ${message}.${hint}`, data, err);
  }
  // A body or event stream that is not valid JSON: a transient server fault, worth another try.
  return failure("model_error", true, `The model server sent an unreadable response: ${message}`, { malformed: true }, err);
}

function toMessage(m: Anthropic.Message): ModelMessage {
  return { id: m.id, content: m.content as ModelMessage["content"], stop_reason: m.stop_reason, usage: m.usage };
}

function countParams(params: MessageParams): MessageParams {
  const { model, system, messages, tools, tool_choice } = params;
  return { model, system, messages, ...(tools !== undefined && { tools }), ...(tool_choice !== undefined && { tool_choice }) };
}

function batchError(result: { type: string; error?: { error?: { type?: string; message?: string } } }, customId: string): Error {
  if (result.type === "errored") {
    const type = result.error?.error?.type ?? "api_error";
    const retryable = type === "api_error" || type === "overloaded_error" || type === "rate_limit_error";
    return new ReverieError("MODEL_ERROR", `Message Batch request ${customId} failed: ${type}: ${result.error?.error?.message ?? ""}`, { type: type === "rate_limit_error" ? "rate_limited" : "model_error", retryable, apiType: type });
  }
  return new ReverieError("MODEL_ERROR", `Message Batch request ${customId} was ${result.type}.`, { type: "model_error", retryable: true, batchResult: result.type });
}

/** The dream's {@link ModelTransport} over an SDK client (which must not retry by itself). */
export function sdkTransport(client: Anthropic): ModelTransport {
  return {
    async createMessage(params, options) {
      const request = { ...(options.signal && { signal: options.signal }), ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs }), maxRetries: 0 };
      try {
        if (options.stream) {
          const stream = client.messages.stream(params as unknown as Anthropic.MessageStreamParams, request);
          return toMessage(await stream.finalMessage());
        }
        return toMessage((await client.messages.create({ ...params, stream: false } as unknown as Anthropic.MessageCreateParamsNonStreaming, request)) as Anthropic.Message);
      } catch (err) {
        throw wrapSdkError(err, options.signal);
      }
    },
    async countTokens(params, options) {
      try {
        const r = await client.messages.countTokens(countParams(params) as unknown as Anthropic.MessageCountTokensParams, { ...(options.signal && { signal: options.signal }), maxRetries: 0 });
        return r.input_tokens;
      } catch (err) {
        throw wrapSdkError(err, options.signal);
      }
    },
    batches: {
      async submit(items, options) {
        try {
          const batch = await client.messages.batches.create(
            { requests: items.map((i) => ({ custom_id: i.customId, params: i.params as unknown as Anthropic.MessageCreateParamsNonStreaming })) },
            { ...(options.signal && { signal: options.signal }), maxRetries: 0 },
          );
          return batch.id;
        } catch (err) {
          throw wrapSdkError(err, options.signal);
        }
      },
      async status(id, options) {
        try {
          return (await client.messages.batches.retrieve(id, {}, { ...(options.signal && { signal: options.signal }), maxRetries: 0 })).processing_status;
        } catch (err) {
          throw wrapSdkError(err, options.signal);
        }
      },
      async results(id, options) {
        try {
          const out: BatchItemResult[] = [];
          const decoder = await client.messages.batches.results(id, {}, { ...(options.signal && { signal: options.signal }), maxRetries: 0 });
          for await (const item of decoder) {
            const r = item.result;
            if (r.type === "succeeded") out.push({ customId: item.custom_id, message: toMessage(r.message) });
            else out.push({ customId: item.custom_id, error: batchError(r as Parameters<typeof batchError>[0], item.custom_id) });
          }
          return out;
        } catch (err) {
          throw wrapSdkError(err, options.signal);
        }
      },
    },
  };
}
