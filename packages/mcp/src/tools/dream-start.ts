import { z } from "zod";
import { dream, type DreamRecord } from "@reverie/dream";
import type { ToolDefinition } from "../context.js";
import { toolResult } from "../tool-result.js";
import { summarizeDream } from "../dream-summary.js";

/** `dream_start`: consolidate the memory into a reviewable branch `dream/<id>`. */
export const dreamStart: ToolDefinition = {
  name: "dream_start",
  register(server, ctx) {
    server.registerTool(
      "dream_start",
      {
        title: "Start a dream",
        description:
          "Consolidate the memory: merge duplicates, retire stale facts, write down recurring patterns, verify facts — proposed as a git branch dream/<id> for a person to review and adopt. The memory itself is not changed. Returns the dream id at once (poll dream_status), or the finished run with wait: true.",
        inputSchema: {
          sessions: z.array(z.string()).optional().describe("transcript files, folders or imported session ids (default: every imported session)"),
          instructions: z.string().max(4096).optional().describe("what to focus on or leave alone"),
          provider: z.enum(["offline", "anthropic"]).optional().describe("who consolidates (default: the memory's config, else offline)"),
          wait: z.boolean().optional().describe("wait for the dream to finish (default false)"),
        },
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      },
      ({ sessions, instructions, provider, wait }) =>
        toolResult(async () => {
          const consolidator = ctx.consolidator(provider);
          let started: (id: string) => void = () => undefined;
          const id = new Promise<string>((resolve) => (started = resolve));
          const run: Promise<DreamRecord> = dream({
            memory: ctx.memory.dir,
            consolidator,
            ...(sessions ? { sessions } : {}),
            ...(instructions !== undefined ? { instructions } : {}),
            onProgress: (event) => started(event.id),
          });
          const tracked = run.catch(() => undefined).finally(() => ctx.running.delete(tracked));
          ctx.running.add(tracked);
          if (wait === true) return summarizeDream(await run, ctx.memory.dir);
          const first = await Promise.race([id, run.then((record) => record.id)]);
          return { id: first, status: "running", branch: `dream/${first}`, next: `Call dream_status with id ${first} to follow it.` };
        }),
    );
  },
};
