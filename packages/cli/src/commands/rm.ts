import { openMemory } from "@reverie/core";
import { print, short, type CommandContext } from "../context.js";
import { mutationOptions, type MutationFlags } from "./options.js";

export async function run(ctx: CommandContext, path: string, flags: MutationFlags): Promise<void> {
  const options = mutationOptions(ctx, flags);
  const memory = await openMemory(ctx.dir);
  const result = await memory.remove(path, options);
  print(ctx, `deleted ${result.path} (commit ${short(result.commit)})`, result);
}
