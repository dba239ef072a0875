import type { SecretKind, SecretMatch } from "./find-secrets.js";

/*
 * reverie's own rules, for what secretlint's recommended preset does not cover:
 *
 * - `password-assignment`: a value given to a key that names a credential — `password=`,
 *   `passwd:`, `DB_PASSWORD=`, `token=`, `api_key:`, `client_secret=`, `"secret": "…"`,
 *   `--password=…`/`--token …` — when the value passes the entropy rule below.
 * - URL userinfo `scheme://user:pass@host` for any scheme (secretlint knows http(s) basic auth
 *   and a few databases); only the password is redacted, so the URL stays readable:
 *   `postgres://app:<redacted:database-url>@db:5432/app`.
 * - `jwt`: three base64url parts, the first two starting `eyJ` (a JSON object).
 *
 * The entropy rule, stated: a value counts as a credential when it is at least 8 characters,
 * has a Shannon entropy of at least 3 bits per character, mixes letters with digits (or uses at
 * least three of lower case, upper case, digits and symbols), and is not a placeholder or a
 * reference to one — `$VAR`,
 * `${VAR}`, `%VAR%`, `<…>`, `{{…}}`, `process.env.X`, `os.environ[…]`, a dotted identifier
 * (`config.db.password`), a run of `*`/`x`/`.`, or a value containing `example`, `changeme`,
 * `placeholder`, `your`, `redacted`.
 *
 * Every pattern is a plain scan with bounded repetition, so the rules stay linear in the text.
 */

const KEY_WORD = String.raw`(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|private[_-]?key|client[_-]?secret|credentials?)`;
/** `key = value`, `key: value`, `"key": "value"`, `key := value`, with the key possibly prefixed/suffixed (`DB_PASSWORD`, `token_value`). */
const ASSIGNMENT = new RegExp(
  String.raw`(?<![A-Za-z0-9])[A-Za-z0-9_.-]{0,40}${KEY_WORD}[A-Za-z0-9_.-]{0,40}["']?[ \t]{0,8}(?::=|=|:)[ \t]{0,8}(["'\x60]?)([^\s"'\x60<>,;]{1,512})`,
  "gi",
);
/** `--password value` / `--token=value` on a command line. */
const FLAG = new RegExp(String.raw`(?<![A-Za-z0-9-])--[A-Za-z0-9-]{0,30}${KEY_WORD}[A-Za-z0-9-]{0,30}(?:=|[ \t]{1,4})(["']?)([^\s"'\x60<>,;]{1,512})`, "gi");
/** `scheme://user:password@` — group 1 the scheme, group 2 the password. */
const USERINFO = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,30}):\/\/[^\s/?#@:"'<>]{0,256}:([^\s/?#@"'<>]{1,256})@(?=[^\s/?#@"'<>]{1,256})/g;
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,4096}(?![A-Za-z0-9_-])/g;

const DATABASE_SCHEMES = new Set([
  "postgres",
  "postgresql",
  "mysql",
  "mysql2",
  "mariadb",
  "mongodb",
  "mongodb+srv",
  "redis",
  "rediss",
  "amqp",
  "amqps",
  "mssql",
  "sqlserver",
  "cockroachdb",
  "clickhouse",
  "jdbc:postgresql",
  "jdbc:mysql",
]);

const PLACEHOLDER_WORDS = /example|changeme|change_me|placeholder|your|redacted|dummy|sample|xxxx|\*\*\*|\.\.\./i;
const REFERENCE = /^(?:\$|%|<|\{\{|\$\{)|process\.env|environ|getenv|\(|\[/;
const DOTTED_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** Shannon entropy of `value` in bits per character. */
export function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const n = [...value].length;
  let bits = 0;
  for (const c of counts.values()) bits -= (c / n) * Math.log2(c / n);
  return bits;
}

/** The stated entropy rule: true when `value` looks like a real credential, not a word or a placeholder. */
export function looksLikeCredential(value: string): boolean {
  if (value.length < 8) return false;
  if (PLACEHOLDER_WORDS.test(value) || REFERENCE.test(value) || DOTTED_IDENTIFIER.test(value)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(value)).length;
  const lettersAndDigits = /[A-Za-z]/.test(value) && /[0-9]/.test(value);
  return (lettersAndDigits || classes >= 3) && shannonEntropy(value) >= 3;
}

/**
 * Matches of reverie's own rules in `text`, unordered and possibly overlapping. Each rule runs
 * only on the lines that hold its cheap marker (a key word, `://`, `eyJ`), found by one plain
 * scan: on 100 MB of transcript text that is most of the cost saved.
 */
export function findRuleSecrets(text: string): SecretMatch[] {
  const found: SecretMatch[] = [];
  const push = (kind: SecretKind, start: number, end: number) => found.push({ kind, start, end });
  for (const { offset, line } of candidateLines(text, KEY_MARKER)) {
    for (const re of [ASSIGNMENT, FLAG]) {
      for (const m of line.matchAll(re)) {
        const value = trimTrailingPunctuation(m[2]!);
        if (!looksLikeCredential(value) || ANOTHER_ASSIGNMENT.test(value)) continue;
        const start = offset + m.index + m[0].length - m[2]!.length;
        push("password-assignment", start, start + value.length);
      }
    }
  }
  for (const { offset, line } of candidateLines(text, /:\/\//g)) {
    for (const m of line.matchAll(USERINFO)) {
      const password = m[2]!;
      if (REFERENCE.test(password) || /^[*x.]+$/i.test(password) || password.startsWith("<redacted:")) continue;
      const scheme = m[1]!.toLowerCase();
      const start = offset + m.index + m[0].length - 1 - password.length;
      push(DATABASE_SCHEMES.has(scheme) ? "database-url" : "basic-auth", start, start + password.length);
    }
  }
  for (const { offset, line } of candidateLines(text, /eyJ/g)) {
    for (const m of line.matchAll(JWT)) push("jwt", offset + m.index, offset + m.index + m[0].length);
  }
  return found;
}

const KEY_MARKER = new RegExp(KEY_WORD, "gi");
/** `token=$TOKEN` after `password:` is a second assignment, not a value. */
const ANOTHER_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_.-]*[:=]|\$/;

/** Each line of `text` holding a match of `marker` (a global regex), once, with its offset. */
function* candidateLines(text: string, marker: RegExp): Generator<{ offset: number; line: string }> {
  marker.lastIndex = 0;
  let done = -1;
  for (let m = marker.exec(text); m !== null; m = marker.exec(text)) {
    if (m.index < done) continue;
    const start = text.lastIndexOf("\n", m.index) + 1;
    const newline = text.indexOf("\n", m.index);
    const end = newline === -1 ? text.length : newline;
    done = end;
    marker.lastIndex = end;
    yield { offset: start, line: text.slice(start, end) };
  }
}

/** A value that ends a sentence (`token=abc123XYZ.`) should not take the full stop with it. */
function trimTrailingPunctuation(value: string): string {
  return value.replace(/[.)\]}!?]+$/, "");
}
