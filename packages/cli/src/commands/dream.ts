import { isReverieError, openMemory, ReverieError, type ErrorCode } from "@reverie/core";
import { BLOCKING_GATES, dream, readDream, readInstructionsFile, type DreamErrorType, type DreamRecord } from "@reverie/dream";
import { dirFlag, print, type CommandContext } from "../context.js";
import { EXIT, exitCodeFor } from "../exit-codes.js";
import { progressReporter } from "../progress.js";
import { resolveSessionsArgument } from "../claude-code-paths.js";
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

/** `reverie dream`: runs a dream and prints what it proposes; the exit code is {@link dreamExitCode}'s. */
export async function run(ctx: CommandContext, flags: DreamFlags): Promise<number> {
  const budgetUsd = flags.budgetUsd === undefined ? undefined : nonNegativeNumber(flags.budgetUsd, "--budget-usd");
  const instructions = flags.instructions === undefined ? undefined : await readInstructionsFile(flags.instructions);
  const memory = await openMemory(ctx.dir);
  const sessions = flags.sessions ? await resolveSessionsArgument(ctx.env, process.cwd(), flags.sessions) : undefined;
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
      memory,
      ...(flags.resume ? { resume: flags.resume } : {}),
      ...(sessions ? { sessions } : {}),
      consolidator: consolidator.consolidator,
      ...(consolidator.model ? { model: consolidator.model } : {}),
      ...(instructions !== undefined ? { instructions } : {}),
      ...(budgetUsd !== undefined ? { budgetUsd } : {}),
      autoAdopt: flags.autoAdopt === true,
      signal: controller.signal,
      onProgress: progress.onProgress,
    });
  } catch (error) {
    if (isReverieError(error, "INVALID_INPUT") && error.data.reason === "nothing_to_dream") {
      const dir = dirFlag(ctx.dir);
      throw new ReverieError(
        "INVALID_INPUT",
        `Nothing to dream over: ${memory.dir} has no memories and no imported sessions. Import sessions first: reverie import <transcripts>${dir} (e.g. ~/.claude/projects/<project>), or dream over them directly: reverie dream --sessions <transcripts>${dir}`,
        error.data,
      );
    }
    throw error;
  } finally {
    process.off("SIGINT", onSignal);
    progress.finish();
  }
  print(ctx, describeRun(record, ctx.dir), record);
  return dreamExitCode(record);
}

/** A failed run's exit code by its error type; a type added to the record must pick one here. */
const FAILED_EXIT: Readonly<Record<DreamErrorType, number>> = {
  internal_error: EXIT.internal,
  invalid_input: EXIT.user,
  input_session_unavailable: EXIT.user,
  input_memory_store_too_large: EXIT.user,
  budget_exceeded: EXIT.user,
  model_error: EXIT.user,
  rate_limited: EXIT.user,
  timeout: EXIT.user,
};

/**
 * `reverie dream`'s exit code (DESIGN §5): 3 for a bug-shaped failure, 1 for bad input, model
 * trouble or a cancel, 2 when a blocking gate failed or `--auto-adopt` was refused by a
 * conflict, 0 otherwise.
 */
export function dreamExitCode(record: DreamRecord): number {
  if (record.status === "canceled") return EXIT.user;
  if (record.status === "failed") return record.error ? FAILED_EXIT[record.error.type] ?? EXIT.internal : EXIT.internal;
  if (record.gates.some((g) => BLOCKING_GATES.has(g.name) && !g.passed)) return EXIT.conflict;
  // run-dream records a refused auto-adopt as "not adopted: <CODE>: <message>".
  const refused = record.adopted ? undefined : record.warnings.map((w) => /^not adopted: ([A-Z_]+): /.exec(w)?.[1]).find((code) => code !== undefined);
  return refused === undefined ? EXIT.ok : exitCodeFor(new ReverieError(refused as ErrorCode, "auto-adopt refused"));
}
