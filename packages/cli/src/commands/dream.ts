import { openMemory, ReverieError } from "@reverie/core";
import { BLOCKING_GATES, dream, readDream, readInstructionsFile, type DreamRecord } from "@reverie/dream";
import { print, type CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { progressReporter } from "../progress.js";
import { describeRun } from "./dream-show.js";
import { nonNegativeNumber } from "./numbers.js";
import { consolidatorFor, type ProviderFlags } from "./provider.js";

interface DreamFlags extends ProviderFlags {
  resume?: string;
  sessions?: string[];
  instructions?: string;
  budgetUsd?: string;
  autoAdopt?: boolean;
}

/** `reverie dream`: runs a dream and prints what it proposes; exits 2 when a blocking gate fails. */
export async function run(ctx: CommandContext, flags: DreamFlags): Promise<number> {
  const budgetUsd = flags.budgetUsd === undefined ? undefined : nonNegativeNumber(flags.budgetUsd, "--budget-usd");
  const instructions = flags.instructions === undefined ? undefined : await readInstructionsFile(flags.instructions);
  const memory = await openMemory(ctx.dir);
  const resumed = flags.resume ? await readDream(memory.dir, flags.resume) : null;
  const consolidator = await consolidatorFor(ctx, flags, budgetUsd, {
    provider: resumed?.provider ?? memory.config.dream.provider,
    ...(resumed?.model ? { model: resumed.model } : memory.config.dream.model ? { model: memory.config.dream.model } : {}),
  });
  const progress = progressReporter(ctx);
  const controller = new AbortController();
  const onSignal = () => controller.abort(new ReverieError("CANCELED", "Interrupted.", {}));
  process.once("SIGINT", onSignal);
  let record: DreamRecord;
  try {
    record = await dream({
      memory: memory.dir,
      ...(flags.resume ? { resume: flags.resume } : {}),
      ...(flags.sessions ? { sessions: flags.sessions } : {}),
      consolidator: consolidator.consolidator,
      ...(consolidator.model ? { model: consolidator.model } : {}),
      ...(instructions !== undefined ? { instructions } : {}),
      ...(budgetUsd !== undefined ? { budgetUsd } : {}),
      autoAdopt: flags.autoAdopt === true,
      signal: controller.signal,
      onProgress: progress.onProgress,
    });
  } finally {
    process.off("SIGINT", onSignal);
    progress.finish();
  }
  print(ctx, describeRun(record, ctx.dir), record);
  if (record.status === "failed") return EXIT.user;
  if (record.status === "canceled") return EXIT.user;
  return record.gates.some((g) => BLOCKING_GATES.has(g.name) && !g.passed) ? EXIT.conflict : EXIT.ok;
}
