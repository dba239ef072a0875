import { openMemory } from "@reverie/core";
import { importTranscripts, type TranscriptFormat } from "@reverie/dream";
import { note, print, type CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

export async function run(ctx: CommandContext, files: string[], flags: { format: "auto" | TranscriptFormat; strict?: boolean }): Promise<number> {
  const memory = await openMemory(ctx.dir);
  const result = await importTranscripts({ memoryDir: memory.dir, inputs: files, format: flags.format, strict: flags.strict === true });
  for (const bad of result.badLines) note(ctx, `${bad.file}:${bad.line}: skipped: ${bad.reason}`);
  for (const failed of result.failed) note(ctx, `${failed.file}: not imported: ${failed.message}`);
  const lines = result.sessions.map((s) => {
    const c = s.counts;
    const extra = [c.badLines ? `${c.badLines} bad lines` : "", c.skippedLines ? `${c.skippedLines} skipped` : "", c.unknownLines ? `${c.unknownLines} unknown` : ""]
      .filter(Boolean)
      .join(", ");
    return `${s.status.padEnd(9)} ${s.id}  ${s.format}: ${c.messages} messages, ${c.toolCalls} tool calls, ${c.toolErrors} tool errors${extra ? `, ${extra}` : ""}  <- ${s.file}`;
  });
  const total = `${result.sessions.length} session(s) from ${files.length} input(s)${result.failed.length ? `, ${result.failed.length} file(s) failed` : ""}.`;
  print(ctx, [...lines, total].join("\n"), result);
  return result.failed.length > 0 ? EXIT.user : EXIT.ok;
}
