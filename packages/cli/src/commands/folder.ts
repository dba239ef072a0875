import { normalizeMemoryFolder, ReverieError, type Memory } from "@reverie/core";

/**
 * The memories under `path` when it names a folder rather than a memory file (`.md`), or `null`
 * when it names a file or a folder that holds none (the file commands then explain the path).
 * @throws ReverieError INVALID_PATH for the memory folder itself (no command acts on all of it)
 * or a path that leaves it.
 */
export async function folderMemories(memory: Memory, path: string): Promise<{ folder: string; paths: string[] } | null> {
  if (path.endsWith(".md")) return null;
  const folder = normalizeMemoryFolder(path);
  if (folder === "") throw new ReverieError("INVALID_PATH", `${JSON.stringify(path)} is the whole memory folder; name a folder inside it.`, { path });
  const paths = (await memory.list(folder)).map((entry) => entry.path);
  return paths.length === 0 ? null : { folder, paths };
}
