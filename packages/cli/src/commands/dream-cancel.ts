import { cancelDream } from "@reverie/dream";
import { print, type CommandContext } from "../context.js";

export async function run(ctx: CommandContext, id: string): Promise<void> {
  const record = await cancelDream(ctx.dir, id);
  print(ctx, `${id} is ${record.status}${record.error ? ` (${record.error.type}: ${record.error.message})` : ""}`, record);
}
