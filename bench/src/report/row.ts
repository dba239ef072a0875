/** The suites of the bench, in report order. */
export const Suites = ["quality", "search", "real-data", "cost", "speed", "crash", "security"] as const;
export type Suite = (typeof Suites)[number];

/** A budget from DESIGN §6: the figure must stay at or below `max`, or at or above `min`. */
export type Budget = { max: number } | { min: number };

/**
 * One line of `latest.json`. `value` is `null` when the metric could not be measured; `reason`
 * then says why, and `pass` is `null` (nothing to judge), never `true`.
 */
export interface Row {
  suite: Suite;
  metric: string;
  value: number | null;
  unit: string;
  budget: Budget | null;
  pass: boolean | null;
  /** What the figure was measured on or with (consolidator, input size). */
  subject?: string;
  /** Why `value` is null. */
  reason?: string;
}

/** Whether `value` meets `budget`; `null` when either is absent. */
export function meets(value: number | null, budget: Budget | null): boolean | null {
  if (value === null || budget === null) return null;
  if (!Number.isFinite(value)) return false;
  return "max" in budget ? value <= budget.max : value >= budget.min;
}

/** A measured figure. A non-finite value is a bug upstream, so it is refused rather than written as a number. */
export function measured(suite: Suite, metric: string, value: number, unit: string, options: { budget?: Budget; subject?: string } = {}): Row {
  if (!Number.isFinite(value)) {
    return missing(suite, metric, unit, `measured a non-finite value (${String(value)})`, options);
  }
  const budget = options.budget ?? null;
  const row: Row = { suite, metric, value, unit, budget, pass: meets(value, budget) };
  if (options.subject !== undefined) row.subject = options.subject;
  return row;
}

/** A figure that could not be measured: `value` and `pass` null, with the reason. */
export function missing(suite: Suite, metric: string, unit: string, reason: string, options: { budget?: Budget; subject?: string } = {}): Row {
  const row: Row = { suite, metric, value: null, unit, budget: options.budget ?? null, pass: null, reason };
  if (options.subject !== undefined) row.subject = options.subject;
  return row;
}

/** A figure or its absence: `value` null carries the reason it is missing. */
export interface Measure {
  value: number | null;
  reason?: string;
}

/** Turns a measure into a row. */
export function rowOf(suite: Suite, metric: string, m: Measure, unit: string, options: { budget?: Budget; subject?: string } = {}): Row {
  if (m.value === null) return missing(suite, metric, unit, m.reason ?? "not measured", options);
  return measured(suite, metric, m.value, unit, options);
}

/** Rows of a suite that did not run: every metric it would have reported, missing with the same reason. */
export function suiteNotRun(suite: Suite, metrics: ReadonlyArray<{ metric: string; unit: string; budget?: Budget; subject?: string }>, reason: string): Row[] {
  return metrics.map((m) => {
    const options: { budget?: Budget; subject?: string } = {};
    if (m.budget !== undefined) options.budget = m.budget;
    if (m.subject !== undefined) options.subject = m.subject;
    return missing(suite, m.metric, m.unit, reason, options);
  });
}
