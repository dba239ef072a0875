import { describe, expect, it } from "vitest";
import { ExpectedMetrics } from "../suites/expected-metrics.js";
import { completeRows, suiteFailed } from "../suites/suite-failed.js";
import { measured, meets, missing, rowOf } from "./row.js";

describe("rows", () => {
  it("judges a figure against its budget and never passes a missing one", () => {
    expect(measured("speed", "write_p50_ms", 20, "ms", { budget: { max: 25 } }).pass).toBe(true);
    expect(measured("speed", "import_mb_per_s", 13, "MB/s", { budget: { min: 50 } }).pass).toBe(false);
    expect(missing("cost", "anthropic_prompt_ratio", "ratio", "not wired", { budget: { max: 0.4 } })).toEqual({
      suite: "cost",
      metric: "anthropic_prompt_ratio",
      value: null,
      unit: "ratio",
      budget: { max: 0.4 },
      pass: null,
      reason: "not wired",
    });
    expect(meets(null, { max: 1 })).toBeNull();
    expect(meets(Number.NaN, { max: 1 })).toBe(false);
  });

  it("refuses to write a non-finite measurement as a number", () => {
    const r = measured("speed", "dream_offline_100_sessions_s", Number.NaN, "s", { budget: { max: 3 } });
    expect(r.value).toBeNull();
    expect(r.pass).toBeNull();
    expect(r.reason).toMatch(/non-finite/);
  });

  it("turns a measure without a value into a missing row carrying its reason", () => {
    expect(rowOf("quality", "dedup_precision", { value: null, reason: "no merges" }, "ratio")).toMatchObject({ value: null, pass: null, reason: "no merges" });
  });
});

describe("a suite that did not run", () => {
  it("reports every promised figure as missing with the error, none as 0 or 1", () => {
    const r = suiteFailed("speed", new Error("disk full"));
    expect(r.rows.map((x) => x.metric)).toEqual(ExpectedMetrics.speed.map((e) => e.metric));
    for (const row of r.rows) {
      expect(row.value).toBeNull();
      expect(row.pass).toBeNull();
      expect(row.reason).toMatch(/speed suite did not run to the end: disk full/);
    }
  });

  it("fills figures a suite forgot, per subject, and keeps those it reported", () => {
    const reported = [measured("quality", "dedup_f1", 0.97, "ratio", { subject: "offline" })];
    const rows = completeRows("quality", reported);
    expect(rows).toHaveLength(ExpectedMetrics.quality.length);
    expect(rows.find((r) => r.metric === "dedup_f1" && r.subject === "offline")?.value).toBe(0.97);
    const other = rows.find((r) => r.metric === "dedup_f1" && r.subject === "append-only")!;
    expect(other).toMatchObject({ value: null, pass: null, reason: "the quality suite did not report it" });
    expect(rows.filter((r) => r.value !== null)).toHaveLength(1);
  });

  it("gives the skip reason when the datasets are absent", () => {
    const rows = completeRows("real-data", [], "skipped: no datasets folder");
    expect(rows.every((r) => r.value === null && r.reason === "skipped: no datasets folder")).toBe(true);
    expect(rows.map((r) => r.metric)).toContain("locomo_fact_recall_at_5");
  });
});
