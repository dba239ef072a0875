/**
 * The structured answer the model gives: a JSON schema (sent as strict tool input, or quoted
 * in the prompt for local servers) and a validator for the subset of JSON Schema it uses, so
 * a wrong answer is caught with a precise message the model can repair from.
 */

/** The tool the model must call with its operations. */
export const OPERATIONS_TOOL = "propose_operations";

/** A JSON schema node of the subset this module validates. */
export interface JsonSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: readonly string[];
  const?: string;
  minItems?: number;
  minLength?: number;
  minimum?: number;
}

const str = (description: string): JsonSchema => ({ type: "string", description });
const evidence: JsonSchema = {
  type: "array",
  description: "Turns that justify the operation, each a real `#turn` of a session shown to you.",
  items: {
    type: "object",
    additionalProperties: false,
    required: ["session", "turn"],
    properties: { session: str("Session id, e.g. ses_7f3a…"), turn: { type: "integer", minimum: 1 }, note: str("What this turn shows, in a few words.") },
  },
};
const reason = str("One line a reviewer reads: what changes and why.");

function op(kind: string, props: Record<string, JsonSchema>, required: string[]): JsonSchema {
  return {
    type: "object",
    additionalProperties: false,
    required: ["kind", ...required, "reason", "evidence"],
    properties: { kind: { type: "string", const: kind }, ...props, reason, evidence },
  };
}

/** JSON schema of the answer: `{ operations: [...] }`. */
export const OPERATIONS_SCHEMA: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["operations"],
  properties: {
    operations: {
      type: "array",
      items: {
        anyOf: [
          op("dedup", { keep: str("Path of the memory that survives."), remove: { type: "array", minItems: 1, items: { type: "string" } }, title: str("New title, if it should change."), body: str("New body holding every fact of the merged memories.") }, ["keep", "remove"]),
          op("stale", { path: str("Memory contradicted by newer evidence."), action: { type: "string", enum: ["update", "retire"] }, body: str("Updated body (update)."), title: str("Updated title (update)."), superseded_by: str("Memory now stating the current value (retire).") }, ["path", "action"]),
          op("pattern", { path: str("New memory path, e.g. playbooks/x.md; never an existing one."), title: str("Title."), type: { type: "string", enum: ["playbook", "lesson"] }, body: str("Markdown body: the situation, the error signature and the recovery."), tags: { type: "array", items: { type: "string" } } }, ["path", "title", "type", "body"]),
          op("learn", { path: str("New memory path, e.g. workflows/x.md or preferences/x.md; never an existing one."), title: str("Title."), type: { type: "string", enum: ["fact", "preference", "workflow", "lesson", "playbook"] }, body: str("Markdown body: the rule, fact or workflow with its concrete values (commands, paths, numbers)."), confidence: { type: "string", enum: ["stated", "observed", "settled"] }, tags: { type: "array", items: { type: "string" } } }, ["path", "title", "type", "body", "confidence"]),
          op("verify", { path: str("Memory whose concrete claim a session exercised successfully."), note: str("What succeeded.") }, ["path", "note"]),
          op("reorganize", { from: str("Current path."), to: str("New path.") }, ["from", "to"]),
        ],
      },
    },
  },
};

/** An evidence entry as the model writes it. */
export interface ModelEvidence {
  session: string;
  turn: number;
  note?: string;
}

/** An operation as the model writes it (snake_case, before the dream's gates). */
export type ModelOperation =
  | { kind: "dedup"; keep: string; remove: string[]; title?: string; body?: string; reason: string; evidence: ModelEvidence[] }
  | { kind: "stale"; path: string; action: "update" | "retire"; body?: string; title?: string; superseded_by?: string; reason: string; evidence: ModelEvidence[] }
  | { kind: "pattern"; path: string; title: string; type: "playbook" | "lesson"; body: string; tags?: string[]; reason: string; evidence: ModelEvidence[] }
  | { kind: "learn"; path: string; title: string; type: "fact" | "preference" | "workflow" | "lesson" | "playbook"; body: string; confidence: "stated" | "observed" | "settled"; tags?: string[]; reason: string; evidence: ModelEvidence[] }
  | { kind: "verify"; path: string; note: string; reason: string; evidence: ModelEvidence[] }
  | { kind: "reorganize"; from: string; to: string; reason: string; evidence: ModelEvidence[] };

/** The model's whole answer. */
export interface ModelAnswer {
  operations: ModelOperation[];
}

/** The outcome of validating an answer. */
export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function check(schema: JsonSchema, value: unknown, at: string, errors: string[]): void {
  if (schema.anyOf) {
    const kind = typeof value === "object" && value !== null ? (value as { kind?: unknown }).kind : undefined;
    const branch = schema.anyOf.find((b) => b.properties?.kind?.const === kind);
    if (branch) return check(branch, value, at, errors);
    const kinds = schema.anyOf.map((b) => b.properties?.kind?.const).filter(Boolean);
    errors.push(`${at}/kind: expected one of ${kinds.join(", ")}, got ${JSON.stringify(kind)}`);
    return;
  }
  const actual = typeOf(value);
  if (schema.type && actual !== schema.type && !(schema.type === "number" && actual === "integer")) {
    errors.push(`${at || "/"}: expected ${schema.type}, got ${actual}`);
    return;
  }
  if (schema.const !== undefined && value !== schema.const) errors.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value as string)) errors.push(`${at}: expected one of ${schema.enum.join(", ")}, got ${JSON.stringify(value)}`);
  if (schema.minLength !== undefined && typeof value === "string" && value.length < schema.minLength) errors.push(`${at}: must not be empty`);
  if (schema.minimum !== undefined && typeof value === "number" && value < schema.minimum) errors.push(`${at}: must be ≥ ${schema.minimum}`);
  if (schema.type === "array" && Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${at}: needs at least ${schema.minItems} item(s)`);
    if (schema.items) value.forEach((item, i) => check(schema.items!, item, `${at}/${i}`, errors));
  }
  if (schema.type === "object" && actual === "object") {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (obj[key] === undefined) errors.push(`${at}/${key}: is required`);
    for (const [key, v] of Object.entries(obj)) {
      const sub = schema.properties?.[key];
      if (sub) check(sub, v, `${at}/${key}`, errors);
      else if (schema.additionalProperties === false) errors.push(`${at}/${key}: is not allowed`);
    }
  }
}

/** Validates `value` against `schema`; errors are `/json/pointer: what is wrong` lines. */
export function validateAgainst<T>(schema: JsonSchema, value: unknown): Validation<T> {
  const errors: string[] = [];
  check(schema, value, "", errors);
  return errors.length === 0 ? { ok: true, value: value as T } : { ok: false, errors: errors.slice(0, 20) };
}

/** Validates a model answer against {@link OPERATIONS_SCHEMA}. */
export function validateAnswer(value: unknown): Validation<ModelAnswer> {
  return validateAgainst<ModelAnswer>(OPERATIONS_SCHEMA, value);
}

/**
 * Reads a JSON answer from free text (local servers answer in prose): code fences stripped,
 * the outermost `{…}` taken, then parsed and validated.
 */
export function parseJsonAnswer(text: string): Validation<ModelAnswer> {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1] ?? text;
  const start = fenced.indexOf("{");
  const end = fenced.lastIndexOf("}");
  if (start < 0 || end <= start) return { ok: false, errors: ["the answer contains no JSON object; reply with one JSON object {\"operations\": [...]}"] };
  let value: unknown;
  try {
    value = JSON.parse(fenced.slice(start, end + 1));
  } catch (err) {
    return { ok: false, errors: [`the answer is not valid JSON: ${(err as Error).message}`] };
  }
  return validateAnswer(value);
}
