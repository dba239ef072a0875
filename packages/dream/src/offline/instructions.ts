import { DreamOperationKinds, type DreamOperationKind } from "../consolidate/operations.js";

/** What the offline consolidator understood of a dream's instructions. */
export interface DreamPolicy {
  /** Operation kinds it may emit. */
  kinds: Set<DreamOperationKind>;
  /** Memories under these path prefixes are left alone (never merged, updated, retired or stamped). */
  protectedPrefixes: string[];
  /** Memories of these `type`s are left alone. */
  protectedTypes: string[];
  /** Whether `stale` may delete memories (otherwise it only updates). */
  allowRetire: boolean;
}

/** The result of reading instructions: the policy, and the lines that were not understood. */
export interface ParsedInstructions {
  policy: DreamPolicy;
  ignored: string[];
}

const KIND_WORDS: Array<[RegExp, DreamOperationKind]> = [
  [/^(?:dedup\w*|de-dup\w*|merg\w*|duplicates?)$/, "dedup"],
  [/^(?:stale\w*|updat\w*|conflicts?)$/, "stale"],
  [/^(?:patterns?|playbooks?|lessons?)$/, "pattern"],
  [/^(?:verif\w*)$/, "verify"],
  [/^(?:learn\w*)$/, "learn"],
  [/^(?:reorgani[sz]\w*|renam\w*|mov\w*)$/, "reorganize"],
];

const TYPE_WORDS = new Map([
  ["fact", "fact"],
  ["facts", "fact"],
  ["preference", "preference"],
  ["preferences", "preference"],
  ["playbook", "playbook"],
  ["playbooks", "playbook"],
  ["lesson", "lesson"],
  ["lessons", "lesson"],
  ["note", "note"],
  ["notes", "note"],
]);

const LEAVE = String.raw`(?:leave|don'?t\s+(?:touch|change|modify|edit)|do\s+not\s+(?:touch|change|modify|edit)|never\s+(?:touch|change|modify|edit)|skip|exclude|ignore|protect)`;
const LEAVE_PREFIX = new RegExp(String.raw`^${LEAVE}\s+(?:anything\s+|memories\s+|files\s+)?(?:in\s+|under\s+|inside\s+)?(?:the\s+)?\x60?([\w.@-]+(?:/[\w.@-]+)*/)\x60?\s*(?:folder|directory|dir)?\s*(?:alone)?$`, "i");
const LEAVE_TYPE = new RegExp(String.raw`^${LEAVE}\s+(?:any\s+|anything\s+of\s+|memories\s+(?:of|with)\s+)?(?:the\s+)?(?:type\s*[:=]\s*\x60?(\w+)\x60?|(\w+)\s+memories|(\w+))\s*(?:alone)?$`, "i");
const ONLY = /^(?:only|just)\s+(?:do\s+|run\s+)?(.+?)$|^(.+?)\s+only$/i;
const NO_KIND = /^(?:no|don'?t|do\s+not|never|skip|without)\s+(?:do\s+|run\s+|any\s+|propose\s+|make\s+)?(.+?)$/i;
const NO_RETIRE = /^(?:no|don'?t|do\s+not|never)\s+(?:retire|delete|remove)\w*\s*(?:anything|any\s+memor(?:y|ies)|memories|files)?$/i;

function kindsOf(phrase: string): DreamOperationKind[] | null {
  const words = phrase
    .toLowerCase()
    .split(/[\s,/&+]+|\band\b|\bor\b/)
    .map((w) => w.trim())
    .filter((w) => w !== "" && w !== "and" && w !== "or" && w !== "ops" && w !== "operations");
  if (words.length === 0) return null;
  const kinds: DreamOperationKind[] = [];
  for (const word of words) {
    const hit = KIND_WORDS.find(([re]) => re.test(word));
    if (!hit) return null;
    kinds.push(hit[1]);
  }
  return kinds;
}

function normalizeLine(line: string): string {
  return line
    .trim()
    .replace(/^(?:[-*+]|\d+[.)])\s+/, "")
    .replace(/^please\s+/i, "")
    .replace(/[.!;]+$/, "")
    .trim();
}

/**
 * Reads the lines of a dream's instructions the offline consolidator can apply: leave a path
 * prefix or a memory type alone, only / no certain operation kinds, never retire. Every other
 * non-empty line is returned as ignored, verbatim, so the run record says what was not honoured.
 */
export function parseInstructions(instructions: string | undefined): ParsedInstructions {
  const policy: DreamPolicy = { kinds: new Set(DreamOperationKinds), protectedPrefixes: [], protectedTypes: [], allowRetire: true };
  const ignored: string[] = [];
  for (const raw of (instructions ?? "").split(/\r?\n/)) {
    const line = normalizeLine(raw);
    if (line === "" || line.startsWith("#")) continue;
    if (!applyLine(line, policy)) ignored.push(raw.trim());
  }
  return { policy, ignored };
}

function applyLine(line: string, policy: DreamPolicy): boolean {
  const prefix = LEAVE_PREFIX.exec(line)?.[1];
  if (prefix) {
    policy.protectedPrefixes.push(prefix.replace(/^\.\//, "").replace(/^\//, ""));
    return true;
  }
  if (NO_RETIRE.test(line)) {
    policy.allowRetire = false;
    return true;
  }
  const type = LEAVE_TYPE.exec(line);
  if (type) {
    const explicit = type[1];
    const word = (type[2] ?? type[3] ?? "").toLowerCase();
    const resolved = explicit ? explicit.toLowerCase() : TYPE_WORDS.get(word);
    if (resolved) {
      policy.protectedTypes.push(resolved);
      return true;
    }
  }
  const only = ONLY.exec(line);
  if (only) {
    const kinds = kindsOf(only[1] ?? only[2] ?? "");
    if (kinds) {
      for (const k of DreamOperationKinds) if (!kinds.includes(k)) policy.kinds.delete(k);
      return true;
    }
  }
  const no = NO_KIND.exec(line);
  if (no) {
    const kinds = kindsOf(no[1] ?? "");
    if (kinds) {
      for (const k of kinds) policy.kinds.delete(k);
      return true;
    }
  }
  return false;
}

/** Whether `policy` forbids touching a memory at `path` with `type`. */
export function isProtected(policy: DreamPolicy, path: string, type: unknown): boolean {
  if (policy.protectedPrefixes.some((p) => path.startsWith(p))) return true;
  return typeof type === "string" && policy.protectedTypes.includes(type.trim().toLowerCase());
}
