import { z } from "zod";
import type { ToolDefinition } from "../context.js";
import { toolResult } from "../tool-result.js";

/** `memory_str_replace`: the memory tool's `str_replace` — replace one exact, unique piece of text. */
export const memoryStrReplace: ToolDefinition = {
  name: "memory_str_replace",
  register(server, ctx) {
    server.registerTool(
      "memory_str_replace",
      {
        title: "Edit memory (replace text)",
        description:
          "Replace text in a memory file. old_str must appear exactly once, verbatim. The previous version stays in git history; the edit is a commit attributed to you.",
        inputSchema: {
          path: z.string().describe("the memory file, e.g. /memories/prefs/pm.md"),
          old_str: z.string().describe("the exact text to replace (must be unique in the file)"),
          new_str: z.string().describe("the replacement text"),
        },
        annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
      },
      ({ path, old_str, new_str }) => toolResult(() => ctx.handlers().str_replace({ command: "str_replace", path, old_str, new_str })),
    );
  },
};
