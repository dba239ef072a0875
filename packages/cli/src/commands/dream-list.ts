import { BLOCKING_GATES, listDreams, type DreamRecord } from "@reverie/dream";
import { print, type CommandContext } from "../context.js";
import { dirFlag } from "./dream-show.js";

/** "3m", "5h", "2d": how long ago `iso` was, from `now`. */
export function age(iso: string, now: Date): string {
  const seconds = Math.max(0, (now.getTime() - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** The gates in one word: "ok", "FAIL loss_cap" (blocking gates that failed), "-" before they ran. */
function gates(record: DreamRecord): string {
  if (record.gates.length === 0) return "-";
  const failed = record.gates.filter((g) => BLOCKING_GATES.has(g.name) && !g.passed).map((g) => g.name);
  return failed.length > 0 ? `FAIL ${failed.join(",")}` : "ok";
}

/** "1 dedup, 3 verify" or "no ops". */
function opsByKind(record: DreamRecord): string {
  const parts = Object.entries(record.outputs.ops).filter(([, n]) => n > 0).map(([kind, n]) => `${n} ${kind}`);
  return parts.length > 0 ? parts.join(", ") : "no ops";
}

/** `reverie dream list`: one line per dream, newest first, with what a reviewer decides on. */
export async function run(ctx: CommandContext): Promise<void> {
  const records = await listDreams(ctx.dir);
  const now = new Date();
  const lines = records.map((r) => {
    const state = r.adopted ? "adopted" : r.archived_at ? "discarded" : r.status;
    const cost = r.usage.cost_usd > 0 ? `$${r.usage.cost_usd.toFixed(4)}` : "-";
    return [r.id, state.padEnd(9), `${age(r.created_at, now)} ago`.padStart(8), r.provider.padEnd(9), `gates ${gates(r)}`.padEnd(12), cost.padStart(7), ` ${opsByKind(r)}${r.error ? `  (${r.error.type})` : ""}`].join("  ");
  });
  const empty = `No dreams yet. Start one with: reverie dream${dirFlag(ctx.dir)} --sessions <transcripts>`;
  print(ctx, lines.length > 0 ? lines.join("\n") : empty, records);
}
