import { initMemory } from "@reverie/core";
import { print, type CommandContext } from "../context.js";

export async function run(ctx: CommandContext, dir: string | undefined): Promise<void> {
  const memory = await initMemory(dir ?? ctx.dir);
  const head = await memory.repo.head();
  print(
    ctx,
    `Created memory ${memory.dir} (git repository, first commit ${head?.slice(0, 7)}).\nNext: echo "Use pnpm, not npm." | reverie write prefs/pm.md --dir ${dir ?? ctx.dir}`,
    { dir: memory.dir, commit: head },
  );
}
