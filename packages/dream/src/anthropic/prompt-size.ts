import type { MessageParams } from "./transport.js";

function blockText(block: unknown): string {
  if (typeof block === "string") return block;
  if (typeof block !== "object" || block === null) return "";
  const b = block as Record<string, unknown>;
  if (typeof b.text === "string") return b.text;
  if (b.type === "tool_use") return `${String(b.name)} ${JSON.stringify(b.input ?? {})}`;
  if (b.type === "tool_result") return typeof b.content === "string" ? b.content : Array.isArray(b.content) ? b.content.map(blockText).join("\n") : "";
  return "";
}

/** Characters of the prompt a request sends: tool definitions, system blocks and messages. */
export function promptChars(params: MessageParams): number {
  let n = 0;
  for (const t of Array.isArray(params.tools) ? params.tools : []) {
    const { cache_control: _, ...rest } = t as Record<string, unknown>;
    n += JSON.stringify(rest).length;
  }
  const system = params.system;
  if (typeof system === "string") n += system.length;
  else if (Array.isArray(system)) for (const b of system) n += blockText(b).length;
  for (const m of Array.isArray(params.messages) ? params.messages : []) {
    const content = (m as { content?: unknown }).content;
    if (typeof content === "string") n += content.length;
    else if (Array.isArray(content)) for (const b of content) n += blockText(b).length;
  }
  return n;
}
