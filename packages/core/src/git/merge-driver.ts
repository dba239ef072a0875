import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { reverieTempDir } from "../recovery/temp-files.js";
import type { GitRepo } from "./repo.js";

/** The line in `.gitattributes` that sends memory files to reverie's merge driver. */
export const MERGE_ATTRIBUTE = "*.md merge=reverie";

/** The driver script, an absolute path: git runs it from the repository, whatever the cwd of whoever merges. */
export function mergeDriverScript(): string {
  const built = fileURLToPath(new URL("./merge-driver-main.js", import.meta.url));
  if (existsSync(built)) return built;
  // Run from source (the tests): the build beside it.
  return built.replace(/[\\/]src[\\/]git[\\/]merge-driver-main\.js$/, (m) => m.replace("src", "dist"));
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * The shell command git runs (`merge.reverie.driver`): this node and this script, by absolute
 * path, so a merge works from any folder and after a global install. If either has gone (node
 * upgraded, reverie uninstalled), git's plain text merge runs instead, so a merge never fails
 * for want of the driver.
 */
export function mergeDriverCommand(node = process.execPath, script = mergeDriverScript()): string {
  const [n, s] = [quote(node), quote(script)];
  return `if [ -x ${n} ] && [ -f ${s} ]; then ${n} ${s} %O %A %B %L %P; else git merge-file --marker-size=%L %A %O %B; fi`;
}

/**
 * Registers reverie's merge driver for memory files in `repo`: the driver in the repository's
 * own config (`.git/config`: per clone, never committed) and `*.md merge=reverie` in
 * `.gitattributes`. Idempotent; returns true when `.gitattributes` changed and must be committed.
 */
export async function registerMergeDriver(repo: GitRepo): Promise<boolean> {
  const command = mergeDriverCommand();
  const current = await repo.run(["config", "--local", "--get", "merge.reverie.driver"], { okCodes: [1] });
  if (current.stdout.trim() !== command) {
    await repo.run(["config", "--local", "merge.reverie.name", "reverie memory files: front-matter field by field, body by git merge-file"]);
    await repo.run(["config", "--local", "merge.reverie.driver", command]);
  }
  const file = join(repo.dir, ".gitattributes");
  const text = await readFile(file, "utf8").catch(() => "");
  if (text.split(/\r?\n/).some((line) => line.trim() === MERGE_ATTRIBUTE)) return false;
  const comment = "# Memory files merge field by field (reverie's merge driver, registered by reverie init and sync).\n";
  await writeFileAtomic(file, `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}${comment}${MERGE_ATTRIBUTE}\n`, { tempDir: reverieTempDir(repo.dir), kind: "attributes" });
  return true;
}
