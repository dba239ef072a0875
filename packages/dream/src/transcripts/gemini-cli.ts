import { toolUse } from "./claude-code.js";
import { isRecord, str } from "./context.js";
import type { ReaderContext, TranscriptParser } from "./context.js";

/**
 * Gemini CLI session JSON (`~/.gemini/tmp/<projectHash>/chats/session-*.json`): one object
 * `{sessionId, startTime, lastUpdated, messages: [{type: user|gemini|info|warning|error, …}]}`.
 * A `gemini` message's `toolCalls` become tool_use + tool_result pairs (error when
 * `status: "error"`, the function response has an `error`, or a shell command's output reports
 * a non-zero `Exit Code:` — Gemini marks those `success`); `info`/`warning`/`error`
 * messages are system messages marked `meta`; thoughts are dropped.
 */
export const geminiCliParser: TranscriptParser = {
  kind: "json",
  async parse(value, ctx) {
    ctx.info.agent = "gemini-cli";
    if (!isRecord(value) || !Array.isArray(value.messages)) return ctx.bad(1, 'not a Gemini CLI session: expected {"sessionId",…,"messages":[…]}');
    const nativeId = str(value.sessionId);
    if (nativeId !== undefined) ctx.info.nativeId = nativeId;
    const started = str(value.startTime);
    if (started !== undefined) ctx.info.started = started;
    const ended = str(value.lastUpdated);
    if (ended !== undefined) ctx.info.ended = ended;
    for (const [index, entry] of value.messages.entries()) {
      ctx.countLine();
      await geminiMessage(entry, index + 1, ctx);
    }
  },
};

async function geminiMessage(entry: unknown, line: number, ctx: ReaderContext): Promise<void> {
  if (!isRecord(entry) || typeof entry.type !== "string") {
    ctx.bad(line, 'not a Gemini CLI message: expected {"type":"user"|"gemini"|…,"content":…}');
    return;
  }
  const at = str(entry.timestamp);
  const stamp = at !== undefined ? { at } : {};
  const text = contentText(entry.content);
  switch (entry.type) {
    case "user":
      await ctx.emit({ type: "message", role: "user", text, ...stamp });
      return;
    case "gemini": {
      ctx.info.model ??= str(entry.model);
      if (text !== "") await ctx.emit({ type: "message", role: "assistant", text, ...stamp });
      const calls = Array.isArray(entry.toolCalls) ? entry.toolCalls.filter(isRecord) : [];
      for (const [i, call] of calls.entries()) {
        if (typeof call.name !== "string") continue;
        const id = str(call.id) ?? `gemini-${line}-${i}`;
        const callAt = str(call.timestamp) ?? at;
        await ctx.emit(toolUse(id, call.name, call.args, callAt));
        const result = functionResponse(call.result);
        await ctx.emit({
          type: "tool_result",
          tool_use_id: id,
          is_error: call.status === "error" || result.error || failedShell(result.text),
          text: result.text,
          ...(callAt !== undefined && { at: callAt }),
        });
      }
      return;
    }
    case "info":
    case "warning":
    case "error":
      await ctx.emit({ type: "message", role: "system", text, ...stamp, meta: true });
      return;
    default:
      ctx.unknown(entry.type);
  }
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : "")).join("");
  return "";
}

function functionResponse(result: unknown): { text: string; error: boolean } {
  const parts: string[] = [];
  let error = false;
  for (const item of Array.isArray(result) ? result : []) {
    const response = isRecord(item) && isRecord(item.functionResponse) && isRecord(item.functionResponse.response) ? item.functionResponse.response : undefined;
    if (response === undefined) continue;
    if (response.error !== undefined && response.error !== null && response.error !== "") {
      error = true;
      parts.push(typeof response.error === "string" ? response.error : JSON.stringify(response.error));
    }
    if (typeof response.output === "string") parts.push(response.output);
    else if (response.output !== undefined) parts.push(JSON.stringify(response.output));
  }
  return { text: parts.join("\n"), error };
}

/** A shell command's output reporting a non-zero exit (`Exit Code: 1`); `(none)` and 0 are not failures. */
function failedShell(text: string): boolean {
  const code = /^Exit Code: (\d+)\s*$/m.exec(text)?.[1];
  return code !== undefined && code !== "0";
}
