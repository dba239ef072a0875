import { ReverieError } from "../errors.js";
import { findSecrets, lineOf, redactSecrets, type SecretKind } from "./find-secrets.js";

/** One piece of a write that lands in git: the file's text, its path, or an attribution trailer. */
export interface SecretCheck {
  /** What the text is, for the message: `content`, `path`, `agent`, `session`. */
  what: "content" | "path" | "agent" | "session";
  text: string;
  /** The same piece before the write (the file's current text, a move's old path): secrets already there are not new. */
  before?: string | null;
}

/** A secret a write would add, as `SECRET_DETECTED` reports it (never the secret itself). */
export interface FoundSecret {
  what: SecretCheck["what"];
  kind: SecretKind;
  /** 1-based line in the text (always 1 for a path or a trailer). */
  line: number;
}

/**
 * Refuses a write that would add a credential to a memory: a memory is committed, and pushed by
 * `sync`, so a secret written once is in the history for good. Secrets the file already held (a
 * file pulled before reverie scanned writes) are not "new", so editing such a file still works;
 * `reverie doctor` is where those are reported.
 *
 * The message names the file (with any secret in its path redacted), the kind and the line, and
 * how to override; it never repeats the secret.
 * @throws ReverieError `SECRET_DETECTED`
 */
export async function assertNoNewSecrets(path: string, checks: readonly SecretCheck[]): Promise<void> {
  const found: FoundSecret[] = [];
  for (const check of checks) {
    const matches = await findSecrets(check.text);
    if (matches.length === 0) continue;
    const old = check.before ? new Set((await findSecrets(check.before)).map((m) => check.before!.slice(m.start, m.end))) : new Set<string>();
    for (const m of matches) {
      if (old.has(check.text.slice(m.start, m.end))) continue;
      found.push({ what: check.what, kind: m.kind, line: check.what === "content" ? lineOf(check.text, m.start) : 1 });
    }
  }
  if (found.length === 0) return;
  const shown = (await redactSecrets(path)).text;
  const first = found[0]!;
  const where =
    first.what === "content"
      ? `line ${first.line} holds ${article(first.kind)} ${first.kind}`
      : first.what === "path"
        ? `its file name holds ${article(first.kind)} ${first.kind}`
        : `the ${first.what} it would be attributed to holds ${article(first.kind)} ${first.kind}`;
  const more = found.length > 1 ? ` (and ${found.length - 1} more: ${found.slice(1).map(describe).join(", ")})` : "";
  throw new ReverieError(
    "SECRET_DETECTED",
    `Refused to write ${shown}: ${where}${more}. A memory is committed, and pushed by sync, so a secret in it leaks for good; nothing was written. ` +
      `Write it without the secret (say where it lives instead, e.g. "the token is in $GITHUB_TOKEN"), or, if it is deliberate, pass allowSecrets: true (CLI: --allow-secrets).`,
    { path: shown, kind: first.kind, line: first.line, reason: `${where}${more}`, secrets: found },
  );
}

function describe(f: FoundSecret): string {
  return f.what === "content" ? `${f.kind} on line ${f.line}` : `${f.kind} in the ${f.what === "path" ? "file name" : f.what}`;
}

function article(kind: string): string {
  return /^[aeio]/.test(kind) ? "an" : "a";
}
