import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { openMemory, parseNote } from "@reverie/core";
import { Bm25 } from "../metrics/bm25.js";
import { writeScenarioFolder } from "../dream/scenario-folder.js";
import { budgetOf } from "../report/budgets.js";
import { measured, missing, type Row } from "../report/row.js";
import { locomoConversation } from "./locomo.js";
import { SEARCH_SUBJECTS } from "./search-subjects.js";
import { completeRows } from "./suite-failed.js";
import type { SuiteContext, SuiteResult } from "./suite.js";


/**
 * LoCoMo retrieval, when ../shared/datasets has it: every dialogue turn of all 10 conversations
 * saved as one memory (as an agent that saves everything would), each question searched in its
 * conversation's memory, recall@5 of its evidence turns — reverie's search against Okapi BM25
 * over the same memory files in the same run. Quick and full runs are the same (it takes seconds).
 */
export async function searchSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const file = join(ctx.datasetsDir, "locomo", "locomo10.json");
  if ((await stat(file).catch(() => null)) === null) {
    const reason = `skipped: no ${file} (the search suite needs ../shared/datasets/locomo)`;
    ctx.log(`search: ${reason}`);
    return { rows: completeRows("search", [], reason), notes: [reason], series: [] };
  }
  const samples = (JSON.parse(await readFile(file, "utf8")) as Array<Record<string, unknown>>).map(locomoConversation);
  const hits = { reverie: 0, bm25: 0 };
  let pairs = 0;
  let questions = 0;
  const notes: string[] = [];
  for (const conv of samples) {
    const root = join(ctx.workDir, conv.sample);
    await mkdir(root, { recursive: true });
    const folder = await writeScenarioFolder(root, conv.memories, []);
    const idAt = new Map(conv.memories.map((m) => [m.path, m.id]));
    const bm25 = new Bm25();
    for (const m of conv.memories) bm25.add(m.id, parseNote(m.path, m.content).body);
    const memory = await openMemory(folder.memoryDir);
    const before = { ...hits, pairs };
    try {
      for (const q of conv.questions) {
        const wanted = q.evidence.map((e) => conv.turnMemory.get(e)).filter((id): id is string => id !== undefined);
        if (wanted.length === 0) continue;
        questions++;
        const found = new Set((await memory.search(q.question, { limit: 5 })).map((h) => idAt.get(h.path)));
        const baseline = new Set(bm25.search(q.question, 5));
        for (const id of wanted) {
          pairs++;
          if (found.has(id)) hits.reverie++;
          if (baseline.has(id)) hits.bm25++;
        }
      }
    } finally {
      await memory.close();
    }
    notes.push(`LoCoMo ${conv.sample}: ${conv.memories.length} turn memories; evidence turns in the top 5: reverie ${hits.reverie - before.reverie}, BM25 ${hits.bm25 - before.bm25} of ${pairs - before.pairs}`);
  }
  notes.unshift(
    `LoCoMo (CC BY-NC 4.0, Maharana et al. 2024): ${samples.length} conversations, ${questions} questions with evidence, ${pairs} (question, evidence turn) pairs; one memory per dialogue turn; BM25 is Okapi (k1 1.2, b 0.75) over the memory bodies, stop words dropped, Porter stems.`,
  );
  const rows: Row[] = SEARCH_SUBJECTS.map((subject) => {
    const options = { subject, ...(subject === "reverie" ? { budget: budgetOf("locomo_search_recall_at_5")! } : {}) };
    return pairs === 0 ? missing("search", "locomo_search_recall_at_5", "ratio", "no question has evidence turns", options) : measured("search", "locomo_search_recall_at_5", hits[subject] / pairs, "ratio", options);
  });
  return { rows: completeRows("search", rows), notes, series: [] };
}
