import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { initMemory, ReverieError } from "@reverie/core";
import { print, type CommandContext } from "../context.js";

interface InitFlags {
  /** `--claude-code [project]`: true for the current folder's project. */
  claudeCode?: string | boolean;
}

/** What `reverie init` made: the memory folder, whether it adopted files that were there, and how many. */
export interface InitDone {
  dir: string;
  commit: string | null;
  adopted: boolean;
  files: number;
  index: "MEMORY.md" | null;
}

/** `reverie init [dir]`: a new memory folder, or an existing folder adopted in place; `--claude-code` finds the project's auto memory folder. */
export async function run(ctx: CommandContext, dir: string | undefined, flags: InitFlags = {}): Promise<void> {
  const claudeCode = flags.claudeCode !== undefined && flags.claudeCode !== false;
  if (claudeCode && dir !== undefined) {
    throw new ReverieError("INVALID_INPUT", `reverie init ${dir} --claude-code: give the folder or --claude-code [project], not both (--claude-code finds the folder itself).`, { dir });
  }
  const auto = claudeCode ? await claudeCodeMemory(ctx.env, flags.claudeCode === true ? "." : String(flags.claudeCode)) : null;
  const done = await initFolder(auto?.folder ?? dir ?? ctx.dir);
  const what = describeInit(done, auto !== null && !auto.existed);
  const next = claudeCode
    ? `Next: reverie claude-code install --memory ${shellWord(done.dir)}   (dreams keep its MEMORY.md the index Claude Code loads)`
    : `Next: echo "Use pnpm, not npm." | reverie write prefs/pm.md --dir ${shellWord(dir !== undefined ? done.dir : ctx.dir)}`;
  print(ctx, `${what} (git repository, first commit ${done.commit?.slice(0, 7)}).\n${next}`, done);
}

/** The auto memory folder of a Claude Code project, with a MEMORY.md index made if it has none yet; `existed` is false when Claude Code had not made it yet. */
export async function claudeCodeMemory(env: NodeJS.ProcessEnv, project: string): Promise<{ folder: string; existed: boolean }> {
  const { claudeCodeMemoryFolder } = await import("../claude-code-paths.js");
  const folder = await claudeCodeMemoryFolder(env, project);
  const existed = (await readdir(folder).catch(() => [] as string[])).length > 0;
  await writeIndexIfMissing(folder);
  return { folder, existed };
}

/** How a made memory is described: created, or adopted with its files. */
export function describeInit(done: InitDone, fresh: boolean): string {
  if (!done.adopted || fresh) return `Created memory ${done.dir}${fresh ? " (Claude Code's auto memory folder, with a MEMORY.md index)" : ""}`;
  return `Adopted ${done.dir} as a memory: ${done.files} file${done.files === 1 ? "" : "s"} committed as they are`;
}

/** Makes `target` a memory: created, or adopted in place when it holds files. */
export async function initFolder(target: string): Promise<InitDone> {
  const before = (await readdir(target).catch(() => [] as string[])).filter((name) => name !== ".git");
  const memory = await initMemory(target);
  const commit = await memory.repo.head();
  const adopted = before.length > 0;
  // The folder's own files: not reverie's configuration, nor the .gitignore/.gitattributes init added.
  const ours = (p: string) => p.startsWith(".reverie/") || ((p === ".gitignore" || p === ".gitattributes") && !before.includes(p));
  const files = adopted ? (await memory.repo.run(["ls-files", "-z"])).stdout.split("\0").filter((p) => p !== "" && !ours(p)).length : 0;
  const index = (await stat(join(memory.dir, "MEMORY.md")).catch(() => null))?.isFile() === true ? "MEMORY.md" : null;
  return { dir: memory.dir, commit, adopted, files, index };
}

/**
 * Claude Code makes MEMORY.md with its first memory; a folder without one (or not there yet)
 * gets it now, listing the topic files already there, so dreams keep it from the start.
 */
async function writeIndexIfMissing(folder: string): Promise<void> {
  const { buildMemoryIndex, MEMORY_INDEX_PATH } = await import("@reverie/dream");
  const { listMarkdownFiles, parseNote } = await import("@reverie/core");
  const index = join(folder, MEMORY_INDEX_PATH);
  // An index already there, or a folder that already is a memory (init refuses it untouched), gets none.
  if ((await stat(index).catch(() => null)) || (await stat(join(folder, ".reverie", "config.yaml")).catch(() => null))) return;
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

export function shellWord(word: string): string {
  return /^[A-Za-z0-9_\/.:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
