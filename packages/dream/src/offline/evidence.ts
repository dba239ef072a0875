import type { Evidence } from "../consolidate/operations.js";
import type { Session } from "../transcripts/types.js";

/** The session turns that exist in a dream's input, so operations cite only what a reviewer can open. */
export interface TurnIndex {
  has(session: string, turn: number): boolean;
  /** Order of sessions by start time then id: later sessions have larger ranks. */
  rank(session: string): number;
}

/** `evidence` with `at` set when the transcript gave a time (absent keys stay absent). */
export function withAt(evidence: Evidence, at: string | undefined): Evidence {
  return at === undefined ? evidence : { ...evidence, at };
}

/** Indexes the turns of `sessions` (already sorted in dream order). */
export function turnIndex(sessions: readonly Session[]): TurnIndex {
  const turns = new Map<string, Set<number>>();
  const ranks = new Map<string, number>();
  sessions.forEach((s, i) => {
    ranks.set(s.header.id, i);
    turns.set(s.header.id, new Set(s.events.map((e) => e.turn)));
  });
  return {
    has: (session, turn) => turns.get(session)?.has(turn) ?? false,
    rank: (session) => ranks.get(session) ?? -1,
  };
}

/** Evidence from a memory's `sources`, kept only where the cited turn is in the input. */
export function sourceEvidence(sources: unknown, turns: TurnIndex, note?: string): Evidence[] {
  if (!Array.isArray(sources)) return [];
  const out: Evidence[] = [];
  for (const s of sources) {
    if (typeof s !== "object" || s === null) continue;
    const { session, turn, at } = s as { session?: unknown; turn?: unknown; at?: unknown };
    if (typeof session !== "string" || typeof turn !== "number" || !turns.has(session, turn)) continue;
    const e: Evidence = { session, turn };
    if (typeof at === "string") e.at = at;
    else if (at instanceof Date) e.at = at.toISOString();
    if (note !== undefined) e.note = note;
    out.push(e);
  }
  return out;
}

/** Evidence without repeats, in dream order (session rank, then turn). */
export function sortEvidence(evidence: readonly Evidence[], turns: TurnIndex): Evidence[] {
  const seen = new Set<string>();
  const out: Evidence[] = [];
  for (const e of evidence) {
    const id = `${e.session}#${e.turn}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(e);
  }
  return out.sort((a, b) => turns.rank(a.session) - turns.rank(b.session) || (a.session < b.session ? -1 : a.session > b.session ? 1 : 0) || a.turn - b.turn);
}

/**
 * Sorts sessions into dream order, independent of input order: by the transcript's own start
 * time; sessions without one (text exports carry no times) come first, ordered by their source
 * file's name — exports are usually named by date — and then by id.
 */
export function sortSessions(sessions: readonly Session[]): Session[] {
  const key = (s: Session): [number, string] => (s.header.started !== undefined ? [1, s.header.started] : [0, sourceName(s)]);
  return [...sessions].sort((a, b) => {
    const [ka, va] = key(a);
    const [kb, vb] = key(b);
    if (ka !== kb) return ka - kb;
    if (va !== vb) return va < vb ? -1 : 1;
    return a.header.id < b.header.id ? -1 : a.header.id > b.header.id ? 1 : 0;
  });
}

/** The file name a session was imported from ("2025-11-24-f.txt"), empty when unknown. */
function sourceName(session: Session): string {
  return session.header.source?.path?.split(/[\\/]/).pop() ?? "";
}

/** Sessions whose place in dream order was guessed (no start time in the transcript). */
export function undatedSessions(sessions: readonly Session[]): Session[] {
  return sessions.filter((s) => s.header.started === undefined);
}
