import type { DraftEvent, ReaderContext, TranscriptParser } from "./context.js";
import type { RawLine } from "./line-reader.js";

/** `● Name(args…` — a tool call line; names are one or two capitalised words (`Bash`, `Kill Shell`). */
const TOOL_CALL = /^● ([A-Za-z][\w-]*(?: [A-Z][\w-]*)?(?: \(MCP\))?)\((.*)$/;
const RESULT_PREFIX = "  ⎿";
/** Result text that the terminal export shows for a failed or refused tool call. */
const ERROR_RESULT = /^(?:Error\b|User rejected|Interrupted\b|The user doesn't want)/;

type BlockKind = "header" | "user" | "assistant" | "tool" | "result";
interface Block {
  kind: BlockKind;
  line: number;
  lines: string[];
}

/**
 * Claude Code's terminal text export (`/export`): a welcome box, `> ` user prompts, `● ` assistant
 * text or tool calls (`● Bash(cmd…)`), and `  ⎿  ` tool results. The export has no timestamps
 * and no tool ids, so tool ids are synthesised from the line number (`txt_<line>`) and a result
 * is an error when its text starts like one (`Error: Exit code 1`, `User rejected…`).
 * A `⎿` block that follows no tool call (slash-command output, compaction context) becomes a
 * system message marked `meta`.
 */
export const claudeCodeTextParser: TranscriptParser = {
  kind: "lines",
  create(ctx) {
    return new TextExportReader(ctx);
  },
};

class TextExportReader {
  private block: Block | undefined;
  private openToolId: string | undefined;

  constructor(private readonly ctx: ReaderContext) {
    ctx.info.agent = "claude-code";
  }

  async line(raw: RawLine): Promise<void> {
    // The export pads with no-break spaces in places (`\u00a0\u00a0⎿ \u00a0`); treat them as spaces.
    const text = raw.text.replace(/\u00a0/g, " ").replace(/\s+$/, "");
    if (text !== "") this.ctx.countLine();
    const block = this.block;
    if (block !== undefined && this.continues(block, text)) {
      block.lines.push(text);
      if (block.kind === "header" && text.startsWith("╰")) await this.finish();
      return;
    }
    await this.finish();
    if (text === "") return;
    if (text.startsWith("╭")) this.block = { kind: "header", line: raw.line, lines: [text] };
    else if (text.startsWith("> ") || text === ">") this.block = { kind: "user", line: raw.line, lines: [text.slice(2)] };
    else if (TOOL_CALL.test(text)) this.block = { kind: "tool", line: raw.line, lines: [text] };
    else if (text.startsWith("● ")) this.block = { kind: "assistant", line: raw.line, lines: [text.slice(2)] };
    else if (text.startsWith(RESULT_PREFIX)) this.block = { kind: "result", line: raw.line, lines: [text.slice(RESULT_PREFIX.length).replace(/^ {1,2}/, "")] };
    else if (text.startsWith("═") && text.includes("Conversation compacted")) {
      this.openToolId = undefined;
      await this.ctx.emit({ type: "summary", kind: "compaction", text: "Conversation compacted" });
    } else this.ctx.skip();
  }

  async end(): Promise<void> {
    await this.finish();
  }

  private continues(block: Block, text: string): boolean {
    if (block.kind === "header") return true;
    if (text === "") return block.kind !== "tool";
    if (text.startsWith(RESULT_PREFIX)) return false;
    switch (block.kind) {
      case "user":
        return !/^(?:● |> |[═╭])/.test(text);
      case "assistant":
      case "tool":
        return text.startsWith("  ");
      case "result":
        return text.startsWith("    ");
    }
  }

  private async finish(): Promise<void> {
    const block = this.block;
    if (block === undefined) return;
    this.block = undefined;
    while (block.lines.length > 0 && block.lines[block.lines.length - 1] === "") block.lines.pop();
    const ctx = this.ctx;
    switch (block.kind) {
      case "header":
        this.readHeader(block.lines);
        block.lines.forEach((line) => line !== "" && ctx.skip());
        return;
      case "user":
        this.openToolId = undefined;
        await ctx.emit({ type: "message", role: "user", text: block.lines.join("\n") });
        return;
      case "assistant":
        this.openToolId = undefined;
        await ctx.emit({ type: "message", role: "assistant", text: dedent(block.lines, 2).join("\n") });
        return;
      case "tool": {
        const match = TOOL_CALL.exec(block.lines[0] ?? "");
        const name = match?.[1] ?? "unknown";
        const args = [match?.[2] ?? "", ...dedent(block.lines.slice(1), 6)].join("\n").replace(/\)$/, "");
        const id = `txt_${block.line}`;
        this.openToolId = id;
        await ctx.emit({ type: "tool_use", id, name, input: { args } });
        return;
      }
      case "result": {
        const text = [block.lines[0] ?? "", ...dedent(block.lines.slice(1), 5)].join("\n");
        const event: DraftEvent =
          this.openToolId !== undefined
            ? { type: "tool_result", tool_use_id: this.openToolId, is_error: ERROR_RESULT.test(text), text }
            : { type: "message", role: "system", text, meta: true };
        this.openToolId = undefined;
        await ctx.emit(event);
      }
    }
  }

  private readHeader(lines: string[]): void {
    const info = this.ctx.info;
    for (const line of lines) {
      const cells = line.split("│").map((cell) => cell.trim());
      for (const cell of cells) {
        const model = /^((?:Sonnet|Opus|Haiku)[\w. ]*?)\s*·/.exec(cell);
        if (model?.[1] !== undefined) info.model ??= model[1];
        if (/^(?:\/|~\/)\S*$/.test(cell)) info.cwd ??= cell;
      }
    }
  }
}

function dedent(lines: string[], width: number): string[] {
  const prefix = " ".repeat(width);
  return lines.map((line) => (line.startsWith(prefix) ? line.slice(width) : line.trimStart()));
}
