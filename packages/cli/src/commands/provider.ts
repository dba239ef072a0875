import { ReverieError } from "@reverie/core";
import { offlineConsolidator, type Consolidator } from "@reverie/dream";
import type { CommandContext } from "../context.js";

export interface ProviderFlags {
  provider?: string;
  model?: string;
  baseUrl?: string;
  batchApi?: boolean;
}

/** Picks the consolidator for `reverie dream`; the environment is read here, in the composition root, and nowhere else. */
export async function consolidatorFor(ctx: CommandContext, flags: ProviderFlags, _budgetUsd: number | undefined): Promise<{ consolidator: Consolidator; model?: string }> {
  const provider = flags.provider ?? "offline";
  if (provider === "offline") {
    if (flags.model) throw new ReverieError("INVALID_INPUT", "--model applies to --provider anthropic; the offline consolidator uses no model.", {});
    return { consolidator: offlineConsolidator() };
  }
  throw new ReverieError("INVALID_INPUT", `Unknown provider ${JSON.stringify(provider)}: use offline (no key needed) or anthropic.`, { provider });
}
