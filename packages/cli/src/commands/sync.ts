import { openMemory, syncMemory, type SyncResult } from "@reverie/core";
import { note, print, short, type CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

interface SyncFlags {
  remote?: string;
  merge?: boolean;
  pushDreams?: boolean | string[];
  agent?: string;
}

/** `reverie sync`: fetch, rebase (or merge) and push; exits 2 on a real conflict, naming the files. */
export async function run(ctx: CommandContext, flags: SyncFlags): Promise<number> {
  const memory = await openMemory(ctx.dir);
  const agent = flags.agent ?? ctx.agent;
  const result: SyncResult = await syncMemory(memory.repo, {
    ...(flags.remote ? { remote: flags.remote } : {}),
    strategy: flags.merge ? "merge" : "rebase",
    ...(flags.pushDreams === undefined ? {} : { dreams: flags.pushDreams === true ? true : flags.pushDreams === false ? false : flags.pushDreams }),
    ...(agent ? { agent } : {}),
  });
  if (result.kind === "conflict") {
    if (ctx.json) print(ctx, "", result);
    note(ctx, `reverie: sync stopped by a conflict in ${result.files.join(", ")}`);
    note(ctx, result.resolve);
    return EXIT.conflict;
  }
  const lines = [
    `synced ${result.branch} with ${result.remote}/${result.branch} at ${short(result.head)}: received ${result.received}, sent ${result.sent}${
      result.integration === "none" ? "" : ` (${result.integration})`
    }`,
  ];
  if (result.localEdits) lines.push(`committed edits made in the folder as ${short(result.localEdits)}`);
  for (const branch of result.dreams) lines.push(`pushed ${branch} for review: open a pull request from ${branch} into ${result.branch}`);
  print(ctx, lines.join("\n"), result);
  return EXIT.ok;
}
