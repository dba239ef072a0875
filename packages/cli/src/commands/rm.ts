import { normalizeMemoryFolder, openMemory, ReverieError } from "@reverie/core";
import { count, dirFlag, print, short, type CommandContext } from "../context.js";
import { folderAlreadyDone, folderMemories } from "./folder.js";
import { mutationOptions, type MutationFlags } from "./options.js";

export async function run(ctx: CommandContext, path: string, flags: MutationFlags & { recursive?: boolean }): Promise<void> {
  const options = mutationOptions(ctx, flags);
  const memory = await openMemory(ctx.dir);
  const folder = await folderMemories(memory, path);
  if (folder === null) {
    const done = path.endsWith(".md") || flags.recursive !== true ? null : await folderAlreadyDone(memory, normalizeMemoryFolder(path), null);
    if (done) {
      // A retry of a delete that was killed after its commit, or finished by the recovery that ran first.
      const memories = count(done.count, "memory", "memories");
      print(ctx, `${normalizeMemoryFolder(path)}/ was already deleted (${memories}, commit ${short(done.commit)}); nothing left to do`, { path, commit: done.commit, count: done.count, already: true });
      return;
    }
    if (!path.endsWith(".md") && flags.recursive === true) {
      throw new ReverieError("NOT_FOUND", `No memories under ${normalizeMemoryFolder(path)}/ to delete. List what exists with: reverie ls${dirFlag(ctx.dir)}`, { path });
    }
    const result = await memory.remove(path, options);
    print(ctx, `deleted ${result.path} (commit ${short(result.commit)})`, result);
    return;
  }
  const memories = count(folder.paths.length, "memory", "memories");
  if (flags.recursive !== true) {
    throw new ReverieError("INVALID_INPUT", `${folder.folder}/ is a folder of ${memories}. Delete them all, in one commit, with: reverie rm -r ${folder.folder}${dirFlag(ctx.dir)}`, { path, count: folder.paths.length });
  }
  if (options.expectHash !== undefined) throw new ReverieError("INVALID_INPUT", "--expect-hash guards one file's content; it cannot guard a folder. Drop it, or delete the files one by one.", { path });
  const results = await memory.removeMany(folder.paths, options);
  print(ctx, `deleted ${memories} under ${folder.folder}/ (commit ${short(results[0]!.commit)})`, results);
}
