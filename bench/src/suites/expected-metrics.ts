import { QualityMetrics, QualityUnits } from "../metrics/quality-metrics.js";
import { budgetOf } from "../report/budgets.js";
import type { Budget, Suite } from "../report/row.js";
import { CRASH_METRICS } from "./crash-metrics.js";
import { anthropicSubject, LEARN_SERIES, learnSubject } from "./learn-series.js";
import { SEARCH_SUBJECTS } from "./search-subjects.js";

/** A figure a suite promises to report. */
export interface ExpectedMetric {
  metric: string;
  unit: string;
  subject?: string;
  budget?: Budget;
}

const judged = new Set(["offline", "anthropic"]);

function expect(metric: string, unit: string, subject?: string): ExpectedMetric {
  const budget = subject === undefined || judged.has(subject) ? budgetOf(metric) : undefined;
  return { metric, unit, ...(subject !== undefined ? { subject } : {}), ...(budget ? { budget } : {}) };
}

/** The quality suite's consolidators: baselines first, then reverie's. */
export const QUALITY_SUBJECTS = ["append-only", "exact-hash", "offline", "anthropic"] as const;

/**
 * Every figure each suite reports (issue 6). The runner fills any that a suite failed to
 * report with a missing row, so a suite that crashed or skipped cannot leave a gap that reads as 0.
 */
export const ExpectedMetrics: Readonly<Record<Suite, readonly ExpectedMetric[]>> = {
  quality: QUALITY_SUBJECTS.flatMap((s) => QualityMetrics.map((m) => expect(m, QualityUnits[m], s))),
  "real-data": [
    expect("claude_code_dream_s", "s", "entireio 7 sessions"),
    expect("claude_code_operations", "count", "entireio 7 sessions"),
    expect("claude_code_new_memories", "count", "entireio 7 sessions"),
    // Judged like the offline consolidator: the subject names it and the series.
    ...LEARN_SERIES.flatMap((series) => ["learn_recall", "learn_noise"].map((m) => ({ ...expect(m, "ratio", learnSubject(series)), budget: budgetOf(m)! }))),
    // The anthropic consolidator's pre-pass on the same series, against the fake server.
    ...LEARN_SERIES.flatMap((series) => ["anthropic_evidence_recall", "anthropic_prompt_ratio"].map((m) => ({ ...expect(m, "ratio", anthropicSubject(series)), budget: budgetOf(m)! }))),
    expect("locomo_fact_recall_at_5", "ratio", "append-only"),
    expect("locomo_fact_recall_at_5", "ratio", "offline"),
  ],
  search: SEARCH_SUBJECTS.map((s) => (s === "reverie" ? { ...expect("locomo_search_recall_at_5", "ratio", s), budget: budgetOf("locomo_search_recall_at_5")! } : expect("locomo_search_recall_at_5", "ratio", s))),
  cost: [
    expect("anthropic_prompt_ratio", "ratio"),
    expect("anthropic_cache_read_share", "ratio"),
    expect("cost_usd_per_session", "usd", "claude-sonnet-4-6"),
    expect("cost_usd_per_session", "usd", "claude-haiku-4-5"),
  ],
  speed: [
    expect("write_p50_ms", "ms"),
    expect("search_p50_ms_10k", "ms"),
    expect("cold_open_ms_10k", "ms"),
    expect("index_rebuild_s_10k", "s"),
    expect("dream_offline_100_sessions_s", "s"),
    expect("import_mb_per_s", "MB/s"),
    expect("mcp_write_p50_ratio", "ratio"),
    expect("mcp_search_p50_ratio", "ratio"),
    expect("memory_tool_create_p50_ratio", "ratio"),
  ],
  crash: CRASH_METRICS,
  security: [
    { metric: "limits_max_command_s", unit: "s", budget: { max: 1 } },
    { metric: "limits_dream_added_s", unit: "s", budget: { max: 1 } },
    { metric: "limits_doctor_added_s", unit: "s", budget: { max: 1 } },
    { metric: "limits_parse_ms_per_mb_1mb", unit: "ms/MB" },
    { metric: "mcp_hostile_frames_unanswered", unit: "count", budget: { max: 0 } },
    { metric: "mcp_hostile_server_down_or_wrote", unit: "count", budget: { max: 0 } },
    { metric: "secrets_leaked", unit: "count", budget: { max: 0 } },
    { metric: "injections_trusted", unit: "count", budget: { max: 0 } },
  ],
};
