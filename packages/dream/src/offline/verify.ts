import type { Evidence, VerifyOperation } from "../consolidate/operations.js";
import { withAt, type TurnIndex } from "./evidence.js";
import type { MemoryView } from "./memory-view.js";
import { shellCommandOf } from "./shell-steps.js";
import { isEditTool, isReadTool, type SessionSignals, type ToolCall } from "./signals.js";
import { extractValues } from "./values.js";

/** A concrete thing a memory claims that a tool call can exercise. */
interface Claim {
  view: MemoryView;
  /** Lowercased text that must appear in the call (or, for versions, in its output). */
  needle: string;
  /** `value`: a quoted value no call exercises, which an edit can still take away. */
  kind: "command" | "path" | "port" | "version" | "url" | "identifier" | "value";
  /** `needle` as a whole token, compiled once. */
  token: RegExp;
}

const COMMANDISH = /^[\w.@/~-]+(?:\s+\S+)+$/;

/** Claims of a memory: inline commands, paths, ports, versions, URLs and digit-bearing identifiers. */
function claimsOf(view: MemoryView): Claim[] {
  const out: Claim[] = [];
  const push = (needle: string, kind: Claim["kind"]) => out.push({ view, needle, kind, token: tokenPattern(needle) });
  for (const v of extractValues(view.text)) {
    if (v.kind === "quoted") {
      if (COMMANDISH.test(v.value) && v.value.length >= 5) push(v.value, "command");
      else if (v.value.length >= 4) push(v.value.toLowerCase(), "value");
    } else if (v.kind === "path" && v.value.length >= 4) {
      push(v.value, "path");
    } else if (v.kind === "number" && /^\d{3,5}$/.test(v.value) && /\bport\b|:\d/i.test(view.text)) {
      push(v.value, "port");
    } else if (v.kind === "version") {
      push(v.value.replace(/^v/, ""), "version");
    } else if (v.kind === "url") {
      push(v.value, "url");
    } else if (v.kind === "identifier" && /\d/.test(v.value) && v.value.length >= 5) {
      push(v.value, "identifier");
    }
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function tokenPattern(needle: string): RegExp {
  return new RegExp(String.raw`(?<![\w.-])${escapeRegExp(needle)}(?![\w-]|\.\w)`);
}

function containsToken(haystack: string, needle: string): boolean {
  return tokenPattern(needle).test(haystack);
}


/** How a call can exercise a claim: a shell ran it, or a file tool opened it; undefined for searches and fetches. */
function exercisingKind(call: ToolCall): "shell" | "file" | undefined {
  if (shellCommandOf(call.use.name, call.use.input) !== undefined) return "shell";
  // Reading or editing a path exercises it; a search that names it does not.
  return isReadTool(call.use.name) || isEditTool(call.use.name) ? "file" : undefined;
}

function exercises(claim: Claim, call: ToolCall, command: string): boolean {
  const how = exercisingKind(call);
  if (how === undefined || claim.kind === "value") return false;
  switch (claim.kind) {
    case "command":
      return how === "shell" && command.includes(claim.needle);
    case "path":
      return how === "file" ? command.split(" ")[0]!.endsWith(claim.needle) : command.includes(claim.needle);
    case "version": {
      if (claim.token.test(command)) return true;
      // A version seen only in the output counts when the memory names the program that printed it.
      const program = command.split(" ")[0] ?? "";
      return program !== "" && containsToken(claim.view.text.toLowerCase(), program) && claim.token.test((call.result?.text ?? "").slice(0, 2000).toLowerCase().replace(/\bv(?=\d)/g, ""));
    }
    default:
      return how === "shell" && claim.token.test(command);
  }
}

/**
 * Whether a call tells against a claim: it ran the claim and failed, or it changed the value
 * away — an edit whose old text holds it and new text does not, a `mv`/`rm` of the path.
 */
function contradicts(claim: Claim, call: ToolCall, command: string): boolean {
  if (!call.ok && call.result !== undefined && exercises(claim, call, command)) return true;
  if (!call.ok) return false;
  const input = call.use.input as Record<string, unknown> | null;
  const before = typeof input?.old_string === "string" ? input.old_string.toLowerCase() : undefined;
  const after = typeof input?.new_string === "string" ? input.new_string.toLowerCase() : undefined;
  if (before !== undefined && after !== undefined && before.includes(claim.needle) && !after.includes(claim.needle)) return true;
  const line = shellCommandOf(call.use.name, call.use.input);
  return claim.kind === "path" && line !== undefined && /(?:^|[;&|]\s*)(?:git\s+)?(?:mv|rm)\s/.test(line) && command.includes(claim.needle);
}

/** Words of a command that could start a claim's lookup: every whitespace piece and its sub-pieces. */
function lookupKeys(command: string): Set<string> {
  const keys = new Set<string>();
  const pieces = command.split(/\s+/).filter((p) => p !== "");
  for (let i = 0; i + 1 < pieces.length; i++) keys.add(`${pieces[i]} ${pieces[i + 1]}`);
  for (const piece of pieces) {
    keys.add(piece);
    for (const sub of piece.split(/[:/=@'"`,;()[\]{}]+/)) if (sub !== "") keys.add(sub.replace(/^v(?=\d)/, ""));
  }
  return keys;
}

/** Index key of a claim: commands by their first two words, since every `pnpm …` claim under `pnpm` would be checked against every pnpm call. */
function claimKey(claim: Claim): string {
  if (claim.kind === "command") return claim.needle.split(" ").slice(0, 2).join(" ");
  // Paths by their last segment: `src/` prefixes every other path claim.
  if (claim.kind === "path") return claim.needle.split("/").filter((s) => s !== "").pop() ?? claim.needle;
  return firstWord(claim.needle);
}

function firstWord(needle: string): string {
  return needle.split(/\s+/)[0]!.split(/[:/=@'"`,;()[\]{}]+/).find((s) => s !== "")?.replace(/^v(?=\d)/, "") ?? needle;
}

/**
 * Stamps memories whose concrete claim a session exercised successfully: the memory's command
 * ran in a shell, its path was opened (a search that mentions a word confirms nothing), its port
 * answered, its version was reported — whenever the session was, before or after the memory was
 * written — unless a later call told against it: the claim failing, or an edit or `mv` taking
 * its value away. Each memory gets one
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
      const key = claimKey(claim);
      const list = index.get(key);
      if (list) list.push(claim);
      else index.set(key, [claim]);
    }
  }
  const hits = new Map<string, Map<string, { claim: Claim; call: ToolCall }>>();
  /** Per memory, the last call (dream order) that told against one of its claims. */
  const against = new Map<string, { rank: number; turn: number; failed: boolean }>();
  for (const s of signals) {
    for (const call of s.calls) {
      if (call.command === "") continue;
      // Only what can tell against a claim is read: a failure, a replacement (old → new text), a shell `mv`/`rm`.
      const replaces = typeof (call.use.input as { old_string?: unknown } | null)?.old_string === "string";
      if (!call.ok || replaces || shellCommandOf(call.use.name, call.use.input) !== undefined) {
        const command = call.command.toLowerCase().replace(/\s+/g, " ");
        const text = `${command} ${JSON.stringify(call.use.input ?? "").toLowerCase()}`;
        for (const key of lookupKeys(text)) {
          for (const claim of index.get(key) ?? []) if (contradicts(claim, call, command)) against.set(claim.view.path, { rank: s.rank, turn: call.use.turn, failed: !call.ok });
        }
      }
      if (!call.ok) continue;
      const command = call.command.toLowerCase().replace(/\s+/g, " ");
      const keys = lookupKeys(command);
      for (const key of lookupKeys((call.result?.text ?? "").slice(0, 2000).toLowerCase())) if (/^\d+\.\d/.test(key)) keys.add(key);
      for (const key of keys) {
        for (const claim of index.get(key) ?? []) {
          const view = claim.view;
          let bySession = hits.get(view.path);
          const previous = bySession?.get(s.id);
          // Within a session the latest call wins, but a command claim is never replaced by a weaker one.
          if (previous && (previous.call === call || (previous.claim.kind === "command" && claim.kind !== "command"))) continue;
          if (Array.isArray(view.note.frontmatter.verified) && view.note.frontmatter.verified.some((v) => v?.session === s.id)) continue;
          if (!exercises(claim, call, command)) continue;
          if (!bySession) {
            bySession = new Map();
            hits.set(view.path, bySession);
          }
          bySession.set(s.id, { claim, call });
          // A failure the same session got past (the run succeeding after a fix) tells against nothing.
          const told = against.get(view.path);
          if (told?.failed && told.rank === s.rank && told.turn < call.use.turn) against.delete(view.path);
        }
      }
    }
  }
  const ops: VerifyOperation[] = [];
  for (const path of [...hits.keys()].sort()) {
    const bySession = hits.get(path)!;
    // A confirmation the sessions later undid (the value edited away, the command failing) confirms nothing.
    const last = against.get(path);
    if (last !== undefined) {
      for (const [id, hit] of bySession) {
        const rank = turns.rank(id);
        if (rank < last.rank || (rank === last.rank && hit.call.use.turn <= last.turn)) bySession.delete(id);
      }
      if (bySession.size === 0) continue;
    }
    const chosenSessions = [...bySession.keys()].sort((a, b) => turns.rank(a) - turns.rank(b)).slice(-maxSessions);
    const chosen: Evidence[] = chosenSessions.map((id) => {
      const { claim, call } = bySession.get(id)!;
      return withAt({ session: id, turn: call.result!.turn, note: `${describe(claim)} succeeded` }, call.result!.at);
    });
    const latest = bySession.get(chosenSessions[chosenSessions.length - 1]!)!;
    ops.push({
      kind: "verify",
      path,
      note: `${describe(latest.claim)} succeeded`,
      reason: `${describe(latest.claim)} exercised successfully in ${chosen.map((e) => `${e.session}#${e.turn}`).join(", ")}`,
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
