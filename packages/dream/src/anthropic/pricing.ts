/** USD per million tokens for each of the token counts the API reports. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Cache writes with the default 5-minute TTL (1.25 × input). */
  cacheWrite5m: number;
  /** Cache writes with `ttl: "1h"` (2 × input). */
  cacheWrite1h: number;
  /** Cache hits and refreshes (0.1 × input). */
  cacheRead: number;
}

/**
 * List prices of the models a dream is likely to use (platform.claude.com pricing, 2026).
 * Message Batches bill every count at {@link BATCH_DISCOUNT}.
 */
export const ANTHROPIC_PRICES: Readonly<Record<string, ModelPrice>> = {
  "claude-opus-4-6": { input: 5, output: 25, cacheWrite5m: 6.25, cacheWrite1h: 10, cacheRead: 0.5 },
  "claude-opus-4-5": { input: 5, output: 25, cacheWrite5m: 6.25, cacheWrite1h: 10, cacheRead: 0.5 },
  "claude-sonnet-4-6": { input: 3, output: 15, cacheWrite5m: 3.75, cacheWrite1h: 6, cacheRead: 0.3 },
  "claude-sonnet-4-5": { input: 3, output: 15, cacheWrite5m: 3.75, cacheWrite1h: 6, cacheRead: 0.3 },
  "claude-haiku-4-5": { input: 1, output: 5, cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1 },
};

/** Share of list price that Message Batches bill. */
export const BATCH_DISCOUNT = 0.5;

/**
 * The price of `model`: an exact entry, else the entry its dated id starts with
 * (`claude-haiku-4-5-20251001` → `claude-haiku-4-5`); undefined for models with no list price
 * (local models), which then cost nothing.
 */
export function priceFor(model: string, table: Readonly<Record<string, ModelPrice>> = ANTHROPIC_PRICES): ModelPrice | undefined {
  const exact = table[model];
  if (exact) return exact;
  const prefix = Object.keys(table)
    .filter((k) => model.startsWith(`${k}-`) || model.startsWith(`${k}@`))
    .sort((a, b) => b.length - a.length)[0];
  return prefix === undefined ? undefined : table[prefix];
}

/** Token counts of one or more responses, with cache writes split by TTL when known. */
export interface PricedUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** The 1-hour part of `cache_creation_input_tokens`; the rest is billed as 5-minute writes. @default 0 */
  cache_creation_1h_input_tokens?: number;
}

/** Cost in USD of `usage` at `price`, halved for Message Batches. */
export function costOf(usage: PricedUsage, price: ModelPrice | undefined, options: { batch?: boolean } = {}): number {
  if (!price) return 0;
  const oneHour = Math.min(usage.cache_creation_1h_input_tokens ?? 0, usage.cache_creation_input_tokens);
  const fiveMin = usage.cache_creation_input_tokens - oneHour;
  const perMTok =
    usage.input_tokens * price.input +
    usage.output_tokens * price.output +
    fiveMin * price.cacheWrite5m +
    oneHour * price.cacheWrite1h +
    usage.cache_read_input_tokens * price.cacheRead;
  return (perMTok / 1_000_000) * (options.batch ? BATCH_DISCOUNT : 1);
}
