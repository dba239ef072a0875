import { z } from "zod";
import type { ToolDefinition } from "../context.js";
import { toolResult } from "../tool-result.js";

/** `memory_view`: the memory tool's `view` — a folder listing or a file with line numbers. */
export const memoryView: ToolDefinition = {
  name: "memory_view",
  register(server, ctx) {
    server.registerTool(
      "memory_view",
      {
        title: "View memory",
        description:
          "Show a memory folder (files and folders two levels deep, with sizes) or a memory file with line numbers. Paths start with /memories, e.g. /memories or /memories/prefs/pm.md.",
        inputSchema: {
          path: z.string().describe("/memories or a path under it"),
          view_range: z.array(z.number().int()).length(2).optional().describe("[first, last] lines to show, 1-based; last = -1 for the end"),
        },
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      ({ path, view_range }) => toolResult(() => ctx.handlers().view({ command: "view", path, ...(view_range ? { view_range } : {}) })),
    );
  },
};
