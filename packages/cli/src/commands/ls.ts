import { openMemory } from "@reverie/core";
import { print, type CommandContext } from "../context.js";

export async function run(ctx: CommandContext, prefix: string | undefined): Promise<void> {
  const memory = await openMemory(ctx.dir);
  const entries = await memory.list(prefix);
  const width = Math.min(48, Math.max(0, ...entries.map((e) => e.path.length)));
  const describe = (e: (typeof entries)[number]) =>
    e.link !== undefined ? `(symbolic link to ${e.link}, not followed)` : e.problem ? `(unreadable: ${locatedProblem(e.path, e.problem)})` : e.title;
  const lines = entries.map((e) => `${e.path.padEnd(width)}  ${describe(e)}`);
  print(ctx, lines.length > 0 ? lines.join("\n") : prefix ? `No memories under ${prefix}/.` : "No memories yet.", entries);
}

/** A problem message without the path it starts with (the line shows the path): "line 4: …". */
function locatedProblem(path: string, problem: string): string {
  if (!problem.startsWith(`${path}:`)) return problem;
  const rest = problem.slice(path.length + 1);
  const line = /^(\d+): /.exec(rest);
  return line ? `line ${line[1]}: ${rest.slice(line[0].length)}` : rest.replace(/^ /, "");
}
