import { openMemory } from "@reverie/core";
import { print, short, type CommandContext } from "../context.js";
import { positiveInt } from "./numbers.js";

export async function run(ctx: CommandContext, path: string | undefined, flags: { limit?: string }): Promise<void> {
  const limit = flags.limit === undefined ? undefined : positiveInt(flags.limit, "--limit");
  const memory = await openMemory(ctx.dir);
  const history = await memory.history(path, limit === undefined ? {} : { limit });
  const lines = history.map((h) => {
    const who = [h.agent ? `agent=${h.agent}` : `author=${h.author}`, h.session ? `session=${h.session}` : "", h.dream ? `dream=${h.dream}` : ""]
      .filter(Boolean)
      .join(" ");
    return `${short(h.commit)} ${h.date} ${(h.dreamOp ?? h.op ?? "-").padEnd(10)} ${h.subject}  ${who}`;
  });
  print(ctx, lines.length > 0 ? lines.join("\n") : "No history yet.", history);
}
