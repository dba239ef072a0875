import { openMemory } from "@reverie/core";
import { print, short, type CommandContext } from "../context.js";
import { mutationOptions, type MutationFlags } from "./options.js";

export async function run(ctx: CommandContext, from: string, to: string, flags: MutationFlags): Promise<void> {
  const options = mutationOptions(ctx, flags);
  const memory = await openMemory(ctx.dir);
  const result = await memory.rename(from, to, options);
  print(ctx, `renamed ${result.from} -> ${result.to} (commit ${short(result.commit)})`, result);
}
