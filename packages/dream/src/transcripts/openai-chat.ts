import { messageList } from "./anthropic-messages.js";
import { textOf, toolUse } from "./claude-code.js";
import { isRecord, str } from "./context.js";
import type { ReaderContext, TranscriptParser } from "./context.js";

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

/**
 * OpenAI chat-completions message arrays: `[{role, content, tool_calls?, tool_call_id?}]` or
 * `{model?, messages: [...]}`. `tool_calls` become tool_use events (JSON `arguments` parsed when
 * they parse), `role: "tool"` (and legacy `function`) messages become tool results. The format
 * has no error flag, so results are `is_error: false` unless the content is `{"error": …}`.
 */
export const openaiChatParser: TranscriptParser = {
  kind: "json",
  async parse(value, ctx) {
    ctx.info.agent = "openai";
    if (isRecord(value)) ctx.info.model ??= str(value.model);
    const messages = messageList(value);
    if (messages === undefined) return ctx.bad(1, 'not a message array: expected [{"role","content"}, …] or {"messages":[…]}');
    for (const [index, entry] of messages.entries()) {
      ctx.countLine();
      await openaiMessage(entry, index + 1, ctx);
    }
  },
};

async function openaiMessage(entry: unknown, line: number, ctx: ReaderContext): Promise<void> {
  if (!isRecord(entry) || typeof entry.role !== "string" || !ROLES.has(entry.role)) {
    ctx.bad(line, 'not a chat-completions message: expected {"role":"system"|"user"|"assistant"|"tool","content":…}');
    return;
  }
  const text = entry.content === null || entry.content === undefined ? "" : textOf(entry.content);
  switch (entry.role) {
    case "tool":
    case "function": {
      const id = str(entry.tool_call_id) ?? str(entry.name) ?? "";
      await ctx.emit({ type: "tool_result", tool_use_id: id, is_error: looksLikeError(text), text });
      return;
    }
    case "system":
    case "developer":
      if (text !== "") await ctx.emit({ type: "message", role: "system", text, meta: true });
      return;
    case "user":
      await ctx.emit({ type: "message", role: "user", text });
      return;
    default: {
      if (text !== "") await ctx.emit({ type: "message", role: "assistant", text });
      const calls = Array.isArray(entry.tool_calls) ? entry.tool_calls : [];
      for (const [i, call] of calls.entries()) {
        const fn = isRecord(call) && isRecord(call.function) ? call.function : undefined;
        if (fn === undefined || typeof fn.name !== "string") continue;
        await ctx.emit(toolUse(str((call as Record<string, unknown>).id) ?? `call-${line}-${i}`, fn.name, parseArguments(fn.arguments), undefined));
      }
      if (isRecord(entry.function_call) && typeof entry.function_call.name === "string") {
        await ctx.emit(toolUse(entry.function_call.name, entry.function_call.name, parseArguments(entry.function_call.arguments), undefined));
      }
    }
  }
}

function parseArguments(args: unknown): unknown {
  if (typeof args !== "string") return args ?? {};
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

function looksLikeError(text: string): boolean {
  if (!text.startsWith("{")) return false;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) && value.error !== undefined && value.error !== null && value.error !== false;
  } catch {
    return false;
  }
}
