import { mkdir, readdir, readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { initMemory, listMarkdownFiles, parseNote } from "@reverie/core";
import { importTranscripts, loadSessionFile, offlineConsolidator } from "@reverie/dream";
import { anthropicEvidence } from "./anthropic-evidence.js";
import { runDreamAndAdopt } from "../dream/run-dream-and-adopt.js";
import { learnMetrics, readGoldList, readLearnFolder, type LearnResult } from "../metrics/learn-metrics.js";
import { budgetOf } from "../report/budgets.js";
import { measured, missing, rowOf, type Budget, type Row } from "../report/row.js";
import { anthropicSubject, LEARN_SERIES, learnSubject, type LearnSeries } from "./learn-series.js";
import type { SuiteContext } from "./suite.js";

/** `bench/gold`, from `bench/src/suites` or `bench/dist/suites`. */
export const GOLD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "gold");

const METRICS = ["learn_recall", "learn_noise"] as const;

function options(series: LearnSeries, metric: string): { subject: string; budget?: Budget } {
  const budget = budgetOf(metric);
  return { subject: learnSubject(series), ...(budget ? { budget } : {}) };
}

/** What the anthropic consolidator's pre-pass keeps of a series (issue 11, item 9). */
const ANTHROPIC_METRICS = ["anthropic_evidence_recall", "anthropic_prompt_ratio"] as const;

function anthropicOptions(series: LearnSeries, metric: string): { subject: string; budget?: Budget } {
  const budget = budgetOf(metric);
  return { subject: anthropicSubject(series), ...(budget ? { budget } : {}) };
}

function missingRows(series: LearnSeries, reason: string): Row[] {
  return [...METRICS.map((m) => missing("real-data", m, "ratio", reason, options(series, m))), ...ANTHROPIC_METRICS.map((m) => missing("real-data", m, "ratio", reason, anthropicOptions(series, m)))];
}

/** The notes a reader needs to see why the figures are what they are. */
function describe(series: LearnSeries, r: LearnResult, head: string): string[] {
  const recalled = r.items.filter((i) => i.recalled);
  const noisy = r.written.filter((w) => w.noise);
  const notes = [
    `${head}; learn_recall ${recalled.length}/${r.items.length}, learn_noise ${noisy.length}/${r.written.length} written memories`,
  ];
  if (recalled.length > 0) notes.push(`${series} recalled: ${recalled.map((i) => `${i.id} (${i.memories.join(", ")})`).join("; ")}`);
  const missed = r.items.filter((i) => !i.recalled);
  if (missed.length > 0) notes.push(`${series} not recalled: ${missed.map((i) => (i.lowTrust.length > 0 ? `${i.id} (only low trust: ${i.lowTrust.join(", ")})` : i.id)).join(", ")}`);
  const old = r.items.filter((i) => i.statingOld.length > 0);
  if (old.length > 0) notes.push(`${series} old value still stated: ${old.map((i) => `${i.id} by ${i.statingOld.join(", ")}`).join("; ")}`);
  for (const w of noisy.slice(0, 12)) notes.push(`${series} noise ${w.path}: ${w.reason ?? ""}`);
  if (noisy.length > 12) notes.push(`${series} noise: ${noisy.length - 12} more`);
  return notes;
}

/**
 * One real series, as a new user would start: an empty memory, `reverie import` of the
 * series' sessions, an offline dream adopted as `--auto-adopt` would, then learn_recall and
 * learn_noise of the adopted folder against the series' gold list.
 */
export async function learnOnSeries(ctx: SuiteContext, dir: string, series: LearnSeries): Promise<{ rows: Row[]; notes: string[] }> {
  const gold = await readGoldList(join(GOLD_DIR, `${series}.json`));
  const folder = join(ctx.datasetsDir, gold.dataset.folder);
  const names = await readdir(folder).catch(() => [] as string[]);
  const files = names.filter((n) => n.startsWith(gold.dataset.prefix) && n.endsWith(gold.dataset.ext)).sort();
  if (files.length === 0) {
    const reason = `no ${gold.dataset.prefix}*${gold.dataset.ext} sessions in ${folder}`;
    return { rows: missingRows(series, reason), notes: [`${series}: ${reason}`] };
  }
  const memoryDir = join(dir, "memory");
  await mkdir(dir, { recursive: true });
  await initMemory(memoryDir).then((m) => m.close());
  const before = new Set((await readLearnFolder(memoryDir)).map((m) => m.path));
  const imported = await importTranscripts({ memoryDir, inputs: files.map((f) => join(folder, f)) });
  const ids = imported.sessions.filter((s) => s.status !== "skipped").map((s) => s.id);
  ctx.log(`real-data: anthropic pre-pass on ${series} (${ids.length} sessions, ${gold.items.length} gold items)`);
  const sessions = await Promise.all(imported.sessions.filter((s) => s.status !== "skipped").map((s) => loadSessionFile(s.path)));
  const memories = await Promise.all((await listMarkdownFiles(memoryDir)).map(async (p) => parseNote(p, await readFile(join(memoryDir, p), "utf8"))));
  const evidence = await anthropicEvidence(sessions, memories, new Map(sessions.map((s) => [s.header.id, basename(s.header.source.path)])), gold);
  const anthropicRows = [
    measured("real-data", "anthropic_evidence_recall", evidence.recall, "ratio", anthropicOptions(series, "anthropic_evidence_recall")),
    measured("real-data", "anthropic_prompt_ratio", evidence.promptRatio, "ratio", anthropicOptions(series, "anthropic_prompt_ratio")),
  ];
  const missedItems = evidence.items.filter((i) => i.missed.length > 0);
  const anthropicNotes = [
    `${series} anthropic (fake server, ${evidence.requests} requests): every supporting turn of ${evidence.items.length - missedItems.length}/${evidence.items.length} gold items reached a request (${(evidence.pairRecall * 100).toFixed(1)}% of item-turn pairs); prompt ${(evidence.promptRatio * 100).toFixed(1)}% of the naive single prompt`,
    ...missedItems.map((i) => `${series} anthropic evidence missed for ${i.id}: ${i.missed.length}/${i.total} turns (${i.missed.slice(0, 4).map((r) => r.replace(/^.*?__?[a-z]*__?/, "")).join(", ")}${i.missed.length > 4 ? ", …" : ""})`),
  ];
  ctx.log(`real-data: learn on ${series} (${ids.length} sessions, ${gold.items.length} gold items)`);
  const outcome = await runDreamAndAdopt({ memoryDir, sessions: ids, consolidator: offlineConsolidator(), now: new Date() });
  const r = learnMetrics(await readLearnFolder(memoryDir), before, gold);
  const head = `${series}: ${ids.length} sessions imported, dream ${outcome.status}${outcome.adopted ? ", adopted" : `, ${outcome.note ?? "not adopted"}`} in ${outcome.seconds.toFixed(1)} s, operations ${JSON.stringify(outcome.ops)}`;
  return {
    rows: [...METRICS.map((m) => rowOf("real-data", m, r.metrics[m], "ratio", options(series, m))), ...anthropicRows],
    notes: [...describe(series, r, head), ...anthropicNotes],
  };
}

/** Every series with a gold list; a series that throws reports its figures missing with the error. */
export async function learnOnRealSeries(ctx: SuiteContext, dir: string): Promise<{ rows: Row[]; notes: string[]; problems: string[] }> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const problems: string[] = [];
  for (const series of LEARN_SERIES) {
    try {
      const r = await learnOnSeries(ctx, join(dir, series), series);
      rows.push(...r.rows);
      notes.push(...r.notes);
    } catch (error) {
      const problem = `learn on ${series} did not run: ${(error as Error).message.slice(0, 300)}`;
      rows.push(...missingRows(series, problem));
      notes.push(problem);
      problems.push(problem);
    }
  }
  return { rows, notes, problems };
}
