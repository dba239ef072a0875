import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { git, initializedMemory, reverie } from "./support.js";

let dir: string;

beforeEach(async () => {
  ({ dir } = await initializedMemory());
});

/** Every `*.lock` under .git (top level and refs/), as git would leave them. */
async function gitLocks(): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string, rel: string) => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory() && (rel !== "" || entry.name === "refs")) await walk(join(at, entry.name), path);
      else if (entry.name.endsWith(".lock")) found.push(path);
    }
  };
  await walk(join(dir, ".git"), "");
  return found.sort();
}

describe("stale git locks", () => {
  it.each(["index.lock", "HEAD.lock", "refs/heads/main.lock", "next-index-4242.lock", "config.lock", "packed-refs.lock"])(
    "a %s left by a killed git is removed with a notice, and the write goes through",
    async (lock) => {
      await writeFile(join(dir, ".git", lock), "");
      const write = reverie(["write", "notes/a.md", "--dir", dir], { input: "After a crash.\n" });
      expect(write.code).toBe(0);
      expect(write.stderr).toBe(`reverie: removed ${lock} from ${join(dir, ".git")}: left by a git process that is no longer running (a crash or a kill).\n`);
      expect(write.stdout).toMatch(/^created notes\/a\.md/);
      expect(await gitLocks()).toEqual([]);
      expect(git(dir, "status", "--porcelain")).toBe("");
      expect(git(dir, "log", "-1", "--format=%s")).toBe("memory: create notes/a.md\n");
    },
  );

  it("removes every lock of a ref under refs/ at once, one notice each", async () => {
    await mkdir(join(dir, ".git", "refs", "heads", "dream"), { recursive: true });
    await writeFile(join(dir, ".git", "refs", "heads", "dream", "drm_X.lock"), "");
    await writeFile(join(dir, ".git", "index.lock"), "");
    const write = reverie(["write", "notes/b.md", "--dir", dir], { input: "Two locks.\n" });
    expect(write.code).toBe(0);
    expect(write.stderr.trim().split("\n").map((l) => l.split(" ")[2])).toEqual(["index.lock", "refs/heads/dream/drm_X.lock"]);
    expect(await gitLocks()).toEqual([]);
  });
});
