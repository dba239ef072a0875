import { discardDream, type DreamRecord } from "@reverie/dream";
import type { Notice } from "@reverie/core";
import { note, print, short, type CommandContext } from "../context.js";

/** Discards dream `id` and says what that did: the one path of `dream discard` and the review page's Discard button. */
export async function discardAndDescribe(dir: string, id: string, onNotice: Notice): Promise<{ human: string; record: DreamRecord }> {
  const record = await discardDream(dir, id, { onNotice });
  const human = record.adopted
    ? `discarded ${id}: its review branch is deleted; the operations adopted in commit ${short(record.adopted.commit)} stay in the memory`
    : `discarded ${id}: branch deleted, the memory is unchanged`;
  return { human, record };
}

export async function run(ctx: CommandContext, id: string): Promise<void> {
  const { human, record } = await discardAndDescribe(ctx.dir, id, (line) => note(ctx, line));
  print(ctx, human, record);
}
