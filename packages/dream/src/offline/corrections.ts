import type { Evidence } from "../consolidate/operations.js";
import type { SessionSignals } from "./signals.js";
import { withAt } from "./evidence.js";
import { rawTokens } from "./tokenize.js";
import { extractValues, type WitnessValue } from "./values.js";

/** A value that changed, and where a session says so. */
export interface Correction {
  /** Normalized old value (lowercase). */
  oldValue: string;
  /** New value as the session wrote it. */
  newValue: string;
  /** Text around the change, to find the memory it is about. */
  context: string;
  /** `user` when a person said it; `command` when a failing call succeeded with the new value. */
  source: "user" | "command";
  evidence: Evidence;
  at: number;
  rank: number;
}

const STOP = new Set(["a", "an", "the", "to", "use", "using", "with", "on", "in", "at", "for", "of", "it", "is", "be", "we", "now", "please", "always", "just", "and", "as", "our"]);

/** How much of each call's text around a retried command is read for the subject's words. */
const CONTEXT_CHARS = 500;

const SENTENCE_SPLIT = /(?<=[.!?])\s+|\n+/;
const INSTEAD = String.raw`\s*[,;:(-]?\s*\b(?:not|instead\s+of|rather\s+than)\b\s+`;
const PATTERNS: Array<{ re: RegExp; swap: boolean }> = [
  { re: new RegExp(String.raw`\bfrom\s+now\s+on\b[,:]?\s*(?<x>.+?)${INSTEAD}(?<y>.+?)\s*[).!]*$`, "i"), swap: false },
  { re: new RegExp(String.raw`\b(?:use|using|it'?s|it\s+is|switch\s+to|go\s+with|prefer|should\s+be|must\s+be)\s+(?<x>.+?)${INSTEAD}(?<y>.+?)\s*[).!]*$`, "i"), swap: false },
  { re: /\b(?:changed|switched|moved|migrated|updated|bumped|upgraded|downgraded)\b.*?\bfrom\s+(?<y>.+?)\s+to\s+(?<x>.+?)\s*[).!,;]*$/i, swap: true },
  { re: /\b(?:no\s+longer|not)\s+(?<y>[^,;]+?)\s*[,;]\s*(?:but\s+|it'?s\s+|now\s+|use\s+)*(?<x>.+?)\s*[).!]*$/i, swap: true },
];

function words(phrase: string): string[] {
  return rawTokens(phrase).filter((w) => !STOP.has(w));
}

function originalCase(phrase: string, lower: string): string {
  const at = phrase.toLowerCase().indexOf(lower);
  return at < 0 ? lower : phrase.slice(at, at + lower.length);
}

/** Picks the single old→new pair a sentence states, or null when it is not clear. */
function pairOf(x: string, y: string, requireValues: boolean): { oldValue: string; newValue: string } | null {
  const vx = extractValues(x).filter((v) => v.kind !== "quoted" || !/\s/.test(v.value));
  const vy = extractValues(y).filter((v) => v.kind !== "quoted" || !/\s/.test(v.value));
  if (vy.length === 1 && vx.length >= 1) {
    const old = vy[0]!;
    const same: WitnessValue | undefined = vx.find((v) => v.kind === old.kind) ?? (vx.length === 1 ? vx[0] : undefined);
    if (!same || same.value === old.value) return null;
    return { oldValue: old.value, newValue: originalCase(x, same.value) };
  }
  if (requireValues || vy.length > 0) return null;
  const wy = words(y);
  const wx = words(x);
  if (wy.length !== 1 || wx.length === 0) return null;
  const oldValue = wy[0]!;
  const newLower = wx[wx.length - 1]!;
  if (newLower === oldValue) return null;
  return { oldValue, newValue: originalCase(x, newLower) };
}

/** Corrections a person states: "from now on use port 9090, not 8080", "we moved from us-east-1 to us-east-2". */
export function userCorrections(signals: readonly SessionSignals[]): Correction[] {
  const out: Correction[] = [];
  for (const s of signals) {
    for (const m of s.userMessages) {
      for (const sentence of m.event.text.split(SENTENCE_SPLIT)) {
        for (const [i, { re }] of PATTERNS.entries()) {
          const g = re.exec(sentence)?.groups;
          if (!g?.x || !g.y) continue;
          const pair = pairOf(g.x, g.y, i === 3);
          if (!pair) continue;
          out.push({ ...pair, context: sentence, source: "user", evidence: withAt({ session: s.id, turn: m.event.turn, note: "user states the new value" }, m.event.at), at: m.at, rank: s.rank });
          break;
        }
      }
    }
  }
  return out;
}

/** A command with its values replaced by placeholders: two calls of one shape differ only in values. */
export function commandShape(command: string): string {
  return command
    .split(/\s+/)
    .map((t) => (extractValues(t).some((v) => v.kind !== "name") ? "<v>" : t))
    .join(" ");
}

/**
 * Corrections a session shows by doing: a call fails with one value and the same call
 * (same tool, same command apart from that value) succeeds soon after with another.
 */
export function commandCorrections(signals: readonly SessionSignals[], window = 5): Correction[] {
  const out: Correction[] = [];
  for (const s of signals) {
    s.calls.forEach((failed, i) => {
      if (failed.ok || !failed.result || failed.command === "") return;
      const shape = commandShape(failed.command);
      for (let j = i + 1; j < Math.min(s.calls.length, i + 1 + window); j++) {
        const next = s.calls[j]!;
        if (next.use.name !== failed.use.name || !next.ok || commandShape(next.command) !== shape) continue;
        const before = extractValues(failed.command).filter((v) => v.kind !== "quoted" && v.kind !== "url");
        const after = extractValues(next.command).filter((v) => v.kind !== "quoted" && v.kind !== "url");
        const afterSet = new Set(after.map((v) => v.value));
        const beforeSet = new Set(before.map((v) => v.value));
        const gone = before.filter((v) => !afterSet.has(v.value) && v.kind !== "path");
        const came = after.filter((v) => !beforeSet.has(v.value) && v.kind !== "path");
        if (gone.length !== 1 || came.length !== 1 || gone[0]!.kind !== came[0]!.kind) break;
        out.push({
          oldValue: gone[0]!.value,
          newValue: originalCase(next.command, came[0]!.value),
          // A command rarely names its subject (`curl localhost:8123`); what the session did in
          // between (the compose file it read, the error it got) usually does.
          context: [failed.result.text, ...s.calls.slice(i + 1, j).flatMap((c) => [c.command, c.result?.text ?? ""]), next.command].map((t) => t.slice(0, CONTEXT_CHARS)).join("\n"),
          source: "command",
          evidence: withAt(
            { session: s.id, turn: next.result?.turn ?? next.use.turn, note: `\`${next.command.slice(0, 80)}\` succeeded after the old value failed` },
            next.result?.at ?? next.use.at,
          ),
          at: next.at,
          rank: s.rank,
        });
        break;
      }
    });
  }
  return out;
}

/*
 * A change told in two halves: where things are now ("we moved production to us-east-2", "it's
 * `analytics_prod.events_v3` now") and what is gone ("eu-west-1 is decommissioned", "events_v2
 * stopped updating"). Each half alone names one value; together, in one message, they are the
 * old and the new value of one subject.
 */
const VALUE = String.raw`\x60?(?<v>[^\s,;()\x60]+)\x60?`;
const NOW_AT: readonly RegExp[] = [
  new RegExp(String.raw`\b(?:moved|migrated|switched|changed|changing|moving|renamed|relocated|upgraded|cut\s+over)\b[^.;!?]*?\bto\s+${VALUE}`, "i"),
  new RegExp(String.raw`\b(?:it'?s|it\s+is|they'?re|that'?s)\s+${VALUE}\s+now\b`, "i"),
  new RegExp(String.raw`\b(?:is|are|lives?|runs?)\s+(?:now\s+)?(?:in|on|at)?\s*${VALUE}\s+now\b`, "i"),
  new RegExp(String.raw`\b(?:is|are)\s+now\s+(?:in|on|at)?\s*${VALUE}`, "i"),
];
const GONE: readonly RegExp[] = [
  new RegExp(String.raw`${VALUE}\s+(?:is|was|are|were|has\s+been|have\s+been|got|is\s+being)\s+(?:now\s+)?(?:decommissioned|deprecated|retired|gone|dead|removed|obsolete|shut\s+down|turned\s+off|frozen|read-only|archived)\b`, "i"),
  new RegExp(String.raw`${VALUE}\s+(?:stopped|no\s+longer|doesn'?t|does\s+not)\s+(?:updating|working|exists?|running|receiving|used|update|work|exist)\b`, "i"),
  new RegExp(String.raw`\bno\s+longer\s+(?:use|using|on|in|at)\s+${VALUE}`, "i"),
];

function valueIn(re: RegExp, text: string): WitnessValue | undefined {
  const v = re.exec(text)?.groups?.v?.replace(/[.!?:]+$/, "");
  if (v === undefined) return undefined;
  const values = extractValues(v).filter((x) => x.kind !== "quoted");
  return values.length === 1 ? values[0] : undefined;
}

/** Corrections a person tells in two halves within one message: the new place and the gone one. */
export function movedCorrections(signals: readonly SessionSignals[]): Correction[] {
  const out: Correction[] = [];
  for (const s of signals) {
    for (const m of s.userMessages) {
      const text = m.event.text;
      const fresh = [...new Map(NOW_AT.map((re) => valueIn(re, text)).filter((v) => v !== undefined).map((v) => [v.value, v])).values()];
      const gone = [...new Map(GONE.map((re) => valueIn(re, text)).filter((v) => v !== undefined).map((v) => [v.value, v])).values()];
      if (fresh.length !== 1 || gone.length !== 1 || fresh[0]!.value === gone[0]!.value) continue;
      out.push({
        oldValue: gone[0]!.value,
        newValue: originalCase(text, fresh[0]!.value),
        context: text.slice(0, CONTEXT_CHARS),
        source: "user",
        evidence: withAt({ session: s.id, turn: m.event.turn, note: "user states the new value" }, m.event.at),
        at: m.at,
        rank: s.rank,
      });
    }
  }
  return out;
}

/**
 * Corrections a session makes by editing: an edit that succeeds replacing exactly one value
 * with another of its kind (`[0-9a-f]{8}` → `[0-9a-f]{12}`, port 8080 → 9090) in the file it
 * names. Like a retried call, it is one thing changed, so it must point at one memory.
 */
export function editCorrections(signals: readonly SessionSignals[]): Correction[] {
  const out: Correction[] = [];
  for (const s of signals) {
    for (const call of s.calls) {
      if (!call.ok || !call.result) continue;
      const input = call.use.input as Record<string, unknown> | null;
      const edits = Array.isArray(input?.edits) ? (input.edits as Array<Record<string, unknown>>) : [input ?? {}];
      for (const edit of edits) {
        if (typeof edit.old_string !== "string" || typeof edit.new_string !== "string") continue;
        const before = extractValues(edit.old_string).filter((v) => v.kind !== "quoted" || !/\s/.test(v.value));
        const after = extractValues(edit.new_string).filter((v) => v.kind !== "quoted" || !/\s/.test(v.value));
        const afterSet = new Set(after.map((v) => v.value));
        const beforeSet = new Set(before.map((v) => v.value));
        const gone = outermost(before.filter((v) => !afterSet.has(v.value)));
        const came = outermost(after.filter((v) => !beforeSet.has(v.value)));
        if (gone.length !== 1 || came.length !== 1 || gone[0]!.kind !== came[0]!.kind) continue;
        const file = typeof input?.file_path === "string" ? input.file_path : "";
        out.push({
          oldValue: gone[0]!.value,
          newValue: originalCase(edit.new_string, came[0]!.value),
          context: `${file} ${edit.old_string}`.slice(0, CONTEXT_CHARS),
          source: "command",
          evidence: withAt({ session: s.id, turn: call.use.turn, note: `an edit of ${file.split("/").pop() || "a file"} replaced it` }, call.use.at),
          at: call.at,
          rank: s.rank,
        });
      }
    }
  }
  return out;
}

/** Values not inside another of the list (`0-9a-f]{8` is a piece of `[0-9a-f]{8}`). */
function outermost(values: readonly WitnessValue[]): WitnessValue[] {
  return values.filter((v) => !values.some((w) => w !== v && w.value.length > v.value.length && w.value.includes(v.value)));
}
