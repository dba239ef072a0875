import { findRuleSecrets } from "./assignment-rules.js";

/**
 * What a found secret is, as written in `<redacted:kind>`. secretlint's rules map to the first
 * names; `password-assignment`, `jwt` and userinfo `basic-auth`/`database-url` also come from
 * reverie's own rules (assignment-rules.ts).
 */
export type SecretKind =
  | "aws-access-key"
  | "aws-secret-key"
  | "github-token"
  | "anthropic-key"
  | "openai-key"
  | "slack-token"
  | "npm-token"
  | "sendgrid-key"
  | "shopify-token"
  | "linear-key"
  | "gcp-key"
  | "1password-token"
  | "private-key"
  | "basic-auth"
  | "database-url"
  | "jwt"
  | "password-assignment"
  | (string & {});

/** One secret in a text: `text.slice(start, end)` is the credential itself (for a URL, only its password). */
export interface SecretMatch {
  kind: SecretKind;
  start: number;
  end: number;
}

export interface Redaction {
  /** The text with every secret replaced by `<redacted:kind>`. */
  text: string;
  /** The kind of each replaced secret, in text order (so `kinds.length` is how many). */
  kinds: SecretKind[];
}

/** The marker a redacted secret leaves; it is never itself reported as a secret. */
export function redactionMarker(kind: SecretKind): string {
  return `<redacted:${kind}>`;
}

const MARKERS = /<redacted:[a-z0-9-]{1,40}>/g;
const HAS_MARKER = /<redacted:[a-z0-9-]{1,40}>/;

/** secretlint rule id (after `@secretlint/secretlint-rule-`) → kind; AWS is split by message id. */
const KIND_BY_RULE: Record<string, SecretKind> = {
  github: "github-token",
  anthropic: "anthropic-key",
  openai: "openai-key",
  slack: "slack-token",
  npm: "npm-token",
  sendgrid: "sendgrid-key",
  shopify: "shopify-token",
  linear: "linear-key",
  gcp: "gcp-key",
  "1password": "1password-token",
  privatekey: "private-key",
  basicauth: "basic-auth",
  "database-connection-string": "database-url",
};

interface Detector {
  lint(content: string): Promise<Array<{ ruleId: string; messageId: string; range: readonly [number, number]; data?: Record<string, unknown> | undefined }>>;
}

let detector: Promise<Detector> | null = null;

/** secretlint is loaded on first use, so commands that never scan (search, read) do not pay for it. */
function loadDetector(): Promise<Detector> {
  detector ??= (async () => {
    const [{ lintSource }, { creator }, { secretLintProfiler }] = await Promise.all([
      import("@secretlint/core"),
      import("@secretlint/secretlint-rule-preset-recommend"),
      import("@secretlint/profiler"),
    ]);
    // secretlint's process-wide profiler keeps every performance mark for the life of the process
    // and searches them all on each new one: quadratic in the number of scans (a dream's gate
    // scanning 130 operations spent 8 s there). Nothing reads the profile, so marks are off.
    secretLintProfiler.mark = () => undefined;
    const config: Parameters<typeof lintSource>[0]["options"]["config"] = {
      rules: [
        {
          id: "@secretlint/secretlint-rule-preset-recommend",
          rule: creator,
          // Access key ids are credentials here (they name the key a secret belongs to); secretlint leaves them off by default.
          rules: [{ id: "@secretlint/secretlint-rule-aws", options: { enableIDScanRule: true } }],
        },
      ],
    };
    return {
      async lint(content) {
        const result = await lintSource({ source: { filePath: "text", content, contentType: "text" }, options: { config, maskSecrets: false, noPhysicFilePath: true } });
        return result.messages as never;
      },
    };
  })();
  return detector;
}

/**
 * Neutralises `secretlint-disable` comments (same length, so offsets hold): text from a session
 * or a pulled folder is untrusted, and must not be able to switch the scanner off.
 */
function withoutDirectives(text: string): string {
  return text.replace(/secretlint-(disable|enable)/gi, (m) => m.replace("-", "_"));
}

/**
 * Every credential in `text`, in order, overlapping finds merged: secretlint's recommended preset
 * (cloud keys, GitHub/npm/Slack/Anthropic/OpenAI/… tokens, private keys, basic auth, database
 * connection strings) plus reverie's rules (assignment-rules.ts). Deterministic: the same text
 * always gives the same matches.
 *
 * Speed (measured on this machine, 2 cores): about 4 s for 100 MB of transcript-like text, most
 * of it secretlint's own regex scans, and 0.1 ms for a short text. secretlint runs on the whole
 * text, not pre-filtered, because a pre-filter would have to copy every rule's prefixes and miss
 * the rules a new preset adds; reverie's own rules run only on lines holding their markers.
 * @example
 * await findSecrets("export TOKEN=" + token); // [{ kind: "github-token", start: 13, end: 53 }]
 */
export async function findSecrets(text: string): Promise<SecretMatch[]> {
  if (text.length === 0) return [];
  const lint = await loadDetector();
  const found: SecretMatch[] = [];
  for (const message of await lint.lint(withoutDirectives(text))) {
    const kind = kindOf(message.ruleId, message.messageId);
    if (kind === null) continue;
    const span = preciseSpan(text, message.range, message.data, kind);
    if (span) found.push({ kind, ...span });
  }
  for (const m of findRuleSecrets(text)) found.push(m);
  return merge(found.filter((m) => m.end > m.start && !isOnlyMarkers(text.slice(m.start, m.end))));
}

/**
 * `text` with every secret replaced by `<redacted:kind>`. Idempotent: redacting a redacted text
 * changes nothing.
 */
export async function redactSecrets(text: string): Promise<Redaction> {
  const matches = await findSecrets(text);
  if (matches.length === 0) return { text, kinds: [] };
  let out = "";
  let at = 0;
  for (const m of matches) {
    out += text.slice(at, m.start) + redactionMarker(m.kind);
    at = m.end;
  }
  return { text: out + text.slice(at), kinds: matches.map((m) => m.kind) };
}

/** What `redactSecretsInTexts` returns: the texts in the same order, and every secret replaced. */
export interface Redactions {
  texts: string[];
  /** The kind of each replaced secret (so `kinds.length` is how many). */
  kinds: SecretKind[];
}

/** Between texts scanned together: a blank line, so line-based rules see each text's lines as they are. */
const SEPARATOR = "\n\n";

/**
 * `redactSecrets` over many texts (the events of a session) in one scan: a scan has a fixed cost
 * (about 0.1 ms), so 20,000 short texts one by one would cost seconds. The texts are scanned
 * joined by blank lines; a secret the scan finds across a boundary (a key block split over two
 * events) is redacted in each text it touches, so a text never keeps part of one.
 * @example
 * const { texts, kinds } = await redactSecretsInTexts(["run it", "export KEY=" + key]); // texts[1] === "export KEY=<redacted:…>"
 */
export async function redactSecretsInTexts(texts: readonly string[]): Promise<Redactions> {
  const starts: number[] = [];
  let length = 0;
  for (const text of texts) {
    starts.push(length);
    length += text.length + SEPARATOR.length;
  }
  const matches = await findSecrets(texts.join(SEPARATOR));
  if (matches.length === 0) return { texts: [...texts], kinds: [] };
  const out: string[] = [];
  let next = 0; // matches are sorted and disjoint, so one walk serves every text
  texts.forEach((text, i) => {
    const from = starts[i]!;
    const to = from + text.length;
    while (next < matches.length && matches[next]!.end <= from) next++;
    let redacted = "";
    let at = 0;
    for (let j = next; j < matches.length && matches[j]!.start < to; j++) {
      const m = matches[j]!;
      const start = Math.max(m.start, from) - from;
      const end = Math.min(m.end, to) - from;
      if (end <= start) continue;
      redacted += text.slice(at, start) + redactionMarker(m.kind);
      at = end;
    }
    out.push(redacted + text.slice(at));
  });
  return { texts: out, kinds: matches.map((m) => m.kind) };
}

/** The 1-based line of offset `index` in `text`. */
export function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function kindOf(ruleId: string, messageId: string): SecretKind | null {
  const rule = ruleId.replace(/^@secretlint\/secretlint-rule-/, "");
  if (rule === "aws") {
    if (messageId === "AWSAccessKeyID") return "aws-access-key";
    if (messageId === "AWSSecretAccessKey") return "aws-secret-key";
    return null; // an account id is not a credential
  }
  return KIND_BY_RULE[rule] ?? rule;
}

/**
 * The span of the credential itself. Some rules report a wider range (the AWS secret rule's
 * range starts at the key name), so when the message carries the secret value it is located
 * inside the range; connection strings and basic auth are narrowed to their password.
 */
function preciseSpan(text: string, range: readonly [number, number], data: Record<string, unknown> | undefined, kind: SecretKind): { start: number; end: number } | null {
  let [start, end] = range;
  const value = data && Object.values(data).find((v): v is string => typeof v === "string" && v.length >= 8);
  if (value !== undefined && kind !== "private-key") {
    const at = text.indexOf(value, start);
    if (at !== -1 && at <= end) [start, end] = [at, at + value.length];
  }
  if (kind === "database-url" || kind === "basic-auth") {
    const url = text.slice(start, end);
    const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@:]*:([^/?#]*)@/.exec(url);
    if (m) {
      const from = start + m[0].length - 1 - m[1]!.length;
      return { start: from, end: from + m[1]!.length };
    }
  }
  return { start, end };
}

/** True when `slice` is nothing but redaction markers (and separators): already redacted. */
function isOnlyMarkers(slice: string): boolean {
  return HAS_MARKER.test(slice) && slice.replace(MARKERS, "").replace(/[\s:@/]/g, "") === "";
}

/** Sorted by start; overlapping or touching-inside spans become one, named by the widest. */
function merge(found: SecretMatch[]): SecretMatch[] {
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: SecretMatch[] = [];
  for (const m of found) {
    const last = out[out.length - 1];
    if (last && m.start < last.end) {
      if (m.end > last.end) {
        if (m.end - m.start > last.end - last.start) last.kind = m.kind;
        last.end = m.end;
      }
      continue;
    }
    out.push({ ...m });
  }
  return out;
}
