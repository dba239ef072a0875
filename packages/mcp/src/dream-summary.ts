import type { DreamRecord } from "@reverie/dream";

/** The part of a dream's run record an agent needs: where it stands, what it proposes, how to review it. */
export function summarizeDream(record: DreamRecord): Record<string, unknown> {
  return {
    id: record.id,
    status: record.status,
    created_at: record.created_at,
    ended_at: record.ended_at,
    provider: record.provider,
    sessions: record.inputs.sessions.length,
    branch: record.outputs.branch,
    ops: record.outputs.ops,
    gates: record.gates,
    error: record.error,
    adopted: record.adopted !== null,
    usage: record.usage,
    ...(record.status === "completed" && record.adopted === null ? { review: `reverie dream show ${record.id}; reverie dream adopt ${record.id}` } : {}),
  };
}
