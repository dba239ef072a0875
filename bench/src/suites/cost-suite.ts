import * as dreamApi from "@reverie/dream";
import { missing } from "../report/row.js";
import { budgetOf } from "../report/budgets.js";
import type { SuiteContext, SuiteResult } from "./suite.js";

/**
 * The cost suite: prompt size of the anthropic consolidator against a naive single-prompt
 * dream, cache-read share, and dollars per session, measured through the fake Anthropic
 * server. Until @reverie/dream exports the anthropic consolidator, every figure is missing
 * with that reason (never 0).
 */
export async function costSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const exported = "anthropicConsolidator" in dreamApi;
  const reason = exported
    ? "anthropicConsolidator is exported but the bench has not been wired to it yet"
    : "@reverie/dream exports no anthropicConsolidator yet (the anthropic consolidator is still being built), so there is nothing to send through the fake Anthropic server";
  ctx.log(`cost: ${reason}`);
  const ratioBudget = budgetOf("anthropic_prompt_ratio");
  return {
    rows: [
      missing("cost", "anthropic_prompt_ratio", "ratio", reason, ratioBudget ? { budget: ratioBudget } : {}),
      missing("cost", "anthropic_cache_read_share", "ratio", reason),
      missing("cost", "cost_usd_per_session", "usd", reason, { subject: "claude-sonnet-4-6" }),
      missing("cost", "cost_usd_per_session", "usd", reason, { subject: "claude-haiku-4-5" }),
    ],
    notes: [reason],
    series: [],
  };
}
