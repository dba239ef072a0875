import { ReverieError } from "@reverie/core";
import { anthropicConsolidator, offlineConsolidator, type Consolidator } from "@reverie/dream";
import type { CommandContext } from "../context.js";

export interface ProviderFlags {
  provider?: string;
  model?: string;
  baseUrl?: string;
  batchApi?: boolean;
}

export const DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-6";

/**
 * Picks the consolidator for `reverie dream`. The environment (ANTHROPIC_API_KEY,
 * ANTHROPIC_AUTH_TOKEN, ANTHROPIC_BASE_URL) is read here, in the composition root, and
 * nowhere else.
 */
export async function consolidatorFor(
  ctx: CommandContext,
  flags: ProviderFlags,
  budgetUsd: number | undefined,
  defaults: { provider?: string; model?: string } = {},
): Promise<{ consolidator: Consolidator; model?: string }> {
  const provider = flags.provider ?? defaults.provider ?? "offline";
  if (provider === "offline") {
    if (flags.model) throw new ReverieError("INVALID_INPUT", "--model applies to --provider anthropic; the offline consolidator uses no model.", {});
    return { consolidator: offlineConsolidator() };
  }
  if (provider !== "anthropic") {
    throw new ReverieError("INVALID_INPUT", `Unknown provider ${JSON.stringify(provider)}: use offline (no key needed) or anthropic.`, { provider });
  }
  const model = flags.model ?? defaults.model ?? DEFAULT_ANTHROPIC_MODEL;
  const baseURL = flags.baseUrl ?? (ctx.env.ANTHROPIC_BASE_URL || undefined);
  const apiKey = ctx.env.ANTHROPIC_API_KEY || undefined;
  const authToken = ctx.env.ANTHROPIC_AUTH_TOKEN || undefined;
  if (!apiKey && !authToken && !baseURL) {
    throw new ReverieError(
      "INVALID_INPUT",
      "--provider anthropic needs ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN) in the environment, or --base-url for a local Anthropic-compatible server. Without a key, use the default offline provider.",
      {},
    );
  }
  const consolidator = anthropicConsolidator({
    model,
    ...(apiKey ? { apiKey } : {}),
    ...(authToken ? { authToken } : {}),
    ...(baseURL ? { baseURL, local: "auto" as const } : {}),
    ...(budgetUsd !== undefined ? { budgetUsd } : {}),
    ...(flags.batchApi ? { batchApi: true } : {}),
  });
  return { consolidator, model };
}
