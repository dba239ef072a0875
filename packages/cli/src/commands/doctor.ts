import { openMemory } from "@reverie/core";
import { dirFlag, print, type CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

/**
 * Lists every problem; with --fix, first repairs what is safe (stale git locks, temps,
 * interrupted operations, staged leftovers) and says what it did. Exits 1 while an error
 * remains (a live lock, a rebase or merge for a person to finish), else 0.
 */
export async function run(ctx: CommandContext, flags: { fix?: boolean } = {}): Promise<number> {
  const memory = await openMemory(ctx.dir);
  try {
    const repaired = flags.fix === true ? await memory.repair({ handlers: (await import("@reverie/dream")).journalHandlers }) : [];
    const found = await memory.doctor();
    const errors = found.filter((d) => d.severity === "error").length;
    const warnings = found.length - errors;
    const fixed = repaired.map((r) => `fixed   ${r.code}: ${r.message.replace(/^reverie: /, "")}`);
    const lines = found.map((d) => `${d.severity === "error" ? "error  " : "warning"} ${d.code}: ${d.message}`);
    const summary = found.length === 0 ? `${memory.dir}: no problems found.` : `${errors} error(s), ${warnings} warning(s) in ${memory.dir}.`;
    const hint = flags.fix !== true && found.some((d) => FIXABLE.has(d.code)) ? [`Run reverie doctor --fix${dirFlag(ctx.dir)} to repair what is safe to repair.`] : [];
    print(ctx, [...fixed, ...lines, summary, ...hint].join("\n"), { dir: memory.dir, ok: errors === 0, errors, warnings, problems: found, fixed: repaired });
    return errors > 0 ? EXIT.user : EXIT.ok;
  } finally {
    await memory.close();
  }
}

const FIXABLE = new Set(["GIT_LOCKED", "STALE_LOCK", "INTERRUPTED", "TEMP_FILE", "STAGED"]);
