import { tempDir } from "@reverie/test-utils";
import { describe, expect, it } from "vitest";
import { appendOnly, exactHashDedup } from "../src/dream/baselines.js";
import { generateScenario } from "../src/generator/generate-scenario.js";
import { scoreConsolidator } from "../src/suites/quality-suite.js";

const small = { untouchedFacts: 12, duplicateClusters: 4, lookAlikePairs: 2, updates: 4, patterns: 1, decoys: 1, verifications: 3, injections: 1, sessions: 4, fillerEvents: 6 };

describe("quality suite through dream() and adoptDream()", () => {
  it("scores append-only from the adopted folder: measured zeros where it did nothing, missing where nothing exists", async () => {
    const scenario = generateScenario(7, small);
    const { rows } = await scoreConsolidator(scenario, { consolidator: appendOnly(), judged: false }, await tempDir());
    const by = Object.fromEntries(rows.map((r) => [r.metric, r.value]));
    expect(by).toMatchObject({ dedup_recall: 0, dedup_f1: 0, stale_recall: 0, pattern_recall: 0, verify_recall: 0, facts_lost: 0, wrongful_retirements: 0, injected_promoted: 0, dedup_precision: null, pattern_precision: null });
    expect(rows.every((r) => r.subject === "append-only" && r.budget === null)).toBe(true);
  });

  it("sees exact-hash merges in merged_ids of the adopted folder", async () => {
    const scenario = generateScenario(7, small);
    const exact = scenario.truth.clusters.filter((c) => c.exactCopy).length;
    const { rows, notes } = await scoreConsolidator(scenario, { consolidator: exactHashDedup(), judged: false }, await tempDir());
    const precision = rows.find((r) => r.metric === "dedup_precision")!;
    expect(exact).toBeGreaterThan(0);
    expect(precision.value).toBe(1);
    expect(notes[0]).toMatch(/^exact-hash: dream completed/);
  });
});
