import { adoptDream, dream, type Consolidator, type DreamRecord } from "@reverie/dream";

/** What one dream did to a memory folder, as the bench reports it. */
export interface DreamOutcome {
  status: DreamRecord["status"];
  ops: DreamRecord["outputs"]["ops"];
  /** Whether the dream was merged into the memory branch. */
  adopted: boolean;
  /** Why it was not adopted (no change, a failed gate, a failed run). */
  note?: string;
  usage: DreamRecord["usage"];
  seconds: number;
}

export interface RunDreamOptions {
  memoryDir: string;
  /** Session files or folders. */
  sessions: string[];
  consolidator: Consolidator;
  /** The dream's clock. */
  now: Date;
}

/** Runs a dream (branch written, nothing adopted) and times it. */
export async function runDream(options: RunDreamOptions): Promise<{ record: DreamRecord; seconds: number }> {
  const t0 = performance.now();
  const record = await dream({ memory: options.memoryDir, sessions: options.sessions, consolidator: options.consolidator, clock: () => options.now, autoAdopt: false });
  return { record, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Runs a dream and adopts it the way `reverie dream --auto-adopt` does: through `dream()` and
 * `adoptDream()`, only when every blocking gate passes. The one place the bench touches the
 * dream runner, so the quality suite measures exactly what users end up with.
 */
export async function runDreamAndAdopt(options: RunDreamOptions): Promise<DreamOutcome> {
  const t0 = performance.now();
  const { record } = await runDream(options);
  const outcome = (adopted: boolean, note?: string): DreamOutcome => {
    const out: DreamOutcome = { status: record.status, ops: record.outputs.ops, adopted, usage: record.usage, seconds: (performance.now() - t0) / 1000 };
    if (note !== undefined) out.note = note;
    return out;
  };
  if (record.status !== "completed") return outcome(false, `dream ${record.status}: ${record.error?.type ?? "?"} ${record.error?.message ?? ""}`.trim());
  if (!record.outputs.branch || record.operations.length === 0) return outcome(false, "the dream proposed no change");
  const blocked = record.gates.filter((g) => !g.passed && g.name !== "no_op");
  if (blocked.length > 0) return outcome(false, `not adopted: gate ${blocked.map((g) => `${g.name} (${g.detail})`).join("; ")}`);
  await adoptDream(options.memoryDir, record.id, { clock: () => options.now });
  return outcome(true);
}
