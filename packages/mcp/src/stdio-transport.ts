import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { JSONRPCMessageSchema, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** Largest JSON-RPC message the server reads (one line of stdin), in bytes: 4 MiB, room for a 1 MiB memory escaped. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** JSON-RPC 2.0 error codes the transport answers with. */
export const RPC = { parseError: -32700, invalidRequest: -32600, invalidParams: -32602 } as const;

type Id = string | number;

/** How much of an oversized message is kept to find its `id` in. */
const HEAD_BYTES = 64 * 1024;

/**
 * MCP over stdio, newline-delimited JSON-RPC, for a server that must stay up whatever a client
 * sends. Where the SDK's transport exits on a line over 10 MiB and drops garbage silently, this
 * one answers every bad frame with the JSON-RPC error the spec names and goes on reading:
 * - a line over {@link MAX_MESSAGE_BYTES}: -32600, without buffering it (the `id` is read from its start);
 * - a line that is not JSON: -32700 (id null);
 * - JSON that is not a JSON-RPC 2.0 message, or a batch: -32600;
 * - a request other than `initialize` or `ping` before `initialize`: -32600.
 */
export class ReverieStdioTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;

  private chunks: Buffer[] = [];
  private length = 0;
  /** Set while skipping the rest of an oversized line: its size so far and its first bytes. */
  private oversized: { bytes: number; head: Buffer } | null = null;
  private initialized = false;
  private started = false;

  constructor(
    private readonly stdin: NodeJS.ReadableStream,
    private readonly stdout: NodeJS.WritableStream,
    private readonly maxBytes = MAX_MESSAGE_BYTES,
  ) {}

  private readonly onData = (chunk: Buffer) => {
    try {
      this.take(chunk);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  };

  private readonly onStreamError = (error: Error) => this.onerror?.(error);

  async start(): Promise<void> {
    if (this.started) throw new Error("ReverieStdioTransport already started");
    this.started = true;
    this.stdin.on("data", this.onData);
    this.stdin.on("error", this.onStreamError);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.stdout.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.stdout.once("drain", () => resolve());
    });
  }

  async close(): Promise<void> {
    this.stdin.off("data", this.onData);
    this.stdin.off("error", this.onStreamError);
    if (this.stdin.listenerCount("data") === 0) (this.stdin as NodeJS.ReadStream).pause?.();
    this.chunks = [];
    this.length = 0;
    this.onclose?.();
  }

  /** Cuts the stream into lines, never holding more than the limit of any one line. */
  private take(chunk: Buffer): void {
    let rest = chunk;
    for (;;) {
      const newline = rest.indexOf(0x0a);
      const part = newline === -1 ? rest : rest.subarray(0, newline);
      if (this.oversized) this.oversized.bytes += part.length;
      else if (this.length + part.length > this.maxBytes) {
        const head = Buffer.concat([...this.chunks, part]).subarray(0, HEAD_BYTES);
        this.oversized = { bytes: this.length + part.length, head: Buffer.from(head) };
        this.chunks = [];
        this.length = 0;
      } else if (part.length > 0) {
        this.chunks.push(part);
        this.length += part.length;
      }
      if (newline === -1) return;
      this.endLine();
      rest = rest.subarray(newline + 1);
    }
  }

  private endLine(): void {
    if (this.oversized) {
      const { bytes, head } = this.oversized;
      this.oversized = null;
      this.refuse(
        topLevelId(head.toString("utf8")),
        RPC.invalidRequest,
        `Invalid Request: the message is ${bytes} bytes, over this server's limit of ${this.maxBytes} bytes (${this.maxBytes / 1024 / 1024} MiB); it was not read. Send smaller messages (a memory file is at most 1 MiB).`,
        { limit: this.maxBytes, size: bytes },
      );
      return;
    }
    const line = Buffer.concat(this.chunks, this.length).toString("utf8").replace(/\r$/, "");
    this.chunks = [];
    this.length = 0;
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      this.refuse(null, RPC.parseError, `Parse error: the message is not JSON (${(error as Error).message}).`);
      return;
    }
    const id = idOf(value);
    if (Array.isArray(value)) {
      this.refuse(null, RPC.invalidRequest, "Invalid Request: JSON-RPC batches are not supported by MCP; send one message per line.");
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      this.refuse(id, RPC.invalidRequest, `Invalid Request: not a JSON-RPC 2.0 message (${parsed.error.issues[0]?.message ?? "wrong shape"}). Expected {"jsonrpc": "2.0", "id": …, "method": …}.`);
      return;
    }
    const message = parsed.data;
    if ("method" in message && "id" in message) {
      if (message.method === "initialize") this.initialized = true;
      else if (!this.initialized && message.method !== "ping") {
        this.refuse(message.id, RPC.invalidRequest, `Invalid Request: the server is not initialized; send initialize before ${message.method}.`);
        return;
      }
    }
    this.onmessage?.(message);
  }

  private refuse(id: Id | null, code: number, message: string, data?: Record<string, unknown>): void {
    void this.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id, error: { code, message, ...(data ? { data } : {}) } })}\n`);
  }
}

function idOf(value: unknown): Id | null {
  const id = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as { id?: unknown }).id : undefined;
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : null;
}

/**
 * The `id` member of the top-level object at the start of a JSON text too large to parse, or
 * null: members are scanned at depth 1 only, so an `"id"` inside `params` is never taken.
 */
export function topLevelId(text: string): Id | null {
  let depth = 0;
  let i = 0;
  const readString = (): string | null => {
    let out = "";
    for (i++; i < text.length; i++) {
      const c = text[i]!;
      if (c === "\\") {
        out += text[i + 1] ?? "";
        i++;
      } else if (c === '"') {
        i++;
        return out;
      } else out += c;
    }
    return null;
  };
  let expectKey = false;
  for (; i < text.length; ) {
    const c = text[i]!;
    if (c === '"') {
      const s = readString();
      if (s === null) return null;
      if (depth === 1 && expectKey) {
        while (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r") i++;
        if (text[i] !== ":") return null;
        i++;
        while (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r") i++;
        if (s === "id") {
          if (text[i] === '"') return readString();
          const n = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 40));
          return n ? Number(n[0]) : null;
        }
        expectKey = false;
        continue;
      }
      continue;
    }
    if (c === "{") {
      depth++;
      expectKey = depth === 1;
    } else if (c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (c === "," && depth === 1) expectKey = true;
    i++;
  }
  return null;
}
