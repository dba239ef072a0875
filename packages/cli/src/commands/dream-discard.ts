import { discardDream } from "@reverie/dream";
import { print, short, type CommandContext } from "../context.js";

export async function run(ctx: CommandContext, id: string): Promise<void> {
  const record = await discardDream(ctx.dir, id);
  const human = record.adopted
    ? `discarded ${id}: its review branch is deleted; the operations adopted in commit ${short(record.adopted.commit)} stay in the memory`
    : `discarded ${id}: branch deleted, the memory is unchanged`;
  print(ctx, human, record);
}
