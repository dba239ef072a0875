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
  // Symbolic links are never moved or deleted with a folder: reverie does not act through them.
  const paths = (await memory.list(folder)).filter((entry) => entry.link === undefined).map((entry) => entry.path);
  return paths.length === 0 ? null : { folder, paths };
}

/**
 * Whether the last commit that touched `folder` already did what a retried `mv`/`rm -r` of it
 * asks — moved every file under it to `to` (a rename), or deleted every file under it — so
 * the retry of a command killed after its commit (or finished by recovery) exits 0 instead of
 * failing on a folder that is now empty. Returns that commit and how many files it changed.
 */
export async function folderAlreadyDone(memory: Memory, folder: string, to: string | null): Promise<{ commit: string; count: number } | null> {
  const probe = memory.resolve(`${folder}/probe.md`);
  const repo = probe.scope.repo;
  if (!repo) return null;
  const from = probe.rel.slice(0, -"/probe.md".length);
  const dest = to === null ? null : memory.resolve(`${to}/probe.md`);
  if (dest !== null && dest.scope !== probe.scope) return null;
  const destRel = dest === null ? null : dest.rel.slice(0, -"/probe.md".length);
  const last = await repo.run(["log", "-1", "--format=%H", "--", `${from}/`], { okCodes: [128] });
  const commit = last.stdout.trim();
  if (last.code !== 0 || commit === "") return null;
  // Without a pathspec, so a move's destinations are seen and -M pairs them with their sources.
  const shown = await repo.run(["show", "-M", "--format=%(trailers:key=Memory-Op,valueonly)%x00", "--name-status", "-z", commit]);
  const [op, ...rest] = shown.stdout.split("\0");
  const fields = rest.map((f) => f.replace(/^\n+/, "")).filter((f) => f !== "");
  let count = 0;
  for (let i = 0; i < fields.length; ) {
    const status = fields[i++]!;
    if (destRel === null) {
      if (status !== "D" || !fields[i++]!.startsWith(`${from}/`)) return null;
    } else {
      if (!status.startsWith("R")) return null;
      const source = fields[i++]!;
      const target = fields[i++]!;
      if (!source.startsWith(`${from}/`) || target !== `${destRel}/${source.slice(from.length + 1)}`) return null;
    }
    count++;
  }
  const wanted = destRel === null ? "delete" : "rename";
  return count > 0 && op!.trim() === wanted ? { commit, count } : null;
}
