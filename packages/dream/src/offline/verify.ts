import type { Evidence, VerifyOperation } from "../consolidate/operations.js";
import { sortEvidence, withAt, type TurnIndex } from "./evidence.js";
import type { MemoryView } from "./memory-view.js";
import type { SessionSignals, ToolCall } from "./signals.js";
import { extractValues } from "./values.js";

/** A concrete thing a memory claims that a tool call can exercise. */
interface Claim {
  view: MemoryView;
  /** Lowercased text that must appear in the call (or, for versions, in its output). */
  needle: string;
  kind: "command" | "path" | "port" | "version" | "url" | "identifier";
}

const COMMANDISH = /^[\w.@/~-]+(?:\s+\S+)+$/;

/** Claims of a memory: inline commands, paths, ports, versions, URLs and digit-bearing identifiers. */
function claimsOf(view: MemoryView): Claim[] {
  const out: Claim[] = [];
  for (const v of extractValues(view.text)) {
    if (v.kind === "quoted") {
      if (COMMANDISH.test(v.value) && v.value.length >= 5) out.push({ view, needle: v.value, kind: "command" });
    } else if (v.kind === "path" && v.value.length >= 4) {
      out.push({ view, needle: v.value, kind: "path" });
    } else if (v.kind === "number" && /^\d{3,5}$/.test(v.value) && /\bport\b|:\d/i.test(view.text)) {
      out.push({ view, needle: v.value, kind: "port" });
    } else if (v.kind === "version") {
      out.push({ view, needle: v.value.replace(/^v/, ""), kind: "version" });
    } else if (v.kind === "url") {
      out.push({ view, needle: v.value, kind: "url" });
    } else if (v.kind === "identifier" && /\d/.test(v.value) && v.value.length >= 5) {
      out.push({ view, needle: v.value, kind: "identifier" });
    }
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function containsToken(haystack: string, needle: string): boolean {
  return new RegExp(String.raw`(?<![\w.-])${escapeRegExp(needle)}(?![\w-]|\.\w)`).test(haystack);
}

function exercises(claim: Claim, call: ToolCall, command: string): boolean {
  switch (claim.kind) {
    case "command":
      return command.includes(claim.needle);
    case "path":
      return command.includes(claim.needle);
    case "version": {
      if (containsToken(command, claim.needle)) return true;
      // A version seen only in the output counts when the memory names the program that printed it.
      const program = command.split(" ")[0] ?? "";
      return program !== "" && containsToken(claim.view.text.toLowerCase(), program) && containsToken((call.result?.text ?? "").slice(0, 2000).toLowerCase().replace(/\bv(?=\d)/g, ""), claim.needle);
    }
    default:
      return containsToken(command, claim.needle);
  }
}

/** Words of a command that could start a claim's lookup: every whitespace piece and its sub-pieces. */
function lookupKeys(command: string): Set<string> {
  const keys = new Set<string>();
  for (const piece of command.split(/\s+/)) {
    if (piece === "") continue;
    keys.add(piece);
    for (const sub of piece.split(/[:/=@'"`,;()[\]{}]+/)) if (sub !== "") keys.add(sub.replace(/^v(?=\d)/, ""));
  }
  return keys;
}

function firstWord(needle: string): string {
  return needle.split(/\s+/)[0]!.split(/[:/=@'"`,;()[\]{}]+/).find((s) => s !== "")?.replace(/^v(?=\d)/, "") ?? needle;
}

/**
 * Stamps memories whose concrete claim a session exercised successfully: the memory's command
 * ran, its path was read, its port answered, its version was reported. Each memory gets one
 * `verify` citing the latest successful call of each verifying session it does not already
 * carry a stamp for, at most `maxSessions` of them.
 */
export function findVerifications(
  views: readonly MemoryView[],
  signals: readonly SessionSignals[],
  turns: TurnIndex,
  maxSessions = 3,
): VerifyOperation[] {
  const index = new Map<string, Claim[]>();
  for (const view of views) {
    if (view.protected || view.trust === "low") continue;
    for (const claim of claimsOf(view)) {
      const key = firstWord(claim.needle);
      const list = index.get(key);
      if (list) list.push(claim);
      else index.set(key, [claim]);
    }
  }
  const hits = new Map<string, { view: MemoryView; bySession: Map<string, { evidence: Evidence; claim: Claim }> }>();
  for (const s of signals) {
    for (const call of s.calls) {
      if (!call.ok || call.command === "") continue;
      const command = call.command.toLowerCase().replace(/\s+/g, " ");
      const seen = new Set<Claim>();
      const keys = lookupKeys(command);
      for (const key of lookupKeys((call.result?.text ?? "").slice(0, 2000).toLowerCase())) if (/^\d+\.\d/.test(key)) keys.add(key);
      for (const key of keys) {
        for (const claim of index.get(key) ?? []) {
          if (seen.has(claim) || !exercises(claim, call, command)) continue;
          seen.add(claim);
          const view = claim.view;
          if (!Number.isNaN(view.created) && !Number.isNaN(call.at) && call.at < view.created) continue;
          const stamped = Array.isArray(view.note.frontmatter.verified) && view.note.frontmatter.verified.some((v) => v?.session === s.id);
          if (stamped) continue;
          const entry = hits.get(view.path) ?? { view, bySession: new Map() };
          const previous = entry.bySession.get(s.id);
          const stronger = !previous || (previous.claim.kind !== "command" && claim.kind === "command") || previous.claim.kind === claim.kind;
          if (stronger) {
            entry.bySession.set(s.id, {
              claim,
              evidence: withAt({ session: s.id, turn: call.result!.turn, note: `${describe(claim)} succeeded` }, call.result!.at),
            });
          }
          hits.set(view.path, entry);
        }
      }
    }
  }
  const ops: VerifyOperation[] = [];
  for (const path of [...hits.keys()].sort()) {
    const { bySession } = hits.get(path)!;
    const chosen = sortEvidence([...bySession.values()].map((h) => h.evidence), turns).slice(-maxSessions);
    const last = [...bySession.values()].find((h) => h.evidence === chosen[chosen.length - 1])!;
    ops.push({
      kind: "verify",
      path,
      note: `${describe(last.claim)} succeeded`,
      reason: `${describe(last.claim)} exercised successfully in ${chosen.map((e) => `${e.session}#${e.turn}`).join(", ")}`,
      evidence: chosen,
    });
  }
  return ops;
}

function describe(claim: Claim): string {
  switch (claim.kind) {
    case "command":
      return `\`${claim.needle}\``;
    case "port":
      return `port ${claim.needle}`;
    case "version":
      return `version ${claim.needle}`;
    default:
      return `${claim.kind} ${claim.needle}`;
  }
}
