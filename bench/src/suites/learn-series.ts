/** The real series with a gold list in `bench/gold/<series>.json`, in report order. */
export const LEARN_SERIES = ["entireio", "trap", "claude-code-viewer"] as const;
export type LearnSeries = (typeof LEARN_SERIES)[number];

/** The `subject` of a series' learn rows: the consolidator and the series. */
export function learnSubject(series: LearnSeries): string {
  return `offline · ${series}`;
}

/** The `subject` of a series' anthropic pre-pass rows. */
export function anthropicSubject(series: LearnSeries): string {
  return `anthropic · ${series}`;
}
