import { parseNote } from "@reverie/core";
import { anthropicConsolidator, costOf, naiveDreamPrompt, priceFor, type ConsolidateInput } from "@reverie/dream";
import { reply, startFakeAnthropic } from "@reverie/test-utils";
import { generateScenario, ScenarioSizes } from "../generator/generate-scenario.js";
import { budgetOf } from "../report/budgets.js";
import { measured, missing, type Row } from "../report/row.js";
import { QUALITY_SEED } from "./quality-suite.js";
import type { SuiteContext, SuiteResult } from "./suite.js";

/** Models priced per session (DESIGN §6 names Sonnet 4.6 and Haiku 4.5). */
export const COST_MODELS = ["claude-sonnet-4-6", "claude-haiku-4-5"] as const;

/**
 * The cost suite: the anthropic consolidator dreams the quality scenario against the fake
 * Anthropic server, which answers every request with no operations and records what was
 * sent. Prompt characters are compared with a naive single-prompt dream of the same input;
 * cache-read share and dollars come from the usage the server reports (characters / 4, with
 * prompt caching modelled on `cache_control` prefixes). The answers are scripted, so output
 * tokens are a floor: these are input-side figures.
 */
export async function costSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const scenario = generateScenario(QUALITY_SEED, ctx.quick ? ScenarioSizes.quick : ScenarioSizes.full);
  const input: ConsolidateInput = { memories: scenario.memories.map((m) => parseNote(m.path, m.content)), sessions: scenario.sessions, now: scenario.now };
  const naive = naiveDreamPrompt(input);
  const fake = await startFakeAnthropic({ responder: () => reply.toolUse("propose_operations", { operations: [] }) });
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    for (const model of COST_MODELS) {
      ctx.log(`cost: ${model} through the fake Anthropic server`);
      fake.clearCache();
      const from = fake.log.length;
      const out = await anthropicConsolidator({ model, baseURL: fake.url, apiKey: "bench-fake-key", local: false }).consolidate(input);
      const sent = fake.log.slice(from).filter((e) => e.kind === "messages" || e.kind === "batch_item");
      const chars = sent.reduce((a, e) => a + e.promptChars, 0);
      let read = 0;
      let total = 0;
      for (const e of sent) {
        if (!e.usage) continue;
        read += e.usage.cache_read_input_tokens;
        total += e.usage.input_tokens + e.usage.cache_creation_input_tokens + e.usage.cache_read_input_tokens;
      }
      const dollars = costOf(out.usage, priceFor(model));
      notes.push(`${model}: ${sent.length} requests, ${chars} prompt characters sent vs ${naive.chars} for the naive single prompt; usage ${JSON.stringify(out.usage)}; consolidator's own cost $${out.costUsd.toFixed(4)}`);
      if (model === COST_MODELS[0]) {
        const budget = budgetOf("anthropic_prompt_ratio");
        rows.push(
          sent.length === 0
            ? missing("cost", "anthropic_prompt_ratio", "ratio", "the consolidator sent no request", budget ? { budget } : {})
            : measured("cost", "anthropic_prompt_ratio", chars / naive.chars, "ratio", { subject: `quality scenario, ${scenario.sessions.length} sessions`, ...(budget ? { budget } : {}) }),
          total === 0 ? missing("cost", "anthropic_cache_read_share", "ratio", "the fake server reported no input tokens") : measured("cost", "anthropic_cache_read_share", read / total, "ratio", { subject: "fake server usage" }),
        );
      }
      rows.push(measured("cost", "cost_usd_per_session", dollars / scenario.sessions.length, "usd", { subject: model }));
    }
  } finally {
    await fake.close();
  }
  notes.push("answers are scripted (no operations), so output tokens are a floor; prices from @reverie/dream's ANTHROPIC_PRICES");
  return { rows, notes, series: [] };
}
