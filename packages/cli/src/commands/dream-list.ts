import { listDreams } from "@reverie/dream";
import { dirOption, print, type CommandContext } from "../context.js";

export async function run(ctx: CommandContext): Promise<void> {
  const records = await listDreams(ctx.dir);
  const lines = records.map((r) => {
    const total = Object.values(r.outputs.ops).reduce((a, b) => a + b, 0);
    const state = r.adopted ? "adopted" : r.archived_at ? "discarded" : r.status;
    return `${r.id}  ${state.padEnd(9)}  ${r.created_at}  ${r.provider.padEnd(9)}  ${total} op(s)${r.error ? `  ${r.error.type}` : ""}`;
  });
  print(ctx, lines.length > 0 ? lines.join("\n") : `No dreams yet. Start one with: reverie dream --sessions <transcripts>${dirOption(ctx.dir)}`, records);
}
