import { openMemory } from "@reverie/core";
import { importTranscripts, type TranscriptFormat } from "@reverie/dream";
import { count, note, print, type CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

export async function run(ctx: CommandContext, files: string[], flags: { format: "auto" | TranscriptFormat; strict?: boolean }): Promise<number> {
  const memory = await openMemory(ctx.dir);
  const result = await importTranscripts({ memoryDir: memory.dir, inputs: files, format: flags.format, strict: flags.strict === true });
  for (const bad of result.badLines) note(ctx, `${bad.file}:${bad.line}: skipped: ${bad.reason}`);
  for (const failed of result.failed) note(ctx, `${failed.file}: not imported: ${failed.message}`);
  const lines = result.sessions.map((s) => {
    const c = s.counts;
    const extra = [c.badLines ? count(c.badLines, "bad line") : "", c.skippedLines ? `${c.skippedLines} skipped` : "", c.unknownLines ? `${c.unknownLines} unknown` : ""]
      .filter(Boolean)
      .join(", ");
    return `${s.status.padEnd(9)} ${s.id}  ${s.format}: ${count(c.messages, "message")}, ${count(c.toolCalls, "tool call")}, ${count(c.toolErrors, "tool error")}${extra ? `, ${extra}` : ""}  <- ${s.file}`;
  });
  const failed = result.failed.length ? `, ${count(result.failed.length, "file")} failed` : "";
  const total = `${count(result.sessions.length, "session")} from ${count(files.length, "input")}${failed}.`;
  print(ctx, [...lines, total].join("\n"), result);
  return result.failed.length > 0 ? EXIT.user : EXIT.ok;
}
