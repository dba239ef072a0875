import { textOf, toolUse } from "./claude-code.js";
import { isRecord, str } from "./context.js";
import type { ReaderContext, TranscriptParser } from "./context.js";

/**
 * The message list of a JSON transcript: a bare array, or the `messages` of an object (a
 * Messages API request body `{model, system, messages}` or a saved conversation).
 */
export function messageList(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (isRecord(value) && Array.isArray(value.messages)) return value.messages;
  return undefined;
}

/**
 * Anthropic Messages API message arrays: `[{role, content: string | blocks}]` or
 * `{system?, model?, messages: [...]}`. `tool_use` / `tool_result` blocks (and their MCP and
 * server-tool variants) become tool events; memory-tool calls carry their `memory` operation;
 * thinking blocks are dropped.
 */
export const anthropicMessagesParser: TranscriptParser = {
  kind: "json",
  async parse(value, ctx) {
    const messages = messageList(value);
    ctx.info.agent = "anthropic";
    if (messages === undefined) return ctx.bad(1, 'not a message array: expected [{"role","content"}, …] or {"messages":[…]}');
    if (isRecord(value)) {
      ctx.info.model ??= str(value.model);
      const system = typeof value.system === "string" ? value.system : textOf(value.system);
      if (system !== "") await ctx.emit({ type: "message", role: "system", text: system, meta: true });
    }
    for (const [index, entry] of messages.entries()) {
      ctx.countLine();
      await anthropicMessage(entry, index + 1, ctx);
    }
  },
};

async function anthropicMessage(entry: unknown, line: number, ctx: ReaderContext): Promise<void> {
  if (!isRecord(entry) || (entry.role !== "user" && entry.role !== "assistant")) {
    ctx.bad(line, 'not a Messages API message: expected {"role":"user"|"assistant","content":…}');
    return;
  }
  const role = entry.role;
  const content = entry.content;
  if (typeof content === "string") {
    await ctx.emit({ type: "message", role, text: content });
    return;
  }
  if (!Array.isArray(content)) {
    ctx.bad(line, `message ${line} has no "content" string or block array`);
    return;
  }
  let texts: string[] = [];
  const flush = async () => {
    if (texts.length === 0) return;
    await ctx.emit({ type: "message", role, text: texts.join(role === "assistant" ? "\n\n" : "\n") });
    texts = [];
  };
  for (const block of content) {
    if (!isRecord(block)) continue;
    switch (block.type) {
      case "text":
        if (typeof block.text === "string") texts.push(block.text);
        break;
      case "image":
      case "document":
        texts.push(`[${block.type}]`);
        break;
      case "tool_use":
      case "server_tool_use":
      case "mcp_tool_use":
        if (typeof block.name !== "string") break;
        await flush();
        await ctx.emit(toolUse(str(block.id) ?? `msg-${line}`, block.name, block.input, undefined));
        break;
      case "tool_result":
      case "mcp_tool_result":
        await flush();
        await ctx.emit({ type: "tool_result", tool_use_id: str(block.tool_use_id) ?? "", is_error: block.is_error === true, text: textOf(block.content) });
        break;
      default:
        if (typeof block.type === "string" && block.type.endsWith("_tool_result") && typeof block.tool_use_id === "string") {
          await flush();
          const inner = isRecord(block.content) ? block.content : undefined;
          const isError = typeof inner?.type === "string" && inner.type.endsWith("_error");
          await ctx.emit({ type: "tool_result", tool_use_id: block.tool_use_id, is_error: isError, text: textOf(block.content) });
        }
    }
  }
  await flush();
}
