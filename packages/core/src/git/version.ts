import { ReverieError } from "../errors.js";
import { runGit } from "./exec-git.js";

let cached: Promise<[number, number, number]> | undefined;

/** The installed git's version as [major, minor, patch] (read once per process). */
export function gitVersion(dir: string): Promise<[number, number, number]> {
  cached ??= runGit(dir, ["--version"]).then((r) => {
    const [major = 0, minor = 0, patch = 0] = (/(\d+)\.(\d+)(?:\.(\d+))?/.exec(r.stdout) ?? []).slice(1).map((n) => Number(n ?? 0));
    return [major, minor, patch];
  });
  return cached;
}

/**
 * Refuses, with an actionable message, a feature that needs a newer git than the one
 * installed — instead of a raw "unknown option" from git later.
 */
export async function requireGit(dir: string, minimum: readonly [number, number], feature: string): Promise<void> {
  const [major, minor, patch] = await gitVersion(dir);
  if (major > minimum[0] || (major === minimum[0] && minor >= minimum[1])) return;
  throw new ReverieError(
    "INVALID_INPUT",
    `${feature} needs git ${minimum.join(".")} or newer (it checks merges with 'git merge-tree --write-tree'); this machine has git ${major}.${minor}.${patch}. Upgrade git and try again.`,
    { found: `${major}.${minor}.${patch}`, required: minimum.join(".") },
  );
}
