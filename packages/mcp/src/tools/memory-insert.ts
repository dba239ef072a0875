import { z } from "zod";
import type { ToolDefinition } from "../context.js";
import { toolResult } from "../tool-result.js";

/** `memory_insert`: the memory tool's `insert` — add text after a given line. */
export const memoryInsert: ToolDefinition = {
  name: "memory_insert",
  register(server, ctx) {
    server.registerTool(
      "memory_insert",
      {
        title: "Edit memory (insert text)",
        description: "Insert text into a memory file after line insert_line (0 inserts at the top). A commit attributed to you.",
        inputSchema: {
          path: z.string().describe("the memory file, e.g. /memories/prefs/pm.md"),
          insert_line: z.number().int().describe("insert after this many lines; 0 = at the top"),
          insert_text: z.string().describe("the text to insert"),
        },
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      },
      ({ path, insert_line, insert_text }) => toolResult(() => ctx.handlers().insert({ command: "insert", path, insert_line, insert_text })),
    );
  },
};
