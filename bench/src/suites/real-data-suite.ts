import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { initMemory, openMemory } from "@reverie/core";
import { importTranscripts, offlineConsolidator } from "@reverie/dream";
import { runDreamAndAdopt } from "../dream/run-dream-and-adopt.js";
import { readFinalFolder, writeScenarioFolder } from "../dream/scenario-folder.js";
import { measured, missing, type Row } from "../report/row.js";
import { completeRows } from "./suite-failed.js";
import { learnOnRealSeries } from "./learn-real-data.js";
import { locomoConversation, type LocomoConversation } from "./locomo.js";
import type { SuiteContext, SuiteResult } from "./suite.js";

/** The seven consecutive Claude Code sessions of one developer on one project (datasets/claude-code). */
export const ENTIREIO_SESSIONS = ["ab8c5aa0", "375d5d79", "1ed1f046", "34de7f83", "0a0314fb", "b8c1e7e5", "94e68429"] as const;
const CC_SUBJECT = "entireio 7 sessions";

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

async function claudeCode(ctx: SuiteContext, dir: string): Promise<{ rows: Row[]; notes: string[] }> {
  const folder = join(ctx.datasetsDir, "claude-code");
  const { readdir } = await import("node:fs/promises");
  const names = await readdir(folder);
  const files = ENTIREIO_SESSIONS.map((prefix) => names.find((n) => n.startsWith(`entireio__cli__${prefix}`))).filter((n): n is string => n !== undefined);
  if (files.length !== ENTIREIO_SESSIONS.length) {
    const reason = `found ${files.length} of the ${ENTIREIO_SESSIONS.length} entireio sessions in ${folder}`;
    return { rows: [missing("real-data", "claude_code_dream_s", "s", reason, { subject: CC_SUBJECT }), missing("real-data", "claude_code_operations", "count", reason, { subject: CC_SUBJECT }), missing("real-data", "claude_code_new_memories", "count", reason, { subject: CC_SUBJECT })], notes: [reason] };
  }
  const memoryDir = join(dir, "memory");
  await initMemory(memoryDir).then((m) => m.close());
  const imported = await importTranscripts({ memoryDir, inputs: files.map((f) => join(folder, f)) });
  const ids = imported.sessions.map((s) => s.id);
  const before = new Set((await readFinalFolder(memoryDir)).map((m) => m.path));
  const now = new Date();
  const outcome = await runDreamAndAdopt({ memoryDir, sessions: ids, consolidator: offlineConsolidator(), now });
  const final = await readFinalFolder(memoryDir);
  const created = final.filter((m) => !before.has(m.path));
  const ops = Object.values(outcome.ops).reduce((a, b) => a + b, 0);
  const notes = [
    `entireio: imported ${ids.length} sessions (${imported.badLines.length} bad lines reported), dream ${outcome.status}${outcome.adopted ? ", adopted" : `, ${outcome.note ?? "not adopted"}`}; operations ${JSON.stringify(outcome.ops)}`,
    ...created.map((m) => `entireio new memory ${m.path} (trust ${m.trust}, cites ${m.sourceSessions.length} sessions): ${m.text.split("\n")[0]!.slice(0, 120)}`),
  ];
  return {
    rows: [
      measured("real-data", "claude_code_dream_s", outcome.seconds, "s", { subject: CC_SUBJECT }),
      measured("real-data", "claude_code_operations", ops, "count", { subject: CC_SUBJECT }),
      measured("real-data", "claude_code_new_memories", created.length, "count", { subject: CC_SUBJECT }),
    ],
    notes,
  };
}

/** Share of (question, evidence turn) pairs whose turn memory is among the top 5 search hits, following merges. */
async function recallAt5(memoryDir: string, conv: LocomoConversation): Promise<{ hit: number; total: number }> {
  const final = await readFinalFolder(memoryDir);
  const idsAt = new Map(final.map((m) => [m.path, m.ids]));
  const memory = await openMemory(memoryDir);
  let hit = 0;
  let total = 0;
  try {
    for (const q of conv.questions) {
      const wanted = q.evidence.map((e) => conv.turnMemory.get(e)).filter((id): id is string => id !== undefined);
      if (wanted.length === 0) continue;
      const found = new Set((await memory.search(q.question, { limit: 5 })).flatMap((h) => idsAt.get(h.path) ?? []));
      for (const id of wanted) {
        total++;
        if (found.has(id)) hit++;
      }
    }
  } finally {
    await memory.close();
  }
  return { hit, total };
}

async function locomo(ctx: SuiteContext, dir: string): Promise<{ rows: Row[]; notes: string[] }> {
  const raw = JSON.parse(await readFile(join(ctx.datasetsDir, "locomo", "locomo10.json"), "utf8")) as Array<Record<string, unknown>>;
  const samples = raw.slice(0, ctx.quick ? 2 : raw.length).map(locomoConversation);
  const totals = { before: { hit: 0, total: 0 }, after: { hit: 0, total: 0 } };
  const notes: string[] = [];
  for (const conv of samples) {
    ctx.log(`real-data: LoCoMo ${conv.sample} (${conv.memories.length} turns, ${conv.sessions.length} sessions)`);
    const root = join(dir, conv.sample);
    await mkdir(root, { recursive: true });
    const folder = await writeScenarioFolder(root, conv.memories, conv.sessions);
    const before = await recallAt5(folder.memoryDir, conv);
    const last = conv.sessions[conv.sessions.length - 1]!;
    const outcome = await runDreamAndAdopt({ memoryDir: folder.memoryDir, sessions: [folder.sessionsDir], consolidator: offlineConsolidator(), now: new Date(Date.parse(last.header.ended ?? "2024-01-01T00:00:00Z") + 3_600_000) });
    const after = await recallAt5(folder.memoryDir, conv);
    notes.push(`LoCoMo ${conv.sample}: ${conv.memories.length} turn memories, ${conv.questions.length} questions; dream ${outcome.status} ${JSON.stringify(outcome.ops)}${outcome.adopted ? ", adopted" : `, ${outcome.note ?? ""}`}; recall@5 ${before.hit}/${before.total} before, ${after.hit}/${after.total} after`);
    for (const k of ["hit", "total"] as const) {
      totals.before[k] += before[k];
      totals.after[k] += after[k];
    }
  }
  const ratio = (r: { hit: number; total: number }, who: string): Row =>
    r.total === 0 ? missing("real-data", "locomo_fact_recall_at_5", "ratio", "no question has evidence turns", { subject: who }) : measured("real-data", "locomo_fact_recall_at_5", r.hit / r.total, "ratio", { subject: who });
  notes.unshift(`LoCoMo (CC BY-NC 4.0, Maharana et al. 2024): ${samples.length} conversation(s) — each dialogue turn saved as one memory (append-only), sessions dreamed offline, then each question searched (top 5) for its evidence turns' memories, following merged_ids.`);
  return { rows: [ratio(totals.before, "append-only"), ratio(totals.after, "offline")], notes };
}

/**
 * The real-data suite, when ../shared/datasets exists: a dream over seven consecutive real
 * Claude Code sessions, what offline dreams learn from each real series with a gold list
 * (`bench/gold`), and LoCoMo fact survival through a dream.
 */
export async function realDataSuite(ctx: SuiteContext): Promise<SuiteResult> {
  if (!(await exists(ctx.datasetsDir))) {
    const reason = `skipped: no datasets folder at ${ctx.datasetsDir} (the real-data suite needs ../shared/datasets)`;
    ctx.log(`real-data: ${reason}`);
    return { rows: completeRows("real-data", [], reason), notes: [reason], series: [] };
  }
  const rows: Row[] = [];
  const notes: string[] = [];
  const problems: string[] = [];
  const learned = await learnOnRealSeries(ctx, join(ctx.workDir, "learn"));
  rows.push(...learned.rows);
  notes.push(...learned.notes);
  problems.push(...learned.problems);
  for (const [name, part] of [["claude-code", claudeCode], ["locomo", locomo]] as const) {
    const dir = join(ctx.workDir, name);
    await mkdir(dir, { recursive: true });
    try {
      const r = await part(ctx, dir);
      rows.push(...r.rows);
      notes.push(...r.notes);
    } catch (error) {
      const problem = `${name} did not run: ${(error as Error).message.slice(0, 300)}`;
      notes.push(problem);
      problems.push(problem);
    }
  }
  return { rows: completeRows("real-data", rows, problems.join("; ") || undefined), notes, series: [] };
}
