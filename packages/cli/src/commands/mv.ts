import { normalizeMemoryFolder, openMemory, ReverieError } from "@reverie/core";
import { count, dirFlag, print, short, type CommandContext } from "../context.js";
import { folderAlreadyDone, folderMemories } from "./folder.js";
import { mutationOptions, type MutationFlags } from "./options.js";

export async function run(ctx: CommandContext, from: string, to: string, flags: MutationFlags): Promise<void> {
  const options = mutationOptions(ctx, flags);
  const memory = await openMemory(ctx.dir);
  const folder = await folderMemories(memory, from);
  if (folder === null) {
    const done = from.endsWith(".md") ? null : await folderAlreadyDone(memory, normalizeMemoryFolder(from), normalizeMemoryFolder(to, "destination folder"));
    if (done) {
      // A retry of a move that was killed after its commit, or finished by the recovery that ran first.
      const memories = count(done.count, "memory", "memories");
      print(ctx, `${normalizeMemoryFolder(from)}/ was already moved to ${normalizeMemoryFolder(to)}/ (${memories}, commit ${short(done.commit)}); nothing left to do`, { from, to, commit: done.commit, count: done.count, already: true });
      return;
    }
    if (!from.endsWith(".md") && !to.endsWith(".md")) {
      throw new ReverieError("NOT_FOUND", `No memories under ${normalizeMemoryFolder(from)}/ to move (and ${from} is no memory file: those end in .md). List what exists with: reverie ls${dirFlag(ctx.dir)}`, { from, to });
    }
    const result = await memory.rename(from, to, options);
    print(ctx, `renamed ${result.from} -> ${result.to} (commit ${short(result.commit)})`, result);
    return;
  }
  const destination = normalizeMemoryFolder(to, "destination folder");
  if (destination === "" || destination.endsWith(".md") || destination === folder.folder || destination.startsWith(`${folder.folder}/`)) {
    throw new ReverieError("INVALID_PATH", `Cannot move the folder ${folder.folder}/ to ${JSON.stringify(to)}: name a new folder outside it, e.g. archive/${folder.folder}.`, { from, to });
  }
  if (options.expectHash !== undefined) throw new ReverieError("INVALID_INPUT", "--expect-hash guards one file's content; it cannot guard a folder. Drop it, or move the files one by one.", { from });
  const moves = folder.paths.map((path) => ({ from: path, to: `${destination}/${path.slice(folder.folder.length + 1)}` }));
  const results = await memory.renameMany(moves, options);
  const memories = count(moves.length, "memory", "memories");
  print(ctx, `moved ${memories} from ${folder.folder}/ to ${destination}/ (commit ${short(results[0]!.commit)})`, results);
}
