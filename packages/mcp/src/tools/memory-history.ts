import { z } from "zod";
import { memoryToolPath, toMemoryToolPath } from "@reverie/core";
import type { ToolDefinition } from "../context.js";
import { toolResult } from "../tool-result.js";

/** `memory_history`: who changed the memory (or one file), when, in which session — from git. */
export const memoryHistory: ToolDefinition = {
  name: "memory_history",
  register(server, ctx) {
    server.registerTool(
      "memory_history",
      {
        title: "Memory history",
        description: "The commits that changed the memory, newest first: date, author, agent, session, operation and files. Give a path for one file's history (follows renames).",
        inputSchema: {
          path: z.string().optional().describe("a memory file, e.g. /memories/prefs/pm.md; omit for the whole memory"),
          limit: z.number().int().min(1).max(500).optional().describe("at most this many commits (default 20)"),
        },
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      ({ path, limit }) =>
        toolResult(async () => {
          const rel = path === undefined ? undefined : memoryToolPath(path);
          const entries = await ctx.memory.history(rel === "" ? undefined : rel, { limit: limit ?? 20 });
          return entries.map((entry) => ({
            ...entry,
            paths: entry.paths.map((p) => ({ ...p, path: toMemoryToolPath(p.path), ...(p.from ? { from: toMemoryToolPath(p.from) } : {}) })),
          }));
        }),
    );
  },
};
