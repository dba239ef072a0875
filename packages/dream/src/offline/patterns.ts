import type { Evidence, PatternOperation } from "../consolidate/operations.js";
import { sortEvidence, withAt, type TurnIndex } from "./evidence.js";
import { screenText } from "./injection.js";
import { freePath, oneLine, slugify } from "./memory-paths.js";
import type { MemoryView } from "./memory-view.js";
import type { PatternOptions } from "./lessons.js";
import type { SessionSignals } from "./signals.js";
import { weightedJaccard, type TermStats } from "./similarity.js";
import { tokenSet } from "./tokenize.js";

const CORRECTION = /^(?:no\b|nope\b|wrong\b|stop\b|don'?t\b|do\s+not\b|never\b|please\s+(?:don'?t|do\s+not|stop|never|always|remember)\b|i\s+(?:said|told\s+you|asked)\b|again\b|remember\s+to\b|you\s+forgot\b|not\s+like\s+that\b|that'?s\s+(?:wrong|not)\b|always\b)/i;

/**
 * Mines repeated user corrections: messages of a person that correct the agent ("no, use …",
 * "don't …", "I told you …") and say nearly the same thing in at least `minSessions`
 * distinct sessions become a lesson.
 */
export function mineCorrections(
  signals: readonly SessionSignals[],
  views: readonly MemoryView[],
  stats: TermStats,
  taken: Set<string>,
  turns: TurnIndex,
  options: PatternOptions = {},
): PatternOperation[] {
  const minSessions = options.minSessions ?? 3;
  const clusters: Array<{ tokens: Set<string>; items: Array<{ session: string; turn: number; at: string | undefined; text: string; rank: number }> }> = [];
  for (const s of signals) {
    for (const m of s.userMessages) {
      const text = m.event.text.trim();
      if (!CORRECTION.test(text) || text.length > 400) continue;
      const tokens = tokenSet(text);
      if (tokens.size < 2) continue;
      let home = clusters.find((c) => weightedJaccard(c.tokens, tokens, stats) >= 0.5);
      if (!home) {
        home = { tokens, items: [] };
        clusters.push(home);
      }
      home.items.push({ session: s.id, turn: m.event.turn, at: m.event.at, text, rank: s.rank });
    }
  }
  const ops: PatternOperation[] = [];
  for (const c of clusters) {
    const sessions = [...new Set(c.items.map((i) => i.session))];
    if (sessions.length < minSessions) continue;
    const latest = c.items[c.items.length - 1]!;
    if (views.some((v) => weightedJaccard(v.tokens, tokenSet(latest.text), stats) >= 0.5)) continue;
    const screen = screenText(latest.text);
    const firstPerSession = sessions.map((id) => c.items.find((i) => i.session === id)!);
    ops.push({
      kind: "pattern",
      path: freePath("lessons", slugify(latest.text, 7), taken),
      title: oneLine(`User correction: ${latest.text}`, 90),
      type: "lesson",
      body: [`The user has corrected this in ${sessions.length} sessions:`, "", `> ${oneLine(latest.text, 400)}`, "", `Sessions: ${sessions.join(", ")}.`, ""].join("\n"),
      trust: screen.flagged ? "low" : "normal",
      tags: ["user-correction"],
      reason: `the same user correction recurs in ${sessions.length} sessions`,
      evidence: sortEvidence(firstPerSession.map((i) => withAt({ session: i.session, turn: i.turn, note: "user correction" }, i.at)), turns),
    });
  }
  return ops.sort((a, b) => (a.path < b.path ? -1 : 1));
}
