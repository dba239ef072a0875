import { copyFile, mkdir, readdir, readFile, realpath, stat, writeFile } from "node:fs/promises";
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

/** What is in a folder besides git's data: anything means the folder is adopted rather than created. */
async function existingFiles(root: string): Promise<string[]> {
  return (await readdir(root)).filter((name) => name !== ".git");
}

/**
 * An adopted folder's own `.gitignore` is left as it is; reverie's rules for its derived state
 * (the template's `.reverie/…` lines) go to `.reverie/.gitignore`, relative to that folder.
 */
async function reverieIgnoreInside(root: string, templateIgnore: string): Promise<string[]> {
  const lines = (await readFile(templateIgnore, "utf8")).split("\n");
  const rules = lines.filter((line) => line.startsWith(".reverie/")).map((line) => line.slice(".reverie/".length));
  const target = join(root, ".reverie", ".gitignore");
  if (rules.length === 0 || (await stat(target).catch(() => null))) return [];
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, `# reverie's derived and local state (the folder's own .gitignore is left as it was)\n${rules.join("\n")}\n`);
  return [".reverie/.gitignore"];
}

/**
 * Makes `dir` a memory folder: creates it if needed, copies the template (never overwriting a
 * file already there; a template's top-level `gitignore` becomes `.gitignore`, because npm leaves
 * every `.gitignore` out of an installed package), makes it a git repository of its own with
 * reverie's merge driver for memory files (see `registerMergeDriver`), and commits the template.
 *
 * A folder that already holds files is **adopted in place**: its files are committed exactly as
 * they are (no front-matter added, nothing rewritten) in the same first commit as reverie's
 * `.reverie/config.yaml`; the template's README is not added, and when the folder has its own
 * `.gitignore` reverie's ignore rules go to `.reverie/.gitignore` instead of touching it.
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

  const adopting = (await existingFiles(root)).length > 0;
  const template = options.template ?? (await defaultTemplate());
  const added: string[] = [];
  for (const source of await templateFiles(template)) {
    const rel = source === "gitignore" ? ".gitignore" : source;
    const target = join(root, rel);
    if (await stat(target).catch(() => null)) {
      if (rel === ".gitignore" && adopting) added.push(...(await reverieIgnoreInside(root, join(template, source))));
      continue;
    }
    // An adopted folder is someone's own: reverie adds only its configuration, not a README among their files.
    if (adopting && !rel.startsWith(".reverie/") && rel !== ".gitignore") continue;
    await mkdir(dirname(target), { recursive: true });
    await copyFile(join(template, source), target);
    added.push(rel);
  }
  const repo = await openRepo(root);
  if ((await registerMergeDriver(repo)) && !added.includes(".gitattributes")) added.push(".gitattributes");
  if (adopting) {
    // Every file as it is, in the first commit with reverie's own (git add -A honours the folder's .gitignore).
    await repo.run(["add", "-A", "--", "."]);
    const staged = (await repo.run(["diff", "--cached", "--name-only", "-z"])).stdout.split("\0").filter(Boolean);
    const files = staged.filter((path) => !added.includes(path)).length;
    if (staged.length > 0) {
      await repo.commitPaths(staged, { subject: `memory: init, adopting ${files} file${files === 1 ? "" : "s"} as they are`, trailers: { "Memory-Op": "init" } }, undefined, []);
    }
  } else if (added.length > 0) await repo.commitPaths(added, { subject: "memory: init", trailers: { "Memory-Op": "init" } });
  return openMemory(root, options);
}
