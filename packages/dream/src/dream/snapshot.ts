import { decodeUtf8, isMemoryFilePath, parseNote, ReverieError, type GitRepo, type Note } from "@reverie/core";

/** Files at the root that describe the memory rather than being memories: the template's README, and Claude Code's index MEMORY.md (rebuilt by dreams, see memory-index.ts). */
const NOT_MEMORIES = new Set(["README.md", "MEMORY.md"]);

/** Whether a path at the base commit is a memory a dream may read and change. */
export function isDreamable(path: string): boolean {
  return isMemoryFilePath(path) && !NOT_MEMORIES.has(path);
}

/**
 * The memories as they are at `commit` — not the working tree — so a dream sees exactly the
 * pinned base whatever people or agents do in the folder meanwhile. One `ls-tree` and one
 * `cat-file --batch` read them all.
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
    try {
      // Strict decoding: a memory that is not UTF-8 must not be rewritten with U+FFFD in it.
      notes.push(parseNote(blob.path, decodeUtf8(content, blob.path)));
    } catch {
      // An unparsable or non-UTF-8 memory is left alone by the dream (reverie doctor reports it).
    }
  }
  return notes;
}
