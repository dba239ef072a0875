import { createHash } from "node:crypto";

/**
 * The fake's model of prompt caching: the prompt is read in the API's order (tools, system,
 * messages), a block carrying `cache_control` ends a cacheable prefix, and a prefix seen before
 * (same model, same bytes) is read from cache instead of written. Token counts are estimates
 * (characters / 4), deterministic so tests can pin them.
 */

/** Estimated tokens of `text`: one per four characters, rounded up. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

interface Segment {
  text: string;
  breakpoint: "5m" | "1h" | null;
}

function withoutCacheControl(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutCacheControl);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (k !== "cache_control") out[k] = withoutCacheControl(v);
  return out;
}

function blockText(block: unknown): string {
  if (typeof block === "string") return block;
  if (typeof block !== "object" || block === null) return "";
  const b = block as Record<string, unknown>;
  if (typeof b.text === "string") return b.text;
  if (b.type === "tool_use") return `${String(b.name)} ${JSON.stringify(b.input ?? {})}`;
  if (b.type === "tool_result") return typeof b.content === "string" ? b.content : Array.isArray(b.content) ? b.content.map(blockText).join("\n") : "";
  return JSON.stringify(withoutCacheControl(block));
}

function breakpointOf(block: unknown): "5m" | "1h" | null {
  if (typeof block !== "object" || block === null) return null;
  const cc = (block as { cache_control?: { ttl?: string } | null }).cache_control;
  if (!cc) return null;
  return cc.ttl === "1h" ? "1h" : "5m";
}

/** The prompt of a Messages request as ordered segments. */
export function promptSegments(body: Record<string, unknown>): Segment[] {
  const out: Segment[] = [];
  for (const tool of Array.isArray(body.tools) ? body.tools : []) {
    out.push({ text: JSON.stringify(withoutCacheControl(tool)), breakpoint: breakpointOf(tool) });
  }
  const system = body.system;
  if (typeof system === "string") out.push({ text: system, breakpoint: null });
  else if (Array.isArray(system)) for (const b of system) out.push({ text: blockText(b), breakpoint: breakpointOf(b) });
  for (const m of Array.isArray(body.messages) ? body.messages : []) {
    const content = (m as { content?: unknown }).content;
    if (typeof content === "string") out.push({ text: content, breakpoint: null });
    else if (Array.isArray(content)) for (const b of content) out.push({ text: blockText(b), breakpoint: breakpointOf(b) });
  }
  return out;
}

/** Characters of the prompt text (what a token count is estimated from). */
export function promptChars(body: Record<string, unknown>): number {
  return promptSegments(body).reduce((n, s) => n + s.text.length, 0);
}

/** Token usage of a request as the API would report it. */
export interface PromptUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

/** A cache of prompt prefixes keyed by model and bytes. */
export class PromptCache {
  readonly #seen = new Set<string>();

  constructor(private readonly minTokens = 0) {}

  /** Usage of `body`; writes its uncached breakpoint prefixes when `write` is true. */
  usage(body: Record<string, unknown>, write = true): PromptUsage {
    const segments = promptSegments(body);
    const model = String(body.model ?? "");
    const hash = createHash("sha256").update(model);
    let tokensSoFar = 0;
    let read = 0;
    let lastBreak = 0;
    let lastTtl: "5m" | "1h" = "5m";
    const toWrite: string[] = [];
    for (const s of segments) {
      hash.update("\u0000").update(s.text);
      tokensSoFar += estimateTokens(s.text);
      if (s.breakpoint === null) continue;
      const key = hash.copy().digest("hex");
      if (this.#seen.has(key)) read = tokensSoFar;
      else if (tokensSoFar >= this.minTokens) toWrite.push(key);
      lastBreak = tokensSoFar;
      lastTtl = s.breakpoint;
    }
    const total = tokensSoFar;
    const created = lastBreak > read && lastBreak >= this.minTokens ? lastBreak - read : 0;
    if (write) for (const k of toWrite) this.#seen.add(k);
    return {
      input_tokens: total - read - created,
      cache_creation_input_tokens: created,
      cache_read_input_tokens: read,
      cache_creation: { ephemeral_5m_input_tokens: lastTtl === "5m" ? created : 0, ephemeral_1h_input_tokens: lastTtl === "1h" ? created : 0 },
    };
  }

  /** Forgets every cached prefix (as if the TTL ran out). */
  clear(): void {
    this.#seen.clear();
  }
}
