import { spawnSync } from "node:child_process";
import { readFile, realpath } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, initializedMemory } from "./support.js";

const strace = spawnSync("strace", ["-V"]).status === 0;

/**
 * Runs the built CLI under strace and returns, in order, the fsyncs and renames it (and its git
 * children) made of paths in the memory, relative to it: `fsync a/b`, `rename x -> y`. git's
 * object and index files and reverie's journal are left out; temp names are shortened to their kind.
 */
async function durabilitySteps(dir: string, args: string[], input = ""): Promise<string[]> {
  const trace = join(dir, "..", "trace");
  const run = spawnSync("strace", ["-f", "-qq", "-y", "-e", "trace=fsync,fdatasync,rename", "-o", trace, process.execPath, BIN, ...args, "--dir", dir], {
    input,
    encoding: "utf8",
    env: { ...process.env, REVERIE_DIR: "" },
  });
  expect(run.status, run.stderr).toBe(0);
  const rel = (path: string) => {
    const r = relative(dir, path) || ".";
    return r.replace(/^\.reverie\/tmp\/([a-z-]+)\..*\.tmp$/, ".reverie/tmp/$1.tmp");
  };
  const steps: string[] = [];
  for (const line of (await readFile(trace, "utf8")).split("\n")) {
    // Parallel fsyncs (reverie flushes several files at once) are traced as "<unfinished ...>".
    const sync = /\b(?:fsync|fdatasync)\(\d+<([^>]+)>(?:\)| <unfinished)/.exec(line);
    const moved = /\brename\("([^"]+)", "([^"]+)"\)/.exec(line);
    const paths = sync ? [sync[1]!] : moved ? [moved[1]!, moved[2]!] : [];
    if (paths.length === 0 || !paths[0]!.startsWith(dir)) continue;
    if (paths.some((p) => /\/\.git\/(objects|index)|\/\.reverie\/journal/.test(p) || /journal\.[^/]*\.tmp$/.test(p))) continue;
    steps.push(sync ? `fsync ${rel(paths[0]!)}` : `rename ${rel(paths[0]!)} -> ${rel(paths[1]!)}`);
  }
  return steps;
}

if (!strace) console.log("durability tests skipped: strace is not installed");

describe.skipIf(!strace)("durability, traced with strace", () => {
  it("a write fsyncs the file, then its folder and every folder it created, before git commits; then the ref's folder and the git dir", async () => {
    const dir = await realpath((await initializedMemory()).dir);
    const steps = await durabilitySteps(dir, ["write", "a/b/c.md", "--raw"], "Durable.\n");
    expect(steps.slice(0, -2)).toEqual([
      "fsync .reverie/tmp/write.tmp",
      "rename .reverie/tmp/write.tmp -> a/b/c.md",
      "fsync a/b",
      "fsync a",
      "fsync .",
      // The commit: objects (left out here) and the branch's lock file flushed, then the branch moved:
      "fsync .git/refs/heads/main.lock",
      "rename .git/refs/heads/main.lock -> .git/refs/heads/main",
    ]);
    // Then the ref's folder and the git dir (the new index), flushed together.
    expect(steps.slice(-2).sort()).toEqual(["fsync .git", "fsync .git/refs/heads"]);
  });

  it("a delete fsyncs the folder it removed the file from before git commits", async () => {
    const dir = await realpath((await initializedMemory()).dir);
    expect(spawnSync(process.execPath, [BIN, "write", "a/b/c.md", "--raw", "--dir", dir], { input: "x\n", env: { ...process.env, REVERIE_DIR: "" } }).status).toBe(0);
    const steps = await durabilitySteps(dir, ["rm", "a/b/c.md"]);
    expect(steps.slice(0, -2)).toEqual(["fsync a/b", "fsync .git/refs/heads/main.lock", "rename .git/refs/heads/main.lock -> .git/refs/heads/main"]);
    expect(steps.slice(-2).sort()).toEqual(["fsync .git", "fsync .git/refs/heads"]);
  });
});
