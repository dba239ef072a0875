import { adoptDream, readDream } from "@reverie/dream";
import { openMemory } from "@reverie/core";
import { print, short, type CommandContext } from "../context.js";
import { positiveInt } from "./numbers.js";

export async function run(ctx: CommandContext, id: string, flags: { skip?: string[] }): Promise<void> {
  const skip = (flags.skip ?? []).flatMap((s) => s.split(",")).map((s) => positiveInt(s.trim(), "--skip"));
  const memory = await openMemory(ctx.dir);
  const result = await adoptDream(memory.dir, id, { skip });
  const record = await readDream(memory.dir, id);
  const kept = record.operations.length - skip.length;
  print(ctx, `adopted ${id}: ${kept} operation(s)${skip.length ? ` (skipped ${skip.join(", ")})` : ""} merged in commit ${short(result.adopted?.commit)}`, record);
}
