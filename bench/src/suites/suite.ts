import type { Row } from "../report/row.js";

/** What every suite gets from the runner. */
export interface SuiteContext {
  quick: boolean;
  /** A scratch folder for this suite, deleted after the run. */
  workDir: string;
  /** Where the shared datasets are (may not exist). */
  datasetsDir: string;
  log(message: string): void;
}

/** A point of a growth series: `y` measured at size `x`. */
export interface SeriesPoint {
  x: number;
  y: number;
}

/** A growth curve for the charts. */
export interface Series {
  /** Chart it belongs to (one SVG per chart). */
  chart: string;
  name: string;
  xLabel: string;
  yLabel: string;
  points: SeriesPoint[];
}

/** What a suite hands back: rows, notes a reader needs (failing examples, skips), and growth series. */
export interface SuiteResult {
  rows: Row[];
  notes: string[];
  series: Series[];
}
