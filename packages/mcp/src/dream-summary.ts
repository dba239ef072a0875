import { shellWord } from "@reverie/core";
import { gateState, type DreamRecord } from "@reverie/dream";

/**
 * The part of a dream's run record an agent needs: where it stands, what it proposes, how to
 * review it. The review commands name the memory folder (`memoryDir`, absolute) with --dir,
 * because the agent's shell need not run where this server does.
 */
export function summarizeDream(record: DreamRecord, memoryDir: string): Record<string, unknown> {
  const dir = ` --dir ${shellWord(memoryDir)}`;
  const reviewable = record.status === "completed" && record.adopted === null && record.archived_at === null && record.outputs.branch !== null;
  return {
    id: record.id,
    status: record.status,
    created_at: record.created_at,
    ended_at: record.ended_at,
    provider: record.provider,
    sessions: record.inputs.sessions.length,
    branch: record.outputs.branch,
    ops: record.outputs.ops,
    // `state` is the CLI's pass / FAIL / note: no_op is passed: false yet blocks nothing.
    gates: record.gates.map((gate) => ({ ...gate, state: gateState(gate) })),
    error: record.error,
    adopted: record.adopted !== null,
    usage: record.usage,
    ...(reviewable
      ? {
          review: [
            `reverie dream show ${record.id}${dir} --evidence`,
            `reverie dream review ${record.id}${dir}`,
            `reverie dream adopt ${record.id}${dir} [--skip N]`,
            `reverie dream discard ${record.id}${dir}`,
          ],
        }
      : {}),
  };
}
