import { missing, type Row, type Suite } from "../report/row.js";
import { ExpectedMetrics } from "./expected-metrics.js";
import type { SuiteResult } from "./suite.js";

function options(e: { subject?: string; budget?: Row["budget"] }): { subject?: string; budget?: NonNullable<Row["budget"]> } {
  return { ...(e.subject !== undefined ? { subject: e.subject } : {}), ...(e.budget ? { budget: e.budget } : {}) };
}

/** The result of a suite that threw: every figure it promised, missing with the error as the reason. */
export function suiteFailed(suite: Suite, error: unknown): SuiteResult {
  const reason = `the ${suite} suite did not run to the end: ${(error as Error)?.message?.slice(0, 200) ?? String(error)}`;
  return { rows: ExpectedMetrics[suite].map((e) => missing(suite, e.metric, e.unit, reason, options(e))), notes: [reason], series: [] };
}

/** `rows` plus a missing row (with `reason`, else a generic one) for every promised figure of `suite` absent from them. */
export function completeRows(suite: Suite, rows: readonly Row[], reason?: string): Row[] {
  const out = [...rows];
  for (const e of ExpectedMetrics[suite]) {
    const present = rows.some((r) => r.suite === suite && r.metric === e.metric && (e.subject === undefined || r.subject === e.subject));
    if (!present) out.push(missing(suite, e.metric, e.unit, reason ?? `the ${suite} suite did not report it`, options(e)));
  }
  return out;
}
