import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { offlineConsolidator, type Consolidator } from "@reverie/dream";
import { appendOnly, exactHashDedup } from "../dream/baselines.js";
import { runDreamAndAdopt } from "../dream/run-dream-and-adopt.js";
import { readFinalFolder, writeScenarioFolder } from "../dream/scenario-folder.js";
import { generateScenario, ScenarioSizes } from "../generator/generate-scenario.js";
import type { Scenario } from "../generator/scenario.js";
import { qualityMetrics, QualityMetrics, QualityUnits } from "../metrics/quality-metrics.js";
import { budgetOf } from "../report/budgets.js";
import { missing, rowOf, type Row } from "../report/row.js";
import type { SuiteContext, SuiteResult } from "./suite.js";

/** Why the anthropic consolidator has no quality figures yet. */
export const ANTHROPIC_PENDING = "not scored: no recorded anthropic responses for this scenario in bench/recorded/ yet (the fake server's scripted empty answers measure cost, not quality), and the bench uses no API key";

/** Seed of the quality scenario; printed in the report so anyone can regenerate it. */
export const QUALITY_SEED = 20261121;

interface Entry {
  consolidator: Consolidator;
  /** Budgets of DESIGN §6 apply to reverie's consolidators, not to the baselines. */
  judged: boolean;
}

/** Rows for one consolidator whose dream could not be scored: every metric missing with the reason. */
export function qualityNotRun(subject: string, reason: string, judged: boolean): Row[] {
  return QualityMetrics.map((metric) => {
    const budget = judged ? budgetOf(metric) : undefined;
    return missing("quality", metric, QualityUnits[metric], reason, { subject, ...(budget ? { budget } : {}) });
  });
}

/** Scores one consolidator on one scenario: dream, adopt, read the folder, compare with the truth. */
export async function scoreConsolidator(scenario: Scenario, entry: Entry, dir: string): Promise<{ rows: Row[]; notes: string[] }> {
  const name = entry.consolidator.name;
  const folder = await writeScenarioFolder(dir, scenario.memories, scenario.sessions);
  const outcome = await runDreamAndAdopt({ memoryDir: folder.memoryDir, sessions: [folder.sessionsDir], consolidator: entry.consolidator, now: new Date(scenario.now) });
  const notes: string[] = [];
  const ops = Object.entries(outcome.ops).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ") || "none";
  notes.push(`${name}: dream ${outcome.status} in ${outcome.seconds.toFixed(2)} s, operations: ${ops}${outcome.adopted ? ", adopted" : `; ${outcome.note ?? "not adopted"}`}`);
  if (outcome.status !== "completed") return { rows: qualityNotRun(name, `the dream did not complete (${outcome.note ?? outcome.status})`, entry.judged), notes };
  const final = await readFinalFolder(folder.memoryDir);
  const result = qualityMetrics(final, folder.before, scenario.truth);
  const rows = QualityMetrics.map((metric) => {
    const budget = entry.judged ? budgetOf(metric) : undefined;
    return rowOf("quality", metric, result.metrics[metric], QualityUnits[metric], { subject: name, ...(budget ? { budget } : {}) });
  });
  for (const metric of QualityMetrics) {
    const examples = result.failures[metric];
    if (entry.judged && examples && examples.length > 0) notes.push(`${name} · ${metric}: ${examples.join(" | ")}`);
  }
  return { rows, notes };
}

/**
 * The quality suite: one seeded scenario, dreamed by each consolidator and by the baselines
 * (append-only, exact-hash dedup) from the same starting folder, scored on the adopted folder.
 */
export async function qualitySuite(ctx: SuiteContext): Promise<SuiteResult> {
  const size = ctx.quick ? ScenarioSizes.quick : ScenarioSizes.full;
  const scenario = generateScenario(QUALITY_SEED, size);
  const t = scenario.truth;
  const notes = [
    `scenario seed ${QUALITY_SEED} (${ctx.quick ? "quick" : "full"}): ${scenario.memories.length} memories, ${scenario.sessions.length} sessions, ${t.facts.length} facts, ${t.clusters.length} duplicate clusters, ${t.lookAlikes.length} look-alike pairs, ${t.updates.length} updates, ${t.patterns.length} patterns, ${t.decoys.length} decoys, ${t.verifications.length} verifications, ${t.injections.length} injections`,
  ];
  const rows: Row[] = [];
  const entries: Entry[] = [
    { consolidator: appendOnly(), judged: false },
    { consolidator: exactHashDedup(), judged: false },
    { consolidator: offlineConsolidator(), judged: true },
  ];
  for (const entry of entries) {
    const name = entry.consolidator.name;
    ctx.log(`quality: ${name}`);
    const dir = join(ctx.workDir, `quality-${name}`);
    await mkdir(dir, { recursive: true });
    try {
      const scored = await scoreConsolidator(scenario, entry, dir);
      rows.push(...scored.rows);
      notes.push(...scored.notes);
    } catch (error) {
      const reason = `the ${name} dream threw: ${(error as Error).message.slice(0, 200)}`;
      rows.push(...qualityNotRun(name, reason, entry.judged));
      notes.push(reason);
    }
  }
  rows.push(...qualityNotRun("anthropic", ANTHROPIC_PENDING, true));
  return { rows, notes, series: [] };
}
