import type Anthropic from "@anthropic-ai/sdk";
import { ReverieError } from "@reverie/core";
import type { ConsolidateContext, ConsolidateInput, Consolidator } from "../consolidate/consolidator.js";
import { runAnthropicDream, type AnthropicConsolidateOutput, type AnthropicRunOptions } from "../anthropic/run-dream.js";
import { sdkTransport } from "./anthropic-transport.js";

/** The official API host; any other base URL may be a local server. */
const ANTHROPIC_HOST = "api.anthropic.com";

/** Options of {@link anthropicConsolidator}. Nothing is read from the environment: the composition root passes it. */
export interface AnthropicConsolidatorOptions extends Omit<AnthropicRunOptions, "model"> {
  /** e.g. `claude-sonnet-4-6`, `claude-haiku-4-5`, or a local server's model name. */
  model: string;
  /** `ANTHROPIC_API_KEY`, passed by the CLI/MCP main. */
  apiKey?: string;
  /** `ANTHROPIC_AUTH_TOKEN` (bearer), passed by the CLI/MCP main; used when there is no `apiKey`. */
  authToken?: string;
  /** `ANTHROPIC_BASE_URL` or `--base-url`. @default "https://api.anthropic.com" */
  baseURL?: string;
  /** A ready SDK client (its own retries are bypassed: the dream retries with its own policy). */
  client?: Anthropic;
}

/** The anthropic consolidator: a {@link Consolidator} whose output carries cost, requests and per-operation usage. */
export interface AnthropicConsolidator extends Consolidator {
  name: "anthropic";
  consolidate(input: ConsolidateInput, ctx?: ConsolidateContext): Promise<AnthropicConsolidateOutput>;
}

function isOfficial(baseURL: string | undefined): boolean {
  if (baseURL === undefined) return true;
  try {
    return new URL(baseURL).hostname === ANTHROPIC_HOST;
  } catch {
    return false;
  }
}

async function makeClient(options: AnthropicConsolidatorOptions, local: boolean): Promise<Anthropic> {
  if (options.client) return options.client;
  const { default: AnthropicSdk } = await import("@anthropic-ai/sdk");
  const credential = options.apiKey !== undefined ? { apiKey: options.apiKey } : options.authToken !== undefined ? { authToken: options.authToken } : local ? { apiKey: "reverie-local" } : undefined;
  if (!credential) {
    throw new ReverieError("MODEL_ERROR", "No credentials for the anthropic consolidator: set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), point --base-url at a local server, or use --provider offline.", { type: "model_error", retryable: false });
  }
  return new AnthropicSdk({
    ...credential,
    baseURL: options.baseURL ?? `https://${ANTHROPIC_HOST}`,
    maxRetries: 0,
    ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs }),
  });
}

/**
 * Consolidates through Claude (or any Anthropic-compatible server) behind the same seam as the
 * offline consolidator. Tokens are the cost, so a local pre-pass compresses transcripts,
 * clusters look-alike memories and recurring errors, and sends each request only the memories
 * relevant to it after a cached prefix (rules, schema, memory index). Answers are strict tool
 * input (or validated JSON on local servers), repaired once, then gated like offline
 * operations: made-up evidence is dropped, instruction-like text never reaches a normal-trust
 * memory. 429/5xx/529/timeouts are retried with backoff honouring `retry-after`; failures are
 * `MODEL_ERROR` with `data.type` `rate_limited | model_error | timeout | budget_exceeded`.
 *
 * The SDK is imported lazily, on the first dream.
 *
 * @example
 * const consolidator = anthropicConsolidator({ model: "claude-sonnet-4-6", apiKey: process.env.ANTHROPIC_API_KEY, budgetUsd: 1 });
 * const { operations, usage, costUsd } = await consolidator.consolidate({ memories, sessions, now: new Date().toISOString() });
 */
export function anthropicConsolidator(options: AnthropicConsolidatorOptions): AnthropicConsolidator {
  const official = options.client === undefined && isOfficial(options.baseURL);
  const local = options.local ?? (official ? false : "auto");
  let client: Promise<Anthropic> | undefined;
  return {
    name: "anthropic",
    async consolidate(input, ctx = {}) {
      client ??= makeClient(options, local === true || (local === "auto" && !official));
      const transport = sdkTransport(await client.catch((err: unknown) => {
        client = undefined;
        throw err;
      }));
      return runAnthropicDream(transport, input, { ...options, local }, ctx);
    },
  };
}
