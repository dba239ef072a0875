export { HERMETIC_GIT_ENV, useHermeticGit } from "./git-env.js";
export { tempDir, cleanupTempDirs } from "./temp-dir.js";
