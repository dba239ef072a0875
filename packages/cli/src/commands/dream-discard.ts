import { discardDream } from "@reverie/dream";
import { print, type CommandContext } from "../context.js";

export async function run(ctx: CommandContext, id: string): Promise<void> {
  const record = await discardDream(ctx.dir, id);
  print(ctx, `discarded ${id}: branch deleted, the memory is unchanged`, record);
}
