import { isRecord, parseJsonLine, str } from "./context.js";
import type { DraftEvent, ReaderContext, TranscriptParser } from "./context.js";
import type { RawLine } from "./line-reader.js";
import { recognizeMemoryOperation } from "./memory-tool.js";

/** Line types that carry no conversation (bookkeeping, streaming progress, UI state). */
const NOISE_TYPES = new Set([
  "progress",
  "file-history-snapshot",
  "pr-link",
  "attachment",
  "last-prompt",
  "agent-name",
  "agent-setting",
  "permission-mode",
  "mode",
  "bridge-session",
]);
const TITLE_TYPES = new Set(["ai-title", "custom-title"]);
/** System subtypes that are hook/timing bookkeeping rather than anything said. */
const NOISE_SUBTYPES = new Set(["stop_hook_summary", "turn_duration", "microcompact_boundary", "bridge_status", "informational"]);
/** Text the harness writes into the user role; it is not a person's words. */
const HARNESS_TEXT = /^(?:\[Request interrupted by user|<local-command-stdout>|<local-command-caveat>|<local-command-stderr>)/;

/**
 * Claude Code session JSONL (`~/.claude/projects/<project>/<sessionId>.jsonl`, versions
 * 1.0.98–2.1.x). Assistant lines hold one content block each; consecutive text blocks of the
 * same `message.id` are joined into one message. Tool results keep `is_error`; summaries and
 * compaction boundaries become summary events; inline sidechains are kept and flagged;
 * progress/hook/bookkeeping lines are skipped; `isMeta` lines are marked `meta`;
 * `queue-operation` enqueues are user messages (`queued`); unknown line types are counted.
 */
export const claudeCodeParser: TranscriptParser = {
  kind: "lines",
  create(ctx) {
    return new ClaudeCodeReader(ctx);
  },
};

class ClaudeCodeReader {
  /** Assistant text waiting for more blocks of the same API message. */
  private text: { messageId: string; parts: string[]; at?: string; sidechain: boolean } | undefined;
  /** A compaction boundary waiting for the summary line that usually follows it. */
  private boundary: DraftEvent | undefined;

  constructor(private readonly ctx: ReaderContext) {
    ctx.info.agent = "claude-code";
  }

  async line(raw: RawLine): Promise<void> {
    for (const value of parseJsonLine(raw, this.ctx)) await this.value(value, raw.line);
  }

  async end(): Promise<void> {
    await this.flush();
    await this.flushBoundary();
  }

  private async value(value: unknown, line: number): Promise<void> {
    const ctx = this.ctx;
    if (!isRecord(value) || typeof value.type !== "string") {
      ctx.bad(line, 'not a Claude Code line: expected an object with a string "type", e.g. {"type":"user",…}');
      return;
    }
    const type = value.type;
    if (type === "assistant" || type === "user" || type === "system") {
      ctx.info.nativeId ??= str(value.sessionId);
      ctx.info.cwd ??= str(value.cwd);
    }
    const at = str(value.timestamp);
    const sidechain = value.isSidechain === true;
    const message = isRecord(value.message) ? value.message : undefined;

    if (type === "assistant") {
      if (message === undefined) return ctx.bad(line, 'assistant line without a "message" object');
      ctx.info.model ??= str(message.model);
      const messageId = str(message.id) ?? `line-${line}`;
      if (this.text !== undefined && this.text.messageId !== messageId) await this.flush();
      await this.flushBoundary();
      const meta = value.isApiErrorMessage === true;
      for (const block of blocks(message.content)) {
        if (block.type === "text" && typeof block.text === "string") {
          if (meta) {
            await ctx.emit(withFlags({ type: "message", role: "assistant", text: block.text, at }, { meta, sidechain }));
            continue;
          }
          this.text ??= { messageId, parts: [], sidechain, ...(at !== undefined && { at }) };
          this.text.parts.push(block.text);
        } else if ((block.type === "tool_use" || block.type === "server_tool_use" || block.type === "mcp_tool_use") && typeof block.name === "string") {
          await this.flush();
          await ctx.emit(toolUse(str(block.id) ?? `line-${line}`, block.name, block.input, at, sidechain));
        }
      }
      return;
    }

    switch (type) {
      case "user": {
        if (message === undefined) return ctx.bad(line, 'user line without a "message" object');
        await this.flush();
        const content = message.content;
        if (value.isCompactSummary === true) {
          const text = typeof content === "string" ? content : textOf(content);
          this.boundary = undefined;
          await ctx.emit({ type: "summary", kind: "compaction", text, ...(at !== undefined && { at }) });
          return;
        }
        await this.flushBoundary();
        const meta = value.isMeta === true;
        if (typeof content === "string") {
          await ctx.emit(withFlags({ type: "message", role: "user", text: content, at }, { meta: meta || HARNESS_TEXT.test(content), sidechain }));
          return;
        }
        let texts: string[] = [];
        const flushTexts = async () => {
          if (texts.length === 0) return;
          const text = texts.join("\n");
          texts = [];
          await ctx.emit(withFlags({ type: "message", role: "user", text, at }, { meta: meta || HARNESS_TEXT.test(text), sidechain }));
        };
        for (const block of blocks(content)) {
          if (block.type === "text" && typeof block.text === "string") texts.push(block.text);
          else if (block.type === "image") texts.push("[image]");
          else if (block.type === "tool_result") {
            await flushTexts();
            await ctx.emit({
              type: "tool_result",
              tool_use_id: str(block.tool_use_id) ?? "",
              is_error: block.is_error === true,
              text: textOf(block.content),
              ...(at !== undefined && { at }),
              ...(sidechain && { sidechain }),
            });
          }
        }
        await flushTexts();
        return;
      }
      case "summary": {
        if (typeof value.summary !== "string") return ctx.bad(line, 'summary line without a "summary" string');
        await this.flush();
        await this.flushBoundary();
        await ctx.emit({ type: "summary", kind: "summary", text: value.summary });
        return;
      }
      case "system": {
        const subtype = str(value.subtype) ?? "";
        const text = str(value.content);
        if (subtype !== "compact_boundary" && (NOISE_SUBTYPES.has(subtype) || text === undefined)) return ctx.skip();
        await this.flush();
        await this.flushBoundary();
        if (subtype === "compact_boundary") {
          this.boundary = { type: "summary", kind: "compaction", text: str(value.content) ?? "Conversation compacted", ...(at !== undefined && { at }) };
          return;
        }
        await ctx.emit(withFlags({ type: "message", role: "system", text: text ?? "", at }, { meta: true, sidechain }));
        return;
      }
      case "queue-operation": {
        const text = str(value.content);
        if (value.operation !== "enqueue" || text === undefined) return ctx.skip();
        await this.flush();
        await this.flushBoundary();
        await ctx.emit({ type: "message", role: "user", text, ...(at !== undefined && { at }), queued: true });
        return;
      }
      default:
        if (TITLE_TYPES.has(type)) {
          const title = str(value.aiTitle) ?? str(value.customTitle) ?? str(value.title);
          if (title !== undefined) ctx.info.title = title;
          return ctx.skip();
        }
        if (NOISE_TYPES.has(type)) return ctx.skip();
        ctx.unknown(type);
    }
  }

  private async flush(): Promise<void> {
    const pending = this.text;
    if (pending === undefined) return;
    this.text = undefined;
    await this.ctx.emit(withFlags({ type: "message", role: "assistant", text: pending.parts.join("\n\n"), at: pending.at }, { sidechain: pending.sidechain }));
  }

  private async flushBoundary(): Promise<void> {
    const boundary = this.boundary;
    if (boundary === undefined) return;
    this.boundary = undefined;
    await this.ctx.emit(boundary);
  }
}

type Block = Record<string, unknown> & { type?: unknown };

function blocks(content: unknown): Block[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? content.filter(isRecord) : [];
}

/** The text of a tool result or block list: text blocks joined, images as `[image]`. */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return content === undefined || content === null ? "" : JSON.stringify(content);
  const parts: string[] = [];
  for (const block of content) {
    if (!isRecord(block)) continue;
    if (typeof block.text === "string") parts.push(block.text);
    else if (block.type === "image") parts.push("[image]");
  }
  return parts.join("\n");
}

/** A tool_use event, with the memory operation it performs when it is a memory-tool call. */
export function toolUse(id: string, name: string, input: unknown, at: string | undefined, sidechain = false): DraftEvent {
  const memory = recognizeMemoryOperation(name, input);
  return {
    type: "tool_use",
    id,
    name,
    input: input ?? {},
    ...(at !== undefined && { at }),
    ...(memory !== undefined && { memory }),
    ...(sidechain && { sidechain }),
  };
}

function withFlags(
  base: { type: "message"; role: "user" | "assistant" | "system"; text: string; at: string | undefined },
  flags: { meta?: boolean; sidechain?: boolean },
): DraftEvent {
  const { at, ...rest } = base;
  return { ...rest, ...(at !== undefined && { at }), ...(flags.meta === true && { meta: true }), ...(flags.sidechain === true && { sidechain: true }) };
}
