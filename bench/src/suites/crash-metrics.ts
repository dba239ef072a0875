import type { ExpectedMetric } from "./expected-metrics.js";

/** The crash suite's figures (issue 19): failures, leftovers, lost acknowledged writes and record mismatches must be 0. */
export const CRASH_METRICS: readonly ExpectedMetric[] = [
  { metric: "crash_kills", unit: "count" },
  { metric: "crash_recoveries", unit: "count" },
  { metric: "crash_failures", unit: "count", budget: { max: 0 } },
  { metric: "crash_leftovers", unit: "count", budget: { max: 0 } },
  { metric: "crash_acknowledged", unit: "count" },
  { metric: "crash_lost_acknowledged", unit: "count", budget: { max: 0 } },
  { metric: "crash_record_mismatches", unit: "count", budget: { max: 0 } },
  { metric: "write_p50_ms_fsync", unit: "ms" },
  { metric: "write_p50_ms_no_fsync", unit: "ms" },
];
