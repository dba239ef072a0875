import { z } from "zod";
import { listDreams, readDream } from "@reverie/dream";
import type { ToolDefinition } from "../context.js";
import { toolResult } from "../tool-result.js";
import { summarizeDream } from "../dream-summary.js";

/** `dream_status`: one dream's status and proposal, or the recent dreams. */
export const dreamStatus: ToolDefinition = {
  name: "dream_status",
  register(server, ctx) {
    server.registerTool(
      "dream_status",
      {
        title: "Dream status",
        description: "The status of a dream (pending, running, completed, failed, canceled), the operations it proposes and its gates. Without an id, the recent dreams, newest first.",
        inputSchema: {
          id: z.string().optional().describe("dream id, e.g. drm_01JD…; omit to list recent dreams"),
          limit: z.number().int().min(1).max(100).optional().describe("without an id: at most this many dreams (default 10)"),
        },
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      ({ id, limit }) =>
        toolResult(async () => {
          if (id !== undefined) return summarizeDream(await readDream(ctx.memory.dir, id), ctx.memory.dir);
          const all = await listDreams(ctx.memory.dir);
          return all.slice(0, limit ?? 10).map((record) => summarizeDream(record, ctx.memory.dir));
        }),
    );
  },
};
