/**
 * Where Claude Code keeps a project's files: `<config>/projects/<encoded path>/` holds the
 * session transcripts of sessions started in that folder, and its `memory/` sub-folder the
 * project's auto memory (`MEMORY.md` and topic files). `<config>` is `$CLAUDE_CONFIG_DIR`, else
 * `~/.claude`. The encoded path is the absolute path with every character other than a letter or
 * digit replaced by `-` (`/home/u/src/app` → `-home-u-src-app`, as the project folders in real
 * transcripts show, e.g. `-Users-soph-Work-entire-devenv-cli`); auto memory belongs to the git
 * repository (every worktree and sub-folder shares one), so it is named after the repository's root.
 */
import { readdir, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { ReverieError, runGit } from "@reverie/core";

/** Past this length Claude Code cuts the encoded name and appends a hash of the path. */
const MAX_ENCODED = 200;

export function claudeConfigDir(env: NodeJS.ProcessEnv): string {
  return env.CLAUDE_CONFIG_DIR ? resolve(env.CLAUDE_CONFIG_DIR) : join(env.HOME || homedir(), ".claude");
}

/** Claude Code's name for a project folder: the absolute path, every non-alphanumeric character as `-`. */
export function encodeProjectPath(path: string): string {
  return path.replace(/[^a-zA-Z0-9]/g, "-");
}

/**
 * The folder under `<config>/projects/` for `path`. A long path's name ends in a hash reverie
 * does not compute; the existing folder that starts with the cut name is taken instead.
 */
async function projectFolder(env: NodeJS.ProcessEnv, path: string): Promise<string> {
  const projects = join(claudeConfigDir(env), "projects");
  const encoded = encodeProjectPath(path);
  if (encoded.length <= MAX_ENCODED) return join(projects, encoded);
  const prefix = `${encoded.slice(0, MAX_ENCODED)}-`;
  const match = (await readdir(projects).catch(() => [] as string[])).find((name) => name.startsWith(prefix));
  return join(projects, match ?? encoded);
}

/** The root of the git repository `dir` belongs to (the main worktree's, for a linked worktree), or null outside git. */
async function repositoryRoot(dir: string): Promise<string | null> {
  const common = await runGit(dir, ["rev-parse", "--path-format=absolute", "--git-common-dir"], { okCodes: [128] }).catch(() => null);
  if (!common || common.code !== 0) return null;
  const gitDir = common.stdout.trim();
  if (gitDir.endsWith("/.git")) return dirname(gitDir);
  const top = await runGit(dir, ["rev-parse", "--show-toplevel"], { okCodes: [128] });
  return top.code === 0 ? top.stdout.trim() : null;
}

/** Where Claude Code writes the transcripts of sessions started in `cwd`. */
export async function claudeCodeSessionsFolder(env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  return projectFolder(env, resolve(cwd));
}

/** The auto memory folder of the project at `project` (its git repository's, when it is in one). */
export async function claudeCodeMemoryFolder(env: NodeJS.ProcessEnv, project: string): Promise<string> {
  const dir = resolve(project);
  if (!(await stat(dir).catch(() => null))?.isDirectory()) {
    throw new ReverieError("NOT_FOUND", `--claude-code ${project}: no such folder. Give the project folder you run Claude Code in (default: the current folder).`, { project });
  }
  return join(await projectFolder(env, (await repositoryRoot(dir)) ?? dir), "memory");
}

/**
 * `--sessions claude-code`: the transcripts folder of the current directory's project. It must
 * exist: a name that matches no folder means Claude Code never ran here (or runs with another
 * CLAUDE_CONFIG_DIR).
 */
export async function resolveSessionsArgument(env: NodeJS.ProcessEnv, cwd: string, items: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const item of items) {
    if (item !== "claude-code") {
      out.push(item);
      continue;
    }
    const folder = await claudeCodeSessionsFolder(env, cwd);
    if (!(await stat(folder).catch(() => null))?.isDirectory()) {
      throw new ReverieError(
        "NOT_FOUND",
        `--sessions claude-code: Claude Code has no transcripts for ${resolve(cwd)} (expected the folder ${folder}). Run this from the folder you start Claude Code in, set CLAUDE_CONFIG_DIR if Claude Code uses another one, or give the transcripts folder itself.`,
        { folder, cwd },
      );
    }
    out.push(folder);
  }
  return out;
}
