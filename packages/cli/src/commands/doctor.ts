import { openMemory } from "@reverie/core";
import { print, type CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

export async function run(ctx: CommandContext): Promise<number> {
  const memory = await openMemory(ctx.dir);
  try {
    const found = await memory.doctor();
    const errors = found.filter((d) => d.severity === "error").length;
    const warnings = found.length - errors;
    const lines = found.map((d) => `${d.severity === "error" ? "error  " : "warning"} ${d.code}: ${d.message}`);
    const summary = found.length === 0 ? `${memory.dir}: no problems found.` : `${errors} error(s), ${warnings} warning(s) in ${memory.dir}.`;
    print(ctx, [...lines, summary].join("\n"), { dir: memory.dir, ok: errors === 0, errors, warnings, problems: found });
    return errors > 0 ? EXIT.user : EXIT.ok;
  } finally {
    await memory.close();
  }
}
