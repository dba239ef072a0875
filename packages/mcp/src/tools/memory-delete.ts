import { z } from "zod";
import type { ToolDefinition } from "../context.js";
import { toolResult } from "../tool-result.js";

/** `memory_delete`: the memory tool's `delete` — a memory file or a whole folder of them. */
export const memoryDelete: ToolDefinition = {
  name: "memory_delete",
  register(server, ctx) {
    server.registerTool(
      "memory_delete",
      {
        title: "Delete memory",
        description: "Delete a memory file, or every memory in a folder. It stays recoverable from git history; each deletion is a commit attributed to you.",
        inputSchema: { path: z.string().describe("a memory file or folder under /memories") },
        annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
      },
      ({ path }) => toolResult(() => ctx.handlers().delete({ command: "delete", path })),
    );
  },
};
