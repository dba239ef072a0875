import { readFile } from "node:fs/promises";
import { decodeUtf8, openMemory, ReverieError } from "@reverie/core";
import { print, readStdin, short, type CommandContext } from "../context.js";
import { mutationOptions, type MutationFlags } from "./options.js";

interface WriteFlags extends MutationFlags {
  file?: string;
  raw?: boolean;
  forceParse?: boolean;
  allowEmpty?: boolean;
}

export async function run(ctx: CommandContext, path: string, flags: WriteFlags): Promise<void> {
  const options = mutationOptions(ctx, flags);
  const memory = await openMemory(ctx.dir);
  const source = flags.file ?? "<stdin>";
  const bytes = flags.file
    ? await readFile(flags.file).catch((error: NodeJS.ErrnoException) => {
        throw new ReverieError("NOT_FOUND", `Cannot read --file ${flags.file}: ${error.code === "ENOENT" ? "no such file" : error.message}.`, { file: flags.file });
      })
    : await readStdin(ctx, "content to write", `echo "Use pnpm, not npm." | reverie write ${path}`);
  const result = await memory.write(path, decodeUtf8(bytes, source), {
    ...options,
    stamp: flags.raw !== true,
    forceParse: flags.forceParse === true,
    allowEmpty: flags.allowEmpty === true,
  });
  const verb = result.op === "unchanged" ? "unchanged" : result.op === "create" ? "created" : "updated";
  print(ctx, `${verb} ${result.path} (sha256 ${result.sha256.slice(0, 12)}…, commit ${short(result.commit)})`, result);
}
