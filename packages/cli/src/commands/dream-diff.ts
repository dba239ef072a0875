import { openMemory, ReverieError } from "@reverie/core";
import { readDream } from "@reverie/dream";
import { print, type CommandContext } from "../context.js";

export async function run(ctx: CommandContext, id: string, flags: { stat?: boolean }): Promise<void> {
  const memory = await openMemory(ctx.dir);
  const record = await readDream(memory.dir, id);
  if (!record.outputs.branch || !record.outputs.head || !record.inputs.base_commit) {
    throw new ReverieError("INVALID_INPUT", `Dream ${id} has no branch to diff (${record.status}${record.archived_at ? ", discarded" : ""}).`, { id });
  }
  const args = ["diff", ...(flags.stat ? ["--stat"] : []), ...(ctx.stdout.isTTY ? ["--color=always"] : []), record.inputs.base_commit, record.outputs.head, "--"];
  const diff = (await memory.repo.run(args)).stdout;
  print(ctx, diff, { id, base: record.inputs.base_commit, head: record.outputs.head, diff });
}
