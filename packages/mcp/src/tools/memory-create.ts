import { z } from "zod";
import type { ToolDefinition } from "../context.js";
import { toolResult } from "../tool-result.js";

/** `memory_create`: the memory tool's `create` — a new memory file, one attributed commit. */
export const memoryCreate: ToolDefinition = {
  name: "memory_create",
  register(server, ctx) {
    server.registerTool(
      "memory_create",
      {
        title: "Create memory",
        description: "Create a new memory file (Markdown, .md) with the given text. Fails if it already exists. Recorded as a git commit attributed to you.",
        inputSchema: {
          path: z.string().describe("where to create it, e.g. /memories/prefs/pm.md"),
          file_text: z.string().describe("the whole content of the file"),
        },
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      },
      ({ path, file_text }) => toolResult(() => ctx.handlers().create({ command: "create", path, file_text })),
    );
  },
};
