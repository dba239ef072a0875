import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { initMemory } from "@reverie/core";
import { print, type CommandContext } from "../context.js";

interface InitFlags {
  /** `--claude-code [project]`: true for the current folder's project. */
  claudeCode?: string | boolean;
}

/** `reverie init [dir]`: a new memory folder, or an existing folder adopted in place; `--claude-code` finds the project's auto memory folder. */
export async function run(ctx: CommandContext, dir: string | undefined, flags: InitFlags = {}): Promise<void> {
  let target = dir ?? ctx.dir;
  if (flags.claudeCode !== undefined && flags.claudeCode !== false) {
    const { claudeCodeMemoryFolder } = await import("../claude-code-paths.js");
    const { ReverieError } = await import("@reverie/core");
    if (dir !== undefined) throw new ReverieError("INVALID_INPUT", `reverie init ${dir} --claude-code: give the folder or --claude-code [project], not both (--claude-code finds the folder itself).`, { dir });
    target = await claudeCodeMemoryFolder(ctx.env, flags.claudeCode === true ? "." : flags.claudeCode);
    await writeIndexIfMissing(target);
  }
  const before = await readdir(target).catch(() => [] as string[]);
  const adopted = before.filter((name) => name !== ".git");
  const memory = await initMemory(target);
  const head = await memory.repo.head();
  const claudeCode = flags.claudeCode !== undefined && flags.claudeCode !== false;
  const files = adopted.length > 0 ? (await memory.repo.run(["ls-files", "-z"])).stdout.split("\0").filter((p) => p !== "" && !p.startsWith(".reverie/") && p !== ".gitignore").length : 0;
  const what = adopted.length > 0 ? `Adopted ${memory.dir} as a memory: ${files} file${files === 1 ? "" : "s"} committed as they are` : `Created memory ${memory.dir}`;
  const dirFlag = `--dir ${shellWord(claudeCode || dir !== undefined ? memory.dir : ctx.dir)}`;
  const next = claudeCode
    ? `Next: reverie claude-code install --memory ${shellWord(memory.dir)}   (dreams keep its MEMORY.md the index Claude Code loads)`
    : `Next: echo "Use pnpm, not npm." | reverie write prefs/pm.md ${dirFlag}`;
  const hasIndex = (await stat(join(memory.dir, "MEMORY.md")).catch(() => null))?.isFile() === true;
  print(ctx, `${what} (git repository, first commit ${head?.slice(0, 7)}).\n${next}`, { dir: memory.dir, commit: head, adopted: adopted.length > 0, files, index: hasIndex ? "MEMORY.md" : null });
}

/**
 * Claude Code makes MEMORY.md with its first memory; a folder without one (or not there yet)
 * gets it now, listing the topic files already there, so dreams keep it from the start.
 */
async function writeIndexIfMissing(folder: string): Promise<void> {
  const { buildMemoryIndex, MEMORY_INDEX_PATH } = await import("@reverie/dream");
  const { listMarkdownFiles, parseNote } = await import("@reverie/core");
  const index = join(folder, MEMORY_INDEX_PATH);
  if (await stat(index).catch(() => null)) return;
  await mkdir(folder, { recursive: true });
  const notes = [];
  for (const path of await listMarkdownFiles(folder)) {
    if (path === "README.md") continue;
    try {
      notes.push(parseNote(path, await readFile(join(folder, path), "utf8")));
    } catch {
      // An unreadable file is still adopted; reverie doctor reports it.
    }
  }
  await writeFile(index, buildMemoryIndex(notes).text, { flag: "wx" });
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_\/.:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
