import { afterAll } from "vitest";
import { useHermeticGit } from "./git-env.js";
import { cleanupTempDirs } from "./temp-dir.js";

useHermeticGit();
afterAll(cleanupTempDirs);
