import { z } from "zod";
import { toMemoryToolPath } from "@reverie/core";
import type { ToolDefinition } from "../context.js";
import { toolResult } from "../tool-result.js";

/** `memory_search`: ranked full-text search over path, title, tags, key and body. */
export const memorySearch: ToolDefinition = {
  name: "memory_search",
  register(server, ctx) {
    server.registerTool(
      "memory_search",
      {
        title: "Search memory",
        description: "Full-text search over every memory's path, title, tags, key and body (typo-tolerant). Returns the best matches with /memories paths and a snippet.",
        inputSchema: {
          query: z.string().min(1).describe("words to find, e.g. 'package manager'"),
          limit: z.number().int().min(1).max(100).optional().describe("at most this many hits (default 10)"),
        },
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      ({ query, limit }) =>
        toolResult(async () => {
          // The server's one index, kept current (opened with `live`): other processes' commits
          // are caught up with before the search, hand edits as the file watcher reports them.
          const hits = await ctx.memory.search(query, { limit: limit ?? 10 });
          return hits.map((hit) => ({
            path: toMemoryToolPath(hit.path),
            title: hit.title,
            score: Math.round(hit.score * 1000) / 1000,
            ...(hit.type ? { type: hit.type } : {}),
            ...(hit.tags.length > 0 ? { tags: hit.tags } : {}),
            ...(hit.snippet ? { snippet: hit.snippet } : {}),
          }));
        }),
    );
  },
};
