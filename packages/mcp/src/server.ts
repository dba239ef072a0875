import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { memoryToolHandlers, ReverieError, type Memory } from "@reverie/core";
import { offlineConsolidator, type Consolidator } from "@reverie/dream";
import type { ToolContext } from "./context.js";
import { TOOLS } from "./tools/index.js";

/** Options of `createReverieServer`. */
export interface ReverieServerOptions {
  memory: Memory;
  /** Attribution when the client sends no name in its `clientInfo`. @default "mcp-client" */
  agent?: string;
  /** Recorded as `Session:` on every write of this server. @default none */
  session?: string;
  /**
   * Builds the Anthropic consolidator for `dream_start` with `provider: "anthropic"` (or a memory
   * configured for it). The composition root supplies it from its environment; without it such
   * dreams are refused with `INVALID_INPUT`. @default undefined
   */
  anthropic?: () => Consolidator;
  /** Server version reported to clients. @default "0.1.0" */
  version?: string;
}

/** A reverie MCP server plus what it owns. */
export interface ReverieServer {
  server: McpServer;
  /**
   * Connects the server to a transport with arguments checked strictly: a `tools/call` whose
   * arguments the tool's published schema forbids (an unknown or extra argument, a wrong type)
   * is answered with JSON-RPC error -32602 and never reaches the tool, so nothing is written.
   */
  connect(transport: Transport): Promise<void>;
  /** Waits for dreams this server started, then persists the memory's search index. */
  close(): Promise<void>;
}

/**
 * An MCP server over a memory folder: the memory tool's six commands as `memory_*` tools (paths
 * under `/memories`), `memory_search`, `memory_history`, `dream_start` and `dream_status`. Every
 * write is a commit attributed to the connected client by its `clientInfo.name`.
 * @example
 * const { server } = createReverieServer({ memory: await openMemory("./memory") });
 * await server.connect(new StdioServerTransport());
 */
export function createReverieServer(options: ReverieServerOptions): ReverieServer {
  const server = new McpServer(
    { name: "reverie", version: options.version ?? "0.1.0" },
    { instructions: "A git-versioned Markdown memory. Paths start with /memories. View /memories first to see what is remembered; every change you make is a commit attributed to you." },
  );
  const ctx: ToolContext = {
    memory: options.memory,
    handlers() {
      const agent = server.server.getClientVersion()?.name || options.agent || "mcp-client";
      return tracked(memoryToolHandlers(options.memory, { agent, ...(options.session ? { session: options.session } : {}) }), ctx.running);
    },
    consolidator(provider) {
      const chosen = provider ?? (options.memory.config.dream.provider === "anthropic" ? "anthropic" : "offline");
      if (chosen === "offline") return offlineConsolidator();
      if (!options.anthropic) {
        throw new ReverieError(
          "INVALID_INPUT",
          "Dreaming with provider anthropic needs ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL for a local server) in the MCP server's environment. Use provider offline, or add the key to the server's env in your MCP client config.",
          { provider: chosen },
        );
      }
      return options.anthropic();
    },
    running: new Set(),
  };
  const schemas = new Map<string, z.ZodTypeAny>();
  const register = server.registerTool.bind(server) as (name: string, config: { inputSchema?: z.ZodRawShape }, cb: unknown) => unknown;
  // Each tool's input schema, as strict as the JSON schema clients see (additionalProperties: false).
  const recording = Object.create(server, {
    registerTool: {
      value: (name: string, config: { inputSchema?: z.ZodRawShape }, cb: unknown) => {
        schemas.set(name, z.object(config.inputSchema ?? {}).strict());
        return register(name, config, cb);
      },
    },
  }) as McpServer;
  for (const tool of TOOLS) tool.register(recording, ctx);
  return {
    server,
    async connect(transport) {
      await server.connect(transport);
      const deliver = transport.onmessage!;
      transport.onmessage = (message, extra) => {
        const refusal = refuseArguments(message, schemas);
        if (refusal) void transport.send(refusal);
        else deliver(message, extra);
      };
    },
    async close() {
      // Requests read before the client hung up are answered first: a write under way finishes
      // (and its reply is sent) instead of being cut off by the exit, to be recovered next time.
      await drain(ctx.running);
      await server.close();
      await options.memory.close();
    },
  };
}

/** `handlers` with each call's promise kept in `running` until it settles. */
function tracked<T extends object>(handlers: T, running: Set<Promise<unknown>>): T {
  const out = {} as Record<string, unknown>;
  for (const [name, value] of Object.entries(handlers)) {
    out[name] =
      typeof value === "function"
        ? (...args: unknown[]) => {
            const call = Promise.resolve((value as (...a: unknown[]) => unknown).apply(handlers, args));
            const settled: Promise<unknown> = call.then(() => undefined, () => undefined).finally(() => running.delete(settled));
            running.add(settled);
            return call;
          }
        : value;
  }
  return out as T;
}

/**
 * Waits until nothing runs: a request parsed just before the client hung up may reach its
 * handler a few ticks later, so `running` must stay empty across a short pause, and the reply
 * of the last one is written (a tick after its handler settles) before this returns.
 */
async function drain(running: Set<Promise<unknown>>): Promise<void> {
  const pause = () => new Promise((resolve) => setTimeout(resolve, 20));
  for (let quiet = 0; quiet < 2; ) {
    await pause();
    if (running.size === 0) quiet++;
    else {
      quiet = 0;
      await Promise.all([...running]);
    }
  }
}

/**
 * The JSON-RPC error (-32602 Invalid params) for a `tools/call` whose arguments its tool's
 * schema refuses, or `null` for any other message. Unknown tools are left to the SDK.
 */
export function refuseArguments(message: JSONRPCMessage, schemas: ReadonlyMap<string, z.ZodTypeAny>): JSONRPCMessage | null {
  if (!("method" in message) || !("id" in message) || message.method !== "tools/call") return null;
  const params = (message.params ?? {}) as { name?: unknown; arguments?: unknown };
  const schema = typeof params.name === "string" ? schemas.get(params.name) : undefined;
  if (!schema) return null;
  const checked = schema.safeParse(params.arguments ?? {});
  if (checked.success) return null;
  const problems = checked.error.issues.map((issue) =>
    issue.code === "unrecognized_keys" ? `unknown argument${issue.keys.length === 1 ? "" : "s"} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}` : `${issue.path.join(".") || "arguments"}: ${issue.message}`,
  );
  return {
    jsonrpc: "2.0",
    id: message.id,
    error: {
      code: -32602,
      message: `Invalid params for ${params.name as string}: ${problems.join("; ")}. Nothing was done; call it again with only the arguments its input schema lists.`,
      data: { tool: params.name, issues: checked.error.issues.map((i) => ({ code: i.code, path: i.path, message: i.message })) },
    },
  } as JSONRPCMessage;
}
