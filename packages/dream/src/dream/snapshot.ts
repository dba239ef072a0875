import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { decodeUtf8, isMemoryFilePath, parseNote, ReverieError, splitFrontmatter, writeFileAtomic, type GitRepo, type MemoryFrontmatter, type Note } from "@reverie/core";

/** Files at the root that describe the memory rather than being memories: the template's README, and Claude Code's index MEMORY.md (rebuilt by dreams, see memory-index.ts). */
const NOT_MEMORIES = new Set(["README.md", "MEMORY.md"]);

/** Whether a path at the base commit is a memory a dream may read and change. */
export function isDreamable(path: string): boolean {
  return isMemoryFilePath(path) && !NOT_MEMORIES.has(path);
}

const CACHE_FORMAT = "reverie-dream-notes";
const CACHE_VERSION = 1;

/**
 * What parsing a blob gave: its front-matter and content hash; or that it is not a memory a
 * dream may read (not UTF-8, bad YAML); or that its front-matter has values JSON cannot hold
 * exactly (e.g. `.inf`), so it is parsed every time.
 */
type ParsedBlob = { frontmatter: MemoryFrontmatter; sha256: string } | { unreadable: true } | { reparse: true };

/** Where dreams keep the parsed front-matter of every memory blob, by blob id (derived state, like the search index). */
export function dreamNotesCacheFile(memoryDir: string): string {
  return join(memoryDir, ".reverie", "cache", "dream-notes.json");
}

async function readParsedCache(file: string): Promise<Map<string, ParsedBlob>> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as { format?: unknown; version?: unknown; blobs?: unknown };
    if (parsed.format !== CACHE_FORMAT || parsed.version !== CACHE_VERSION || typeof parsed.blobs !== "object" || parsed.blobs === null) return new Map();
    return new Map(Object.entries(parsed.blobs as Record<string, ParsedBlob>));
  } catch {
    // Missing, unreadable or not JSON: every blob is parsed again and the cache rewritten.
    return new Map();
  }
}

/**
 * The memories as they are at `commit` — not the working tree — so a dream sees exactly the
 * pinned base whatever people or agents do in the folder meanwhile. One `ls-tree` and one
 * `cat-file --batch` read them all; front-matter is parsed once per blob and kept in
 * `.reverie/cache/dream-notes.json` by blob id, so the next dream parses only what changed.
 */
export async function readMemoriesAt(repo: GitRepo, commit: string): Promise<Note[]> {
  const tree = await repo.run(["ls-tree", "-r", "-z", "--full-tree", commit]);
  const blobs: Array<{ sha: string; path: string }> = [];
  for (const entry of tree.stdout.split("\0")) {
    const tab = entry.indexOf("\t");
    if (tab < 0) continue;
    const [mode, type, sha] = entry.slice(0, tab).split(" ");
    const path = entry.slice(tab + 1);
    if (type === "blob" && mode !== "120000" && sha && isDreamable(path)) blobs.push({ sha, path });
  }
  if (blobs.length === 0) return [];
  const cacheFile = dreamNotesCacheFile(repo.dir);
  const cached = await readParsedCache(cacheFile);
  const seen = new Map<string, ParsedBlob>();
  let added = false;
  const batch = await repo.run(["cat-file", "--batch"], { input: blobs.map((b) => b.sha).join("\n") + "\n" });
  const bytes = batch.stdoutBytes;
  const notes: Note[] = [];
  let offset = 0;
  for (const blob of blobs) {
    const headerEnd = bytes.indexOf(0x0a, offset);
    const header = bytes.subarray(offset, headerEnd).toString("utf8");
    const size = Number(header.split(" ")[2]);
    if (!header.startsWith(blob.sha) || !Number.isInteger(size)) {
      throw new ReverieError("INTERNAL", `Unexpected git cat-file output for ${blob.path}: ${header}`, { path: blob.path });
    }
    const content = bytes.subarray(headerEnd + 1, headerEnd + 1 + size);
    offset = headerEnd + 1 + size + 1;
    const known = cached.get(blob.sha);
    // The same blob at two paths must not share one front-matter object.
    const note = known === undefined ? parseBlob(blob.path, content) : fromCache(blob.path, content, seen.has(blob.sha) ? structuredClone(known) : known);
    if (known === undefined) {
      added = true;
      seen.set(blob.sha, note === undefined ? { unreadable: true } : cacheable(note));
    } else seen.set(blob.sha, known);
    if (note !== undefined) notes.push(note);
  }
  // Rewritten when a blob was parsed or one is gone, so the cache holds only the memories of the latest dream's base.
  if (added || seen.size !== cached.size) {
    const text = JSON.stringify({ format: CACHE_FORMAT, version: CACHE_VERSION, blobs: Object.fromEntries(seen) });
    await writeFileAtomic(cacheFile, text, { kind: "cache", durable: false }).catch(() => undefined);
  }
  return notes;
}

function parseBlob(path: string, content: Buffer): Note | undefined {
  try {
    // Strict decoding: a memory that is not UTF-8 must not be rewritten with U+FFFD in it.
    return parseNote(path, decodeUtf8(content, path));
  } catch {
    // An unparsable or non-UTF-8 memory is left alone by the dream (reverie doctor reports it).
    return undefined;
  }
}

/** A note's cache entry; front-matter JSON cannot hold exactly (e.g. `.inf`) is not cached, so the blob is parsed each time. */
function cacheable(note: Note): ParsedBlob {
  const copy: unknown = JSON.parse(JSON.stringify(note.frontmatter));
  return isDeepStrictEqual(copy, note.frontmatter) ? { frontmatter: note.frontmatter, sha256: note.sha256 } : { reparse: true };
}

function fromCache(path: string, bytes: Buffer, entry: ParsedBlob): Note | undefined {
  if ("unreadable" in entry) return undefined;
  if ("reparse" in entry) return parseBlob(path, bytes);
  const content = decodeUtf8(bytes, path);
  const split = splitFrontmatter(content, path);
  if (!split) return { path, content, sha256: entry.sha256, frontmatter: {}, hasFrontmatter: false, body: content };
  return { path, content, sha256: entry.sha256, frontmatter: entry.frontmatter, hasFrontmatter: true, body: split.body };
}
