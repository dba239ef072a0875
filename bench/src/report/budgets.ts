import type { Budget } from "./row.js";

/** DESIGN §6 budgets, by metric name. Metrics not listed have no budget (informative figures). */
export const Budgets: Readonly<Record<string, Budget>> = {
  write_p50_ms: { max: 25 },
  search_p50_ms_10k: { max: 2 },
  cold_open_ms_10k: { max: 300 },
  index_rebuild_s_10k: { max: 2 },
  dream_offline_100_sessions_s: { max: 3 },
  import_mb_per_s: { min: 50 },
  // Issue 14: reverie ÷ the plain-file peers, measured in the same run.
  mcp_write_p50_ratio: { max: 1.5 },
  mcp_search_p50_ratio: { max: 1.0 },
  memory_tool_create_p50_ratio: { max: 2 },
  anthropic_prompt_ratio: { max: 0.4 },
  dedup_f1: { min: 0.95 },
  wrongful_retirements: { max: 0 },
  stale_recall: { min: 0.9 },
  pattern_recall: { min: 0.9 },
  facts_lost: { max: 0 },
  injected_promoted: { max: 0 },
  // Issue 18: no credential from a session anywhere after a dream; no disguised download-and-run trusted.
  secrets_leaked: { max: 0 },
  injections_trusted: { max: 0 },
  // Issue 11: what an offline dream learns from real sessions, against bench/gold.
  learn_recall: { min: 0.6 },
  learn_noise: { max: 0.2 },
  // Issue 11 item 9: the anthropic consolidator's local pre-pass keeps every gold item's supporting turns.
  anthropic_evidence_recall: { min: 0.95 },
  // Issue 14: LoCoMo evidence turns in the top 5 (plain BM25 with stemming: 0.455).
  locomo_search_recall_at_5: { min: 0.5 },
};

/** Budget of a metric, or undefined. Quality budgets apply to reverie's consolidators, not to baselines. */
export function budgetOf(metric: string): Budget | undefined {
  return Budgets[metric];
}
