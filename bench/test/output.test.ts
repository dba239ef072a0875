import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bin = join(repoDir, "bench", "dist", "run.js");
const git = (...args: string[]) => execFileSync("git", ["-C", repoDir, ...args], { encoding: "utf8" });
const ignored = (path: string) => {
  try {
    git("check-ignore", "-q", "--no-index", path);
    return true;
  } catch {
    return false;
  }
};

describe("repository hygiene", () => {
  it("ignores a memory made in the clone (reverie init ./memory) and the bench's default output, not the recorded figures", () => {
    expect(ignored("memory/prefs/pm.md")).toBe(true);
    expect(ignored("memory/.reverie/config.yaml")).toBe(true);
    expect(ignored("bench/out/latest.md")).toBe(true);
    expect(ignored("bench/results/latest.md")).toBe(false);
    expect(ignored("packages/core/src/memory/memory.ts")).toBe(false);
  });

  it("pnpm bench writes to the ignored bench/out/ and leaves the tracked bench/results/ alone unless --record", () => {
    const recorded = join(repoDir, "bench", "results", "latest.json");
    const before = readFileSync(recorded, "utf8");
    const mtime = statSync(recorded).mtimeMs;
    // --only= with no suite: the runner's own output path, in a second.
    const stdout = execFileSync(process.execPath, [bin, "--quick", "--only=none"], { cwd: repoDir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(stdout).toMatch(/→ bench\/out\/latest\.md\n$/);
    expect(readFileSync(join(repoDir, "bench", "out", "latest.json"), "utf8")).toBe("[]\n");
    expect(readFileSync(recorded, "utf8")).toBe(before);
    expect(statSync(recorded).mtimeMs).toBe(mtime);
  });
});
