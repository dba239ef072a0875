import { openMemory } from "@reverie/core";
import { dirOption, print, type CommandContext } from "../context.js";

export async function run(ctx: CommandContext, prefix: string | undefined): Promise<void> {
  const memory = await openMemory(ctx.dir);
  const entries = await memory.list(prefix);
  const width = Math.min(48, Math.max(0, ...entries.map((e) => e.path.length)));
  const lines = entries.map((e) => `${e.path.padEnd(width)}  ${e.problem ? `(unreadable: run reverie doctor${dirOption(ctx.dir)})` : e.title}`);
  print(ctx, lines.length > 0 ? lines.join("\n") : prefix ? `No memories under ${prefix}/.` : "No memories yet.", entries);
}
