import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Memory, MemoryToolHandlers } from "@reverie/core";
import type { Consolidator } from "@reverie/dream";

/** What every tool gets from the server. */
export interface ToolContext {
  memory: Memory;
  /** Memory-tool handlers attributed to the connected client (its `clientInfo.name` as `Agent`). */
  handlers(): MemoryToolHandlers;
  /** The consolidator a dream asked for; throws `INVALID_INPUT` when it cannot be had (e.g. no API key). */
  consolidator(provider: "offline" | "anthropic" | undefined): Consolidator;
  /** Dreams this server started that have not finished yet. */
  running: Set<Promise<unknown>>;
}

/** One MCP tool: its name and how it registers itself (schema, annotations, handler). */
export interface ToolDefinition {
  name: string;
  register(server: McpServer, ctx: ToolContext): void;
}
