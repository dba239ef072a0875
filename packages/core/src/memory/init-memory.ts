import { copyFile, mkdir, readdir, realpath, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CONFIG_PATH } from "../config.js";
import { ReverieError } from "../errors.js";
import { registerMergeDriver } from "../git/merge-driver.js";
import { initRepo, openRepo, repoTopLevel } from "../git/repo.js";
import { openMemory, type Memory, type OpenMemoryOptions } from "./memory.js";

export interface InitMemoryOptions extends OpenMemoryOptions {
  /** Folder whose files seed the memory. @default the memory-template/ shipped with reverie */
  template?: string;
}

/** Where `memory-template/` is: beside the package when published, at the repo root in the monorepo. */
async function defaultTemplate(): Promise<string> {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, "../../memory-template"), join(here, "../../../../memory-template")]) {
    if ((await stat(join(candidate, CONFIG_PATH)).catch(() => null))?.isFile()) return candidate;
  }
  throw new ReverieError("INTERNAL", "reverie's memory-template folder is missing from this installation; reinstall reverie.", { searched: here });
}

async function templateFiles(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await templateFiles(root, path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

/**
 * Makes `dir` a memory folder: creates it if needed, copies the template (never overwriting a
 * file already there; a template's top-level `gitignore` becomes `.gitignore`, because npm leaves
 * every `.gitignore` out of an installed package), makes it a git repository of its own with
 * reverie's merge driver for memory files (see `registerMergeDriver`), and commits the template.
 * @throws ReverieError `ALREADY_EXISTS` when `dir` already is a memory.
 * @example const memory = await initMemory("./memory");
 */
export async function initMemory(dir: string, options: InitMemoryOptions = {}): Promise<Memory> {
  const existing = await stat(dir).catch(() => null);
  if (existing && !existing.isDirectory()) {
    throw new ReverieError("INVALID_INPUT", `Cannot create a memory at ${dir}: it is a file. Choose a folder path.`, { dir });
  }
  if ((await stat(join(dir, CONFIG_PATH)).catch(() => null))?.isFile()) {
    throw new ReverieError("ALREADY_EXISTS", `${dir} is already a reverie memory (${CONFIG_PATH} exists). Use it as it is, e.g. reverie ls --dir ${dir}`, { dir });
  }
  await mkdir(dir, { recursive: true });
  const root = await realpath(dir);
  const top = await repoTopLevel(root);
  if (top === null || (await realpath(top)) !== root) await initRepo(root);

  const template = options.template ?? (await defaultTemplate());
  const added: string[] = [];
  for (const source of await templateFiles(template)) {
    const rel = source === "gitignore" ? ".gitignore" : source;
    const target = join(root, rel);
    if (await stat(target).catch(() => null)) continue;
    await mkdir(dirname(target), { recursive: true });
    await copyFile(join(template, source), target);
    added.push(rel);
  }
  const repo = await openRepo(root);
  if ((await registerMergeDriver(repo)) && !added.includes(".gitattributes")) added.push(".gitattributes");
  if (added.length > 0) await repo.commitPaths(added, { subject: "memory: init", trailers: { "Memory-Op": "init" } });
  return openMemory(root, options);
}
