import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
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
  for (const tool of TOOLS) tool.register(server, ctx);
  return {
    server,
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
