import { renderNote } from "@reverie/core";
import type { Session, SessionEvent } from "@reverie/dream";
import type { ScenarioMemory } from "../generator/scenario.js";

/** One LoCoMo conversation as the bench uses it: sessions, the memories an append-only agent wrote, and the QA evidence. */
export interface LocomoConversation {
  sample: string;
  sessions: Session[];
  memories: ScenarioMemory[];
  /** Memory id of each dialogue turn (`D3:7`). */
  turnMemory: Map<string, string>;
  questions: Array<{ question: string; evidence: string[] }>;
}

interface RawTurn {
  speaker: string;
  dia_id: string;
  text: string;
  blip_caption?: string;
}

const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

/** Parses LoCoMo's `1:56 pm on 8 May, 2023` into ISO-8601; undefined when it does not match. */
export function parseLocomoDate(text: string): string | undefined {
  const m = /^(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})$/i.exec(text.trim());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[5]!.toLowerCase());
  if (month < 0) return undefined;
  let hour = Number(m[1]) % 12;
  if (m[3]!.toLowerCase() === "pm") hour += 12;
  return new Date(Date.UTC(Number(m[6]), month, Number(m[4]), hour, Number(m[2]))).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Turns one LoCoMo sample into normalized sessions (speaker A as the user, speaker B as the
 * assistant) and one memory per dialogue turn, dated and sourced to its session turn — what
 * an agent that saves everything it hears ends with.
 */
export function locomoConversation(sample: Record<string, unknown>): LocomoConversation {
  const id = String(sample.sample_id).replace(/[^A-Za-z0-9_-]/g, "-");
  const conv = sample.conversation as Record<string, unknown>;
  const speakerA = String(conv.speaker_a);
  const sessions: Session[] = [];
  const memories: ScenarioMemory[] = [];
  const turnMemory = new Map<string, string>();
  const keys = Object.keys(conv).filter((k) => /^session_\d+$/.test(k)).sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)));
  for (const key of keys) {
    const turns = conv[key] as RawTurn[];
    if (!Array.isArray(turns) || turns.length === 0) continue;
    const started = parseLocomoDate(String(conv[`${key}_date_time`] ?? "")) ?? "2023-01-01T00:00:00Z";
    const sessionId = `ses_locomo_${id}_${key.slice(8)}`;
    const events: SessionEvent[] = [];
    turns.forEach((t, i) => {
      const at = new Date(Date.parse(started) + i * 30_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      const text = t.blip_caption ? `${t.text} [shares a photo: ${t.blip_caption}]` : t.text;
      events.push({ type: "message", turn: i + 1, role: t.speaker === speakerA ? "user" : "assistant", text, at });
      const memId = `mem_locomo_${id}_${t.dia_id.replace(/[^A-Za-z0-9]/g, "_")}`;
      turnMemory.set(t.dia_id, memId);
      const fm = { id: memId, type: "note", created: at, updated: at, sources: [{ session: sessionId, turn: i + 1, at }] };
      memories.push({ path: `conversations/${key}/${t.dia_id.replace(/[^A-Za-z0-9]/g, "-")}.md`, id: memId, content: renderNote(fm, `${t.speaker}: ${text}\n`) });
    });
    sessions.push({
      header: { type: "session", id: sessionId, started, ended: events[events.length - 1]?.at ?? started, source: { format: "reverie", path: `locomo10.json#${id}/${key}`, sha256: "0".repeat(64) } },
      events,
    });
  }
  const questions = (Array.isArray(sample.qa) ? (sample.qa as Array<{ question?: unknown; evidence?: unknown }>) : [])
    .filter((q) => typeof q.question === "string" && Array.isArray(q.evidence))
    .map((q) => ({ question: q.question as string, evidence: (q.evidence as unknown[]).filter((e): e is string => typeof e === "string") }));
  return { sample: id, sessions, memories, turnMemory, questions };
}
