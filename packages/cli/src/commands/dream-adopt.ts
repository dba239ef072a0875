import { adoptDream, readDream } from "@reverie/dream";
import { openMemory } from "@reverie/core";
import { print, short, type CommandContext } from "../context.js";
import { positiveInt } from "./numbers.js";

export async function run(ctx: CommandContext, id: string, flags: { skip?: string[]; force?: boolean }): Promise<void> {
  const skip = (flags.skip ?? []).flatMap((s) => s.split(",")).map((s) => positiveInt(s.trim(), "--skip"));
  const memory = await openMemory(ctx.dir);
  const result = await adoptDream(memory.dir, id, { skip, force: flags.force === true });
  const record = await readDream(memory.dir, id);
  // The library's list is deduplicated: `--skip 1 --skip 1` leaves out one operation.
  const skipped = result.adopted?.skipped ?? [];
  const kept = record.operations.length - skipped.length;
  print(ctx, `adopted ${id}: ${kept} operation(s)${skipped.length ? ` (skipped ${skipped.join(", ")})` : ""} merged in commit ${short(result.adopted?.commit)}`, record);
}
