import { openMemory } from "@reverie/core";
import { print, type CommandContext } from "../context.js";

export async function run(ctx: CommandContext, path: string): Promise<void> {
  const memory = await openMemory(ctx.dir);
  const file = await memory.read(path);
  if (ctx.json) {
    const { path: p, sha256, title, frontmatter, hasFrontmatter, body, mount, readOnly } = file;
    print(ctx, "", { path: p, sha256, title, frontmatter, hasFrontmatter, body, mount, readOnly });
  } else {
    ctx.stdout.write(file.content);
  }
}
