import type { ConsolidateUsage } from "../consolidate/consolidator.js";
import { costOf, type ModelPrice, type PricedUsage } from "./pricing.js";

/** One model response as it was paid for. */
export interface LedgerEntry {
  /** The response (message) id; a second entry with the same id is not counted again. */
  responseId: string;
  /** Which request of the dream it answered (e.g. `sessions-2`, `memories`). */
  label: string;
  usage: PricedUsage;
  batch: boolean;
  costUsd: number;
  /** True when the entry was restored from a checkpoint (paid by an earlier attempt of the dream). */
  resumed: boolean;
}

/** Raw usage as the SDK hands it over (nullable counts, optional TTL breakdown). */
export interface ReportedUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_1h_input_tokens?: number | null; ephemeral_5m_input_tokens?: number | null } | null;
}

/** Normalizes reported usage: nulls become 0, the 1-hour write share is kept. */
export function pricedUsage(u: ReportedUsage): PricedUsage {
  return {
    input_tokens: u.input_tokens ?? 0,
    output_tokens: u.output_tokens ?? 0,
    cache_creation_input_tokens: u.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: u.cache_read_input_tokens ?? 0,
    cache_creation_1h_input_tokens: u.cache_creation?.ephemeral_1h_input_tokens ?? 0,
  };
}

/**
 * The cost ledger of a dream: the exact sum of the four token counts the API reported,
 * counted once per response id (a retried or replayed response is not billed twice), priced
 * with the model's price table.
 */
export class UsageLedger {
  readonly entries: LedgerEntry[] = [];
  readonly #ids = new Set<string>();

  constructor(private readonly price: ModelPrice | undefined) {}

  /** Records a response; returns the entry, or undefined when its id was already counted. */
  add(responseId: string, usage: ReportedUsage, options: { label: string; batch?: boolean; resumed?: boolean }): LedgerEntry | undefined {
    if (this.#ids.has(responseId)) return undefined;
    this.#ids.add(responseId);
    const priced = pricedUsage(usage);
    const batch = options.batch ?? false;
    const entry: LedgerEntry = { responseId, label: options.label, usage: priced, batch, costUsd: costOf(priced, this.price, { batch }), resumed: options.resumed ?? false };
    this.entries.push(entry);
    return entry;
  }

  /** Sum of the four counts over every entry. */
  totals(): ConsolidateUsage {
    const t: ConsolidateUsage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    for (const e of this.entries) {
      t.input_tokens += e.usage.input_tokens;
      t.output_tokens += e.usage.output_tokens;
      t.cache_creation_input_tokens += e.usage.cache_creation_input_tokens;
      t.cache_read_input_tokens += e.usage.cache_read_input_tokens;
    }
    return t;
  }

  /** Cost in USD of every entry. */
  costUsd(): number {
    return this.entries.reduce((sum, e) => sum + e.costUsd, 0);
  }
}
