import { adoptDream, readDream, type DreamRecord } from "@reverie/dream";
import { openMemory, type Notice } from "@reverie/core";
import { note, print, short, type CommandContext } from "../context.js";
import { positiveInt } from "./numbers.js";

/**
 * Adopts dream `id` without the `skip`ped operations, and says what was done: the one path of
 * `dream adopt` and the review page's Adopt button.
 */
export async function adoptAndDescribe(dir: string, id: string, options: { skip: number[]; force: boolean; onNotice: Notice }): Promise<{ human: string; record: DreamRecord & { already_adopted: boolean } }> {
  const memory = await openMemory(dir);
  const result = await adoptDream(memory.dir, id, options);
  const record = await readDream(memory.dir, id);
  // The library's list is deduplicated: `--skip 1 --skip 1` leaves out one operation.
  const skipped = result.adopted?.skipped ?? [];
  const kept = record.operations.length - skipped.length;
  const what = `${kept} operation(s)${skipped.length ? ` (skipped ${skipped.join(", ")})` : ""}`;
  // A retried adopt (after a timeout, a kill, a second reviewer) is a success that changed nothing.
  const human = result.alreadyAdopted
    ? `${id} was already adopted: ${what} merged in commit ${short(result.adopted?.commit)}; nothing to do.`
    : `adopted ${id}: ${what} merged in commit ${short(result.adopted?.commit)}`;
  return { human, record: { ...record, already_adopted: result.alreadyAdopted } };
}

export async function run(ctx: CommandContext, id: string, flags: { skip?: string[]; force?: boolean }): Promise<void> {
  const skip = (flags.skip ?? []).flatMap((s) => s.split(",")).map((s) => positiveInt(s.trim(), "--skip"));
  const { human, record } = await adoptAndDescribe(ctx.dir, id, { skip, force: flags.force === true, onNotice: (line) => note(ctx, line) });
  print(ctx, human, record);
}
