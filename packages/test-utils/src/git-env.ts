/**
 * The environment every test runs git in: no user or system git config (so a developer's
 * signing key or hooks cannot change results), no identity from the caller's environment, and
 * fixed author/committer dates, so commit ids are the same on every machine.
 */
export const HERMETIC_GIT_ENV: Readonly<Record<string, string>> = {
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_DATE: "2026-11-20T10:00:00Z",
  GIT_COMMITTER_DATE: "2026-11-20T10:00:00Z",
};

/**
 * Variables a caller (a CI system, a git hook, a developer's shell) may have exported that
 * change what git does or who it says committed: removed, so tests see a machine with no git
 * identity, as reverie's own fallbacks expect.
 */
export const CALLER_GIT_VARIABLES: readonly string[] = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_CEILING_DIRECTORIES",
  "GIT_AUTHOR_NAME",
  "GIT_AUTHOR_EMAIL",
  "GIT_COMMITTER_NAME",
  "GIT_COMMITTER_EMAIL",
  "EMAIL",
  "GIT_CONFIG",
  "GIT_CONFIG_COUNT",
  "GIT_CONFIG_PARAMETERS",
];

/** Applies HERMETIC_GIT_ENV to this process (and so to every git it starts), and removes CALLER_GIT_VARIABLES. */
export function useHermeticGit(): void {
  Object.assign(process.env, HERMETIC_GIT_ENV);
  for (const name of CALLER_GIT_VARIABLES) delete process.env[name];
}
