import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { initMemory, openMemory } from "@reverie/core";
import { importTranscripts, offlineConsolidator, serializeSession } from "@reverie/dream";
import { runDream } from "../dream/run-dream-and-adopt.js";
import { writeScenarioFolder } from "../dream/scenario-folder.js";
import { bulkMemories } from "../generator/bulk-memories.js";
import { generateScenario } from "../generator/generate-scenario.js";
import type { Scenario, ScenarioSize } from "../generator/scenario.js";
import { median, percentile, timeMs } from "../metrics/stats.js";
import { budgetOf } from "../report/budgets.js";
import { measured, missing, type Row } from "../report/row.js";
import { peersRows } from "./peers.js";
import type { Series, SuiteContext, SuiteResult } from "./suite.js";

const SEED = 424242;
const QUERIES = ["port", "billing api", "region deploy", "config yaml", "timeout", "make test", "node version", "owner reviews", "checkout", "gateway port", "ledger worker", "terraform", "eu-west", "staging"];

function row(metric: string, value: number, unit: string, subject: string): Row {
  const budget = budgetOf(metric);
  return measured("speed", metric, value, unit, { subject, ...(budget ? { budget } : {}) });
}

/** A dream-sized scenario: `sessions` sessions of about `events` events over about `memories` memories. */
export function dreamScenario(seed: number, memories: number, sessions: number, events: number): Scenario {
  const size: ScenarioSize = {
    untouchedFacts: Math.max(10, Math.round(memories * 0.88)),
    duplicateClusters: Math.max(1, Math.round(memories * 0.02)),
    lookAlikePairs: Math.max(1, Math.round(memories * 0.01)),
    updates: Math.max(1, Math.round(memories * 0.02)),
    patterns: Math.min(8, Math.max(1, Math.floor(sessions / 10))),
    decoys: Math.min(4, Math.max(0, Math.floor(sessions / 20))),
    verifications: Math.max(1, Math.round(memories * 0.02)),
    injections: Math.min(6, Math.max(1, Math.floor(sessions / 15))),
    sessions,
    fillerEvents: events,
  };
  return generateScenario(seed, size);
}

function naivePromptTokens(s: Scenario): number {
  let chars = 0;
  for (const m of s.memories) chars += m.content.length;
  for (const session of s.sessions) chars += serializeSession(session).length;
  // The same 4-characters-a-token estimate as the fake Anthropic server (estimateTokens).
  return Math.ceil(chars / 4);
}

async function writeLatency(dir: string, writes: number): Promise<number> {
  await initMemory(dir).then((m) => m.close());
  const memory = await openMemory(dir, { agent: "bench" });
  const samples: number[] = [];
  for (let i = 0; i < writes; i++) {
    samples.push(await timeMs(() => memory.write(`notes/write-${i}.md`, `Write ${i}: the bench-${i} service listens on port ${6000 + i}.\n`, { session: "ses_bench_write" })));
  }
  await memory.close();
  return median(samples);
}

async function searchTimings(dir: string, repeats: number, queries: number): Promise<{ rebuildS: number; coldMs: number; searchP50: number }> {
  const cache = join(dir, ".reverie", "cache");
  const rebuilds: number[] = [];
  for (let i = 0; i < repeats; i++) {
    await rm(cache, { recursive: true, force: true });
    const memory = await openMemory(dir);
    rebuilds.push(await timeMs(() => memory.search("port")));
    await memory.close();
  }
  const colds: number[] = [];
  for (let i = 0; i < repeats + 2; i++) {
    const memory = await openMemory(dir);
    colds.push(await timeMs(async () => memory.search("billing")));
    await memory.close();
  }
  const memory = await openMemory(dir);
  await memory.search("warm");
  const samples: number[] = [];
  for (let i = 0; i < queries; i++) samples.push(await timeMs(() => memory.search(QUERIES[i % QUERIES.length]!, { limit: 10 })));
  await memory.close();
  return { rebuildS: median(rebuilds) / 1000, coldMs: median(colds), searchP50: percentile(samples, 50) };
}

async function importRate(root: string, megabytes: number, repeats: number): Promise<number> {
  const input = join(root, "import-input");
  await mkdir(input, { recursive: true });
  let bytes = 0;
  for (let i = 0; bytes < megabytes * 2 ** 20; i++) {
    const s = dreamScenario(SEED + 1000 + i, 20, 10, 400).sessions;
    for (const session of s) {
      const text = serializeSession(session);
      await writeFile(join(input, `${i}-${session.header.id}.jsonl`), text);
      bytes += Buffer.byteLength(text);
    }
  }
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const memoryDir = join(root, `import-memory-${r}`);
    await initMemory(memoryDir).then((m) => m.close());
    const ms = await timeMs(() => importTranscripts({ memoryDir, inputs: [input] }));
    rates.push(bytes / 2 ** 20 / (ms / 1000));
  }
  return median(rates);
}

async function dreamSeconds(root: string, scenario: Scenario, repeats: number): Promise<{ seconds: number; status: string }> {
  await mkdir(root, { recursive: true });
  const folder = await writeScenarioFolder(root, scenario.memories, scenario.sessions);
  const times: number[] = [];
  let status = "completed";
  for (let i = 0; i < repeats; i++) {
    const { record, seconds } = await runDream({ memoryDir: folder.memoryDir, sessions: [folder.sessionsDir], consolidator: offlineConsolidator(), now: new Date(scenario.now) });
    status = record.status;
    if (record.status !== "completed") break;
    times.push(seconds);
  }
  return { seconds: median(times), status };
}

/**
 * The speed suite: medians of repeated runs for writes, search over 10,000 memories, offline
 * dreams, and transcript import, plus growth series over sessions and memories.
 */
export async function speedSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const series: Series[] = [];
  const q = ctx.quick;

  ctx.log("speed: write");
  const writes = q ? 40 : 200;
  rows.push(row("write_p50_ms", await writeLatency(join(ctx.workDir, "write"), writes), "ms", `${writes} writes, each one commit`));

  ctx.log("speed: against server-memory and the SDK's memory tool");
  const peers = await peersRows(ctx);
  rows.push(...peers.rows);
  notes.push(...peers.notes);

  ctx.log("speed: search over 10,000 memories");
  const bulkRoot = join(ctx.workDir, "bulk");
  await mkdir(bulkRoot, { recursive: true });
  const bulk = await writeScenarioFolder(bulkRoot, bulkMemories(10_000, SEED), []);
  const s = await searchTimings(bulk.memoryDir, q ? 2 : 5, q ? 300 : 2000);
  rows.push(row("search_p50_ms_10k", s.searchP50, "ms", "10,000 memories, warm index, limit 10"));
  rows.push(row("cold_open_ms_10k", s.coldMs, "ms", "open + first search with a cached index"));
  rows.push(row("index_rebuild_s_10k", s.rebuildS, "s", "open + first search with no cache"));

  ctx.log("speed: offline dream, 100 sessions over 2,000 memories");
  const big = dreamScenario(SEED, 2000, 100, 190);
  const events = big.sessions.reduce((a, x) => a + x.events.length, 0);
  const d = await dreamSeconds(join(ctx.workDir, "dream-100"), big, q ? 2 : 3);
  const subject = `${big.sessions.length} sessions × ${Math.round(events / big.sessions.length)} events, ${big.memories.length} memories, branch written`;
  rows.push(Number.isNaN(d.seconds) ? missing("speed", "dream_offline_100_sessions_s", "s", `the dream ended ${d.status}`, { subject }) : row("dream_offline_100_sessions_s", d.seconds, "s", subject));

  ctx.log("speed: import");
  const mb = q ? 16 : 64;
  rows.push(row("import_mb_per_s", await importRate(join(ctx.workDir, "import"), mb, q ? 2 : 3), "MB/s", `~${mb} MB of normalized sessions`));

  ctx.log("speed: growth with sessions");
  const sessionSteps = q ? [10, 30, 100] : [10, 100, 300, 1000];
  const bySessions: Series = { chart: "growth-sessions", name: "offline dream (s)", xLabel: "sessions (200 memories)", yLabel: "seconds", points: [] };
  const tokensBySessions: Series = { chart: "tokens-sessions", name: "naive single-prompt dream (tokens)", xLabel: "sessions (200 memories)", yLabel: "tokens", points: [] };
  for (const n of sessionSteps) {
    const sc = dreamScenario(SEED + n, 200, n, 40);
    const r = await dreamSeconds(join(ctx.workDir, `grow-s-${n}`), sc, 1);
    if (!Number.isNaN(r.seconds)) bySessions.points.push({ x: n, y: r.seconds });
    tokensBySessions.points.push({ x: n, y: naivePromptTokens(sc) });
    rows.push(measured("speed", "dream_offline_growth_s", r.seconds, "s", { subject: `${n} sessions, 200 memories` }));
  }
  series.push(bySessions, tokensBySessions);

  ctx.log("speed: growth with memories");
  const memorySteps = q ? [100, 1000, 5000] : [100, 1000, 5000, 20000];
  const byMemories: Series = { chart: "growth-memories", name: "offline dream (s)", xLabel: "memories (20 sessions)", yLabel: "seconds", points: [] };
  const searchByMemories: Series = { chart: "search-memories", name: "search p50 (ms)", xLabel: "memories", yLabel: "milliseconds", points: [] };
  const tokensByMemories: Series = { chart: "tokens-memories", name: "naive single-prompt dream (tokens)", xLabel: "memories (20 sessions)", yLabel: "tokens", points: [] };
  for (const n of memorySteps) {
    const sc = dreamScenario(SEED + 7 * n, n, 20, 40);
    const dir = join(ctx.workDir, `grow-m-${n}`);
    const r = await dreamSeconds(dir, sc, 1);
    if (!Number.isNaN(r.seconds)) byMemories.points.push({ x: sc.memories.length, y: r.seconds });
    tokensByMemories.points.push({ x: sc.memories.length, y: naivePromptTokens(sc) });
    const memory = await openMemory(join(dir, "memory"));
    await memory.search("warm");
    const samples: number[] = [];
    for (let i = 0; i < 100; i++) samples.push(await timeMs(() => memory.search(QUERIES[i % QUERIES.length]!, { limit: 10 })));
    await memory.close();
    const p50 = percentile(samples, 50);
    searchByMemories.points.push({ x: sc.memories.length, y: p50 });
    rows.push(measured("speed", "dream_offline_growth_s", r.seconds, "s", { subject: `${sc.memories.length} memories, 20 sessions` }));
    rows.push(measured("speed", "search_growth_p50_ms", p50, "ms", { subject: `${sc.memories.length} memories` }));
  }
  series.push(byMemories, searchByMemories, tokensByMemories);
  notes.push("growth: the token charts show the naive single-prompt dream (whole memory + all transcripts, 4 characters a token) that anthropic_prompt_ratio is measured against; the anthropic consolidator's own tokens are in the cost suite at one size. Timings share this 2-core machine with other work, so single runs vary: write_p50_ms has read 13–39 ms, the high end within minutes of a mass delete (bench/README.md, Timing on a shared VM).");
  return { rows, notes, series };
}
