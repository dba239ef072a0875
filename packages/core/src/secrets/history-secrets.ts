import { createHash } from "node:crypto";
import type { GitRepo } from "../git/repo.js";
import { findSecrets, lineOf, type SecretKind } from "./find-secrets.js";

/** A credential some commit of some branch put into the repository. Never the value itself. */
export interface HistorySecret {
  commit: string;
  /** The file it is in (repo-relative), or the file it names when `where` is `path`; null for a commit message. */
  path: string | null;
  /** 1-based line in the file as that commit wrote it (content only). */
  line?: number;
  where: "content" | "path" | "message";
  kind: SecretKind;
  /** Later commits that added the same value to the same place again (each is rewritten by the same fix). */
  alsoIn: number;
  /** Branches and tags whose history holds the commit. */
  refs: string[];
}

interface Piece {
  commit: string;
  path: string | null;
  where: HistorySecret["where"];
  firstLine: number;
  text: string;
}

const COMMIT_MARK = "\u001ecommit ";
const BODY_END = "\u001f";
/** Texts scanned together, up to about this many characters per scan (a scan has a fixed cost). */
const CHUNK_CHARS = 1 << 20;

/**
 * Every credential in the history of every branch and tag: in what each commit added to a file
 * (`git log --all -p`, so a secret deleted later is still found where it was added), in file
 * names, and in commit messages. Each value is reported once per place, at the first commit that
 * added it, with how many later commits added it again. Merges add nothing of their own and are
 * not read. Linear in the size of the history's diffs.
 */
export async function findSecretsInHistory(repo: GitRepo): Promise<HistorySecret[]> {
  if ((await repo.head()) === null) return [];
  const log = await repo.run([
    "-c",
    "core.quotepath=false",
    "log",
    "--all",
    "--reverse",
    "--topo-order",
    "--no-renames",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--unified=0",
    "-p",
    `--format=${COMMIT_MARK.replace("\u001e", "%x1e")}%H%n%B%x1f`,
  ]);
  const pieces = parseLog(log.stdout);
  const found: HistorySecret[] = [];
  const first = new Map<string, HistorySecret>();
  for (const chunk of chunks(pieces)) {
    const starts: number[] = [];
    let at = 0;
    for (const p of chunk) {
      starts.push(at);
      at += p.text.length + 2;
    }
    const text = chunk.map((p) => p.text).join("\n\n");
    for (const m of await findSecrets(text)) {
      const i = lastAtOrBefore(starts, m.start);
      const piece = chunk[i]!;
      const offset = m.start - starts[i]!;
      const value = createHash("sha256").update(text.slice(m.start, m.end)).digest("hex");
      const key = `${piece.where}\u0000${piece.path ?? ""}\u0000${value}`;
      const seen = first.get(key);
      if (seen) {
        if (seen.commit !== piece.commit) seen.alsoIn++;
        continue;
      }
      const secret: HistorySecret = {
        commit: piece.commit,
        path: piece.path,
        ...(piece.where === "content" ? { line: piece.firstLine + lineOf(piece.text, offset) - 1 } : {}),
        where: piece.where,
        kind: m.kind,
        alsoIn: 0,
        refs: [],
      };
      first.set(key, secret);
      found.push(secret);
    }
  }
  const refsOf = new Map<string, string[]>();
  for (const commit of new Set(found.map((f) => f.commit))) {
    const refs = await repo.run(["for-each-ref", "--contains", commit, "--format=%(refname:short)", "refs/heads", "refs/tags", "refs/remotes"]);
    refsOf.set(commit, refs.stdout.split("\n").filter((r) => r !== ""));
  }
  for (const f of found) f.refs = refsOf.get(f.commit) ?? [];
  return found;
}

function* chunks(pieces: readonly Piece[]): Generator<Piece[]> {
  let chunk: Piece[] = [];
  let size = 0;
  for (const p of pieces) {
    if (size > 0 && size + p.text.length > CHUNK_CHARS) {
      yield chunk;
      chunk = [];
      size = 0;
    }
    chunk.push(p);
    size += p.text.length + 2;
  }
  if (chunk.length > 0) yield chunk;
}

function lastAtOrBefore(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sorted[mid]! <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** `git log -p --unified=0` output → the messages, added file names and added lines (one piece per hunk). */
function parseLog(out: string): Piece[] {
  const pieces: Piece[] = [];
  for (const block of out.split(COMMIT_MARK)) {
    if (block === "") continue;
    const newline = block.indexOf("\n");
    const commit = block.slice(0, newline);
    const bodyEnd = block.indexOf(BODY_END, newline);
    if (!/^[0-9a-f]{40,64}$/.test(commit) || bodyEnd === -1) continue;
    pieces.push({ commit, path: null, where: "message", firstLine: 1, text: block.slice(newline + 1, bodyEnd) });
    let path: string | null = null;
    let hunk: { line: number; lines: string[] } | null = null;
    const flush = () => {
      if (hunk && path !== null && hunk.lines.length > 0) pieces.push({ commit, path, where: "content", firstLine: hunk.line, text: hunk.lines.join("\n") });
      hunk = null;
    };
    // Walked by offsets, not split into lines: a run of added lines (a whole new file's) is
    // taken as one slice, so a 100,000-line file costs one string, not 100,000.
    const diff = block.slice(bodyEnd + 1);
    let pos = 0;
    while (pos < diff.length) {
      let nl = diff.indexOf("\n", pos);
      if (nl === -1) nl = diff.length;
      if (hunk !== null && diff.charCodeAt(pos) === 43 /* + */) {
        let end = nl;
        while (end + 1 < diff.length && diff.charCodeAt(end + 1) === 43) {
          const next = diff.indexOf("\n", end + 1);
          end = next === -1 ? diff.length : next;
        }
        (hunk as { lines: string[] }).lines.push(diff.slice(pos + 1, end).replaceAll("\n+", "\n"));
        pos = end + 1;
        continue;
      }
      const line = diff.slice(pos, nl);
      pos = nl + 1;
      if (line.startsWith("diff --git ")) {
        flush();
        path = null;
      } else if (line.startsWith("+++ ") && hunk === null) {
        const name = line.slice(4);
        path = name === "/dev/null" ? null : unquotePath(name).replace(/^b\//, "");
        if (path !== null) pieces.push({ commit, path, where: "path", firstLine: 1, text: path });
      } else if (line.startsWith("@@ ")) {
        flush();
        const m = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
        hunk = { line: m ? Number(m[1]) : 1, lines: [] };
      }
    }
    flush();
  }
  return pieces;
}

/** A path as git quotes one with special characters: `"b/a\"b\tc"`, with C escapes and octal bytes. */
function unquotePath(name: string): string {
  if (!name.startsWith('"') || !name.endsWith('"')) return name;
  const bytes: number[] = [];
  const body = name.slice(1, -1);
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, "\\": 92, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== "\\") {
      bytes.push(...Buffer.from(ch, "utf8"));
      continue;
    }
    const next = body[i + 1] ?? "";
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}
