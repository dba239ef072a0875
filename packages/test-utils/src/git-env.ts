/**
 * The environment every test runs git in: no user or system git config (so a developer's
 * signing key or hooks cannot change results) and fixed author/committer dates, so commit ids
 * are the same on every machine.
 */
export const HERMETIC_GIT_ENV: Readonly<Record<string, string>> = {
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_DATE: "2026-11-20T10:00:00Z",
  GIT_COMMITTER_DATE: "2026-11-20T10:00:00Z",
};

/** Applies HERMETIC_GIT_ENV to this process (and so to every git it starts). */
export function useHermeticGit(): void {
  Object.assign(process.env, HERMETIC_GIT_ENV);
  delete process.env.GIT_DIR;
  delete process.env.GIT_WORK_TREE;
  delete process.env.GIT_INDEX_FILE;
}
