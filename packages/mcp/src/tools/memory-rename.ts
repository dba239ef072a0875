import { z } from "zod";
import type { ToolDefinition } from "../context.js";
import { toolResult } from "../tool-result.js";

/** `memory_rename`: the memory tool's `rename` — move a memory file or folder. */
export const memoryRename: ToolDefinition = {
  name: "memory_rename",
  register(server, ctx) {
    server.registerTool(
      "memory_rename",
      {
        title: "Rename memory",
        description: "Rename or move a memory file or folder. Fails if the destination exists. A commit attributed to you; history follows the file.",
        inputSchema: {
          old_path: z.string().describe("the current path, e.g. /memories/notes.md"),
          new_path: z.string().describe("the new path, e.g. /memories/prefs/notes.md"),
        },
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      },
      ({ old_path, new_path }) => toolResult(() => ctx.handlers().rename({ command: "rename", old_path, new_path })),
    );
  },
};
