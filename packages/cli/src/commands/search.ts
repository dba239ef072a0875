import { openMemory } from "@reverie/core";
import { print, type CommandContext } from "../context.js";
import { positiveInt } from "./numbers.js";

export async function run(ctx: CommandContext, words: string[], flags: { limit: string }): Promise<void> {
  const limit = positiveInt(flags.limit, "--limit");
  const memory = await openMemory(ctx.dir);
  try {
    const query = words.join(" ");
    const hits = await memory.search(query, { limit });
    const lines = hits.map((hit, i) => `${String(i + 1).padStart(2)}. ${hit.path}  ${hit.title}${hit.trust === "low" ? "  [trust: low]" : ""}`);
    print(ctx, lines.length > 0 ? lines.join("\n") : `No memory matches ${JSON.stringify(query)}.`, hits);
  } finally {
    await memory.close();
  }
}
