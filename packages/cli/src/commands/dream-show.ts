import { gateState, newestDream, quoteEvidence, readDream, BLOCKING_GATES, type DreamRecord, type QuotedTurn } from "@reverie/dream";
import { openMemory, ReverieError, shellWord } from "@reverie/core";
import { dirFlag, print, short, type CommandContext } from "../context.js";

/** Failures of the model provider, where resuming reuses the answers already paid for. */
const MODEL_ERRORS: ReadonlySet<string> = new Set(["model_error", "rate_limited", "timeout"]);

function ops(record: DreamRecord): string {
  const parts = Object.entries(record.outputs.ops)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`);
  return parts.length > 0 ? parts.join(", ") : record.outputs.index?.commit ? `no operations, ${record.outputs.index.path} rebuilt` : "no changes";
}

/** A cited turn as `dream show --evidence` prints it, indented under its operation. */
function quoteLines(quote: QuotedTurn): string[] {
  const where = [quote.at ? quote.at.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, " UTC") : "undated", quote.source ?? quote.stored].join(", ");
  const lines = [`         ${quote.session}#${quote.turn}  (${where})`];
  if (quote.missing) lines.push(`           not quoted: ${quote.missing}`);
  for (const line of quote.lines) {
    const [first, ...rest] = line.text.split("\n");
    lines.push(`           ${`${line.label}:`.padEnd(10)}${first}`, ...rest.map((r) => `           ${" ".repeat(10)}${r}`));
  }
  return lines;
}

/**
 * The human summary of a run: what it proposes, why, the gates, and what to do next. With
 * `quotes` (aligned with the operations), each operation's evidence is quoted under it.
 */
export function describeRun(record: DreamRecord, dirArg: string, quotes?: QuotedTurn[][]): string {
  const lines: string[] = [];
  const cost = record.usage.cost_usd > 0 ? `, $${record.usage.cost_usd.toFixed(4)}` : "";
  const tokens = record.usage.input_tokens + record.usage.output_tokens > 0 ? `, ${record.usage.input_tokens} in / ${record.usage.output_tokens} out tokens${cost}` : "";
  lines.push(`Dream ${record.id}: ${record.status} (${record.provider}${record.model ? ` ${record.model}` : ""}, ${record.inputs.sessions.length} sessions, base ${short(record.inputs.base_commit)}${tokens})`);
  if (record.error) lines.push(`  error (${record.error.type}): ${record.error.message}`);
  if (record.resumed_from) lines.push(`  resumed from ${record.resumed_from}`);
  if (record.redacted && record.redacted.count > 0) {
    const kinds = Object.entries(record.redacted.kinds).map(([kind, n]) => (n === 1 ? kind : `${n} ${kind}`));
    lines.push(`  redacted ${record.redacted.count} secret${record.redacted.count === 1 ? "" : "s"} from the inputs before consolidating: ${kinds.join(", ")}`);
  }
  const undated = record.inputs.undated ?? [];
  if (undated.length > 0) {
    lines.push(`  order guessed: ${undated.length} of ${record.inputs.sessions.length} sessions carry no timestamps, so they were read by file name, before the dated ones (${undated.slice(0, 3).join(", ")}${undated.length > 3 ? ", …" : ""}); "latest" among them follows that order`);
  }
  const dir = dirFlag(dirArg);
  if (record.status === "failed" && (record.provider === "anthropic" || (record.error !== null && MODEL_ERRORS.has(record.error.type)))) lines.push(`  resume without paying again for finished requests: reverie dream --resume ${record.id}${dir}`);
  if (record.outputs.branch || record.operations.length > 0) lines.push(`  ${ops(record)}${record.outputs.branch ? ` on branch ${record.outputs.branch}` : ""}`);
  for (const op of record.operations) {
    const cites = op.evidence.map((e) => `${e.session}#${e.turn}`).join(", ");
    const skipped = record.adopted?.skipped.includes(op.index) ? " (skipped)" : "";
    lines.push(`  ${String(op.index).padStart(3)}. ${op.kind.padEnd(10)} ${op.paths.join(", ")}${skipped}`);
    lines.push(`       ${op.reason}`);
    if (quotes?.[op.index - 1]?.length) lines.push("       evidence:", ...quotes[op.index - 1]!.flatMap(quoteLines));
    else if (cites) lines.push(`       evidence: ${cites}`);
    if (op.usage) lines.push(`       tokens: ${op.usage.input_tokens} in / ${op.usage.output_tokens} out, $${op.usage.cost_usd.toFixed(4)}`);
  }
  const index = record.outputs.index;
  if (index) {
    const total = index.listed + index.left_out.length;
    lines.push(`  index ${index.path}: lists ${index.listed} of ${total} memor${total === 1 ? "y" : "ies"}${index.commit ? "" : " (unchanged)"}`);
    if (index.left_out.length > 0) {
      const names = index.left_out.slice(0, 20).join(", ");
      lines.push(`       not listed (no room within Claude Code's 200 lines / 25 KB): ${names}${index.left_out.length > 20 ? `, and ${index.left_out.length - 20} more (--json lists all)` : ""}`);
    }
    if (index.quarantined.length > 0) lines.push(`       not listed (trust: low, quarantined): ${index.quarantined.join(", ")}`);
    if (index.notes_left_out > 0) lines.push(`       ${index.notes_left_out} line(s) of notes in the old ${index.path} did not fit; they stay in its history`);
  }
  if (record.gates.length > 0) {
    lines.push("  gates:");
    for (const gate of record.gates) {
      const state = gateState(gate);
      const mark = state === "fail" ? "FAIL" : state;
      lines.push(`    ${mark}  ${gate.name}: ${gate.detail}`);
    }
  }
  for (const line of record.ignored_instructions) lines.push(`  instruction not applied: ${line}`);
  for (const warning of record.warnings) lines.push(`  warning: ${warning}`);
  if (record.adopted) lines.push(`  adopted in commit ${short(record.adopted.commit)} at ${record.adopted.at}`);
  else if (record.archived_at) lines.push(`  discarded at ${record.archived_at}`);
  else if (record.status === "completed" && record.outputs.branch) {
    const blocked = record.gates.filter((g) => BLOCKING_GATES.has(g.name) && !g.passed).map((g) => g.name);
    if (blocked.length > 0) {
      lines.push(`  gate(s) ${blocked.join(", ")} failed: fix or discard; adopt anyway with --force   |   reverie dream diff ${record.id}${dir}   |   reverie dream discard ${record.id}${dir}`);
    } else {
      lines.push(`  next: reverie dream review ${record.id}${dir}   |   reverie dream diff ${record.id}${dir}   |   reverie dream adopt ${record.id}${dir} [--skip N]   |   reverie dream discard ${record.id}${dir}`);
    }
  }
  return lines.join("\n");
}

/** The dream `id`, or without one the newest; NOT_FOUND when the memory has none. */
export async function dreamOrNewest(memoryDir: string, dirArg: string, id: string | undefined): Promise<DreamRecord> {
  if (id !== undefined) return readDream(memoryDir, id);
  const newest = await newestDream(memoryDir);
  if (!newest) throw new ReverieError("NOT_FOUND", `No dreams yet in ${dirArg}. Start one with: reverie dream${dirFlag(dirArg)} --sessions <transcripts>`, { dir: dirArg });
  return newest;
}

export async function run(ctx: CommandContext, id: string | undefined, flags: { evidence?: boolean }): Promise<void> {
  const memory = await openMemory(ctx.dir);
  const record = await dreamOrNewest(memory.dir, ctx.dir, id);
  if (!flags.evidence) return print(ctx, describeRun(record, ctx.dir), record);
  const quotes = await quoteEvidence(memory.dir, record);
  print(ctx, describeRun(record, ctx.dir, quotes), { ...record, operations: record.operations.map((op, i) => ({ ...op, quotes: quotes[i] })) });
}
