import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ReverieError, truncateForMessage } from "../errors.js";
import { decodeUtf8, parseNote } from "../note/parse.js";
import type { Note } from "../note/types.js";
import { namespacePath, type Resolved, type Scope } from "./scopes.js";
import { listMarkdownFiles } from "./walk.js";

/** 1-based line of `offset` in `text`. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Refuses a NUL byte: git would treat the file as binary (no diffs, no merges), and no Markdown
 * reader shows it.
 */
export function assertNoNul(path: string, content: string): void {
  const at = content.indexOf("\u0000");
  if (at === -1) return;
  const line = lineAt(content, at);
  throw new ReverieError(
    "INVALID_INPUT",
    `Cannot write ${path}: the content has a NUL byte (line ${line}), which would make git treat the memory as a binary file. Nothing was written. Memory files are text: remove the NUL bytes (e.g. tr -d '\\000').`,
    { path, line, offset: at },
  );
}

/**
 * What a write checks about the memory it would leave: a body with text (unless `allowEmpty`),
 * and a `type` the config lists — a type the file already had may stay, so a body can be
 * rewritten without first fixing a type doctor reports.
 */
export function assertValidMemory(path: string, note: Note, existing: Note | null, types: readonly string[], allowEmpty: boolean): void {
  if (!allowEmpty && note.body.trim() === "") {
    throw new ReverieError(
      "INVALID_INPUT",
      `Cannot write ${path}: the memory has no text${note.hasFrontmatter ? " after its front-matter" : ""}. Nothing was written. Give its content (e.g. echo "Use pnpm, not npm." | reverie write ${path}); to delete a memory use reverie rm ${path}; to keep an empty one on purpose pass --allow-empty.`,
      { path },
    );
  }
  const type = note.frontmatter.type;
  if (type === undefined || (typeof type === "string" && types.includes(type))) return;
  if (existing !== null && JSON.stringify(existing.frontmatter.type) === JSON.stringify(type)) return;
  const shown = typeof type === "string" ? truncateForMessage(type) : JSON.stringify(type);
  throw new ReverieError(
    "INVALID_INPUT",
    `Cannot write ${path}: type ${shown} is not a memory type of this memory (${types.join(", ")}). Nothing was written. Use one of those, or add it to 'types' in .reverie/config.yaml.`,
    { path, type, types },
  );
}

/**
 * Refuses an `id` another memory already has (in any scope): ids name memories in dreams,
 * run records and sources, so two files with one id would be mistaken for each other. Only
 * reads files that contain the id's text, so the scan costs a read of each file, no parse.
 */
export async function assertUniqueId(target: Resolved, id: unknown, scopes: readonly Scope[]): Promise<void> {
  if (typeof id !== "string" || id === "") return;
  for (const scope of scopes) {
    for (const rel of await listMarkdownFiles(scope.dir)) {
      const path = namespacePath(scope, rel);
      if (path === target.path) continue;
      const bytes = await readFile(join(scope.dir, rel)).catch(() => null);
      if (bytes === null || !bytes.includes(id)) continue;
      let other: unknown;
      try {
        other = parseNote(path, decodeUtf8(bytes, path)).frontmatter.id;
      } catch {
        continue; // an unparsable file has no id to collide with; doctor reports it
      }
      if (other !== id) continue;
      throw new ReverieError(
        "INVALID_INPUT",
        `Cannot write ${target.path}: its id ${id} is already the id of ${path}; ids must be unique. Nothing was written. Remove the id line (reverie gives the memory a fresh id), or write to ${path} if you meant that memory.`,
        { path: target.path, id, other: path },
      );
    }
  }
}

/**
 * Refuses a new file whose path differs only in letter case from a file or folder already in
 * the scope (`PREFS/PM.md` beside `prefs/pm.md`): on macOS and Windows disks they are the same
 * file, so a clone there would lose one of them.
 */
export async function assertNoCaseCollision(target: Resolved): Promise<void> {
  const segments = target.rel.split("/");
  let dir = target.scope.dir;
  const done: string[] = [];
  for (const segment of segments) {
    const names = await readdir(dir).catch(() => null);
    if (names === null) return; // a new folder: nothing below it yet
    if (names.includes(segment)) {
      done.push(segment);
      dir = join(dir, segment);
      continue;
    }
    const lower = segment.toLowerCase();
    const clash = names.find((name) => name.toLowerCase() === lower);
    if (clash === undefined) return;
    const existing = namespacePath(target.scope, [...done, clash].join("/"));
    throw new ReverieError(
      "INVALID_PATH",
      `Cannot create ${target.path}: ${existing} already exists and differs only in letter case; on macOS and Windows disks they are the same ${segment === segments[segments.length - 1] ? "file" : "folder"}, so a clone there would lose one. Nothing was written. Use ${namespacePath(target.scope, [...done, clash, ...segments.slice(done.length + 1)].join("/"))}, or another name.`,
      { path: target.path, existing },
    );
  }
}
