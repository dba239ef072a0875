import { ReverieError } from "../errors.js";
import { contentHash } from "../hash.js";
import { assertFileSize, utf8Length } from "../limits.js";
import {
  parseFrontmatterYaml,
  patchFrontmatterYaml,
  renderFrontmatter,
  splitFrontmatter,
  type FrontmatterPatch,
} from "./frontmatter.js";
import type { MemoryFrontmatter, Note } from "./types.js";

/**
 * Parses a memory file. A file without front-matter is a valid memory with `frontmatter: {}`.
 * @throws ReverieError `PARSE_ERROR` with `data.line` when the front-matter is not valid YAML, or
 * the file or its front-matter is over a limit of `LIMITS` (`data.reason: "limit"`).
 */
export function parseNote(path: string, content: string): Note {
  assertFileSize(path, utf8Length(content));
  const split = splitFrontmatter(content, path);
  if (!split) return { path, content, sha256: contentHash(content), frontmatter: {}, hasFrontmatter: false, body: content };
  return {
    path,
    content,
    sha256: contentHash(content),
    frontmatter: parseFrontmatterYaml(split.yaml, path),
    hasFrontmatter: true,
    body: split.body,
  };
}

/** The text of a new memory file: a front-matter block (canonical key order) followed by `body`. */
export function renderNote(frontmatter: MemoryFrontmatter, body: string): string {
  const keys = Object.keys(frontmatter).filter((k) => frontmatter[k] !== undefined);
  return keys.length === 0 ? body : renderFrontmatter(frontmatter) + body;
}

/**
 * Rewrites a memory file: patched front-matter keys are replaced, added or (set to
 * `undefined`) removed; every other byte of the front-matter stays as it was. A file without
 * front-matter gets a block only if the patch adds a key.
 */
export function updateNote(content: string, change: { frontmatter?: FrontmatterPatch; body?: string }, path = "<memory>"): string {
  const patch = change.frontmatter ?? {};
  const split = splitFrontmatter(content, path);
  if (!split) {
    const added = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    return renderNote(added, change.body ?? content);
  }
  const yaml = Object.keys(patch).length === 0 ? split.yaml : patchFrontmatterYaml(split.yaml, patch, path);
  return split.open + yaml + split.close + (change.body ?? split.body);
}

const HEADING = /^#{1,6}[ \t]+(.+?)[ \t#]*$/m;

const TITLE_MAX = 80;

/** Whether `noteTitle` comes from a title someone wrote (front-matter `title` or a heading), not from the first line or the file name. */
export function hasWrittenTitle(note: Pick<Note, "frontmatter" | "body">): boolean {
  const title = note.frontmatter.title;
  return (typeof title === "string" && title.trim() !== "") || HEADING.test(note.body);
}

/**
 * What to call a memory: its front-matter title (or `name`), else its first Markdown heading, else its
 * first line of text (agents often write one-line memories), else its file name.
 */
export function noteTitle(note: Pick<Note, "path" | "frontmatter" | "body">): string {
  // `name` is what Claude Code's auto memory files call it.
  for (const title of [note.frontmatter.title, note.frontmatter.name]) if (typeof title === "string" && title.trim() !== "") return title.trim();
  const heading = HEADING.exec(note.body)?.[1];
  if (heading) return heading;
  const firstLine = note.body
    .split("\n")
    .map((line) => line.replace(/^\s*(?:[-*+>]|\d+\.)?\s*/, "").trim())
    .find((line) => line !== "");
  if (firstLine) return firstLine.length <= TITLE_MAX ? firstLine : `${firstLine.slice(0, TITLE_MAX - 1)}…`;
  const base = note.path.split("/").pop() ?? note.path;
  return base.replace(/\.md$/i, "");
}

/**
 * Decodes file bytes as UTF-8, refusing anything else: memory files are text that agents and
 * git diff must read, and a silent U+FFFD replacement would corrupt them on the next rewrite.
 */
export function decodeUtf8(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8Byte(bytes);
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    throw new ReverieError(
      "INVALID_INPUT",
      `${path}:${line}: not valid UTF-8 (byte ${offset} is 0x${(bytes[offset] ?? 0).toString(16).padStart(2, "0")}). Memory files must be UTF-8 text; re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8).`,
      { path, line, offset },
    );
  }
}

function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return bytes.length;
}
