import { spawn, spawnSync } from "node:child_process";
import { chmod, cp, readdir, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { syncTemplate, tempDir } from "@reverie/test-utils";
import { BIN, git, leftovers, random, reverie, settle, spawnAndKill } from "./support.js";

const COMMITS = 40;
/** Kills per case: a few in `pnpm test` (the bench's crash suite kills many more); REVERIE_TEST_KILLS raises it. */
const KILLS = Number(process.env.REVERIE_TEST_KILLS ?? 4);

let template: string;

/**
 * A shared remote with 40 commits the clone `b` has not seen, and 40 commits of `b` the remote
 * has not seen: `reverie sync --dir b` rebases 40 commits onto 40.
 */
beforeAll(async () => {
  template = await realpath(await tempDir());
  await syncTemplate(template, COMMITS, reverie);
}, 120_000);

/** A fresh copy of the template; returns clone b's folder, its remote pointed at the copy's. */
async function copy(): Promise<{ base: string; b: string; remote: string }> {
  const base = join(await realpath(await tempDir()), "copy");
  await cp(template, base, { recursive: true });
  const b = join(base, "b");
  const remote = join(base, "shared.git");
  git(b, "remote", "set-url", "origin", remote);
  return { base, b, remote };
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/** Runs `reverie sync` in `dir` and kill -9s its process group once git has begun the rebase (state written, HEAD detached). */
async function killMidRebase(dir: string): Promise<void> {
  const child = spawn(process.execPath, [BIN, "sync", "--dir", dir], { detached: true, stdio: "ignore", env: { ...process.env, REVERIE_DIR: "" } });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const deadline = Date.now() + 20_000;
  const detached = async () => !(await readFile(join(dir, ".git", "HEAD"), "utf8")).startsWith("ref:");
  while (!(await exists(join(dir, ".git", "rebase-merge"))) || !(await detached())) {
    if (Date.now() > deadline) throw new Error("the rebase never started");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  process.kill(-child.pid!, "SIGKILL");
  await exited;
}

describe("sync killed during its rebase", () => {
  it("the next sync undoes the half-done rebase, puts main back, and syncs", async () => {
    const { b, remote } = await copy();
    const before = git(b, "rev-parse", "HEAD").trim();
    // A post-checkout hook that sleeps holds the rebase still, mid-way, for the kill.
    const hold = join(b, ".git", "hold");
    await writeFile(join(b, ".git", "hooks", "post-checkout"), `#!/bin/sh\n[ -f "${hold}" ] && sleep 10\nexit 0\n`);
    await chmod(join(b, ".git", "hooks", "post-checkout"), 0o755);
    await writeFile(hold, "");
    await killMidRebase(b);
    await rm(hold);
    expect(git(b, "status", "--short", "--branch").split("\n")[0]).toMatch(/^## HEAD \(no branch\)/);

    const next = reverie(["sync", "--dir", b]);
    expect(next.stderr).toBe(`reverie: undid the rebase of main onto origin/main that a killed sync left half-done; main is checked out at ${before.slice(0, 7)}, as before that sync.\n`);
    expect(next.code).toBe(0);
    const head = git(b, "rev-parse", "HEAD").trim();
    expect(next.stdout).toBe(`synced main with origin/main at ${head.slice(0, 7)}: received ${COMMITS}, sent ${COMMITS} (rebase)\n`);
    expect(git(b, "symbolic-ref", "HEAD")).toBe("refs/heads/main\n");
    expect(git(remote, "rev-parse", "main").trim()).toBe(head);
    expect(git(b, "status", "--porcelain", "--untracked-files=all")).toBe("");
    expect(await leftovers(b)).toEqual([]);
  }, 60_000);

  it("any other command undoes it too, and says so on stderr", async () => {
    const { b } = await copy();
    const before = git(b, "rev-parse", "HEAD").trim();
    const hold = join(b, ".git", "hold");
    await writeFile(join(b, ".git", "hooks", "post-checkout"), `#!/bin/sh\n[ -f "${hold}" ] && sleep 10\nexit 0\n`);
    await chmod(join(b, ".git", "hooks", "post-checkout"), 0o755);
    await writeFile(hold, "");
    await killMidRebase(b);
    await rm(hold);
    const journal = (await readdir(join(b, ".reverie", "journal")))[0]!;
    expect(reverie(["doctor", "--dir", b]).stdout.split("\n")).toEqual([
      `error   REBASE_IN_PROGRESS: A rebase of main, left half-done by a killed reverie sync, is in progress in ${b}; reverie doctor --fix (or any reverie command) undoes it and checks the branch out as before that sync.`,
      `warning STALE_LOCK: ${b}/.reverie/lock names a process that is no longer running; the next write takes it over (reverie doctor --fix removes it now).`,
      `warning INTERRUPTED: An interrupted sync of main (its process died); reverie doctor --fix, or any reverie command, undoes what it left half-done.`,
      `1 error(s), 2 warning(s) in ${b}.`,
      `Run reverie doctor --fix --dir ${b} to repair what is safe to repair.`,
      "",
    ]);
    expect(journal).toMatch(/^sync\.[0-9a-f]{12}\.json$/);
    const ls = reverie(["ls", "--dir", b]);
    expect(ls.stderr).toBe(`reverie: undid the rebase of main onto origin/main that a killed sync left half-done; main is checked out at ${before.slice(0, 7)}, as before that sync.\n`);
    expect(git(b, "rev-parse", "HEAD").trim()).toBe(before);
    expect(git(b, "symbolic-ref", "HEAD")).toBe("refs/heads/main\n");
    expect(await leftovers(b)).toEqual([]);
  }, 60_000);

  it(`kill -9 at random moments of a sync of ${COMMITS} + ${COMMITS} commits: the next sync just works (${KILLS} kills)`, async () => {
    const seed = Date.now() % 100_000;
    console.log(`kill test (sync) seed ${seed}`);
    const rand = random(seed);
    const repairs: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      const { b, remote } = await copy();
      await spawnAndKill(["sync", "--dir", b], "", 300 + Math.floor(rand() * 1800), i % 2 === 0);
      await settle();
      const next = reverie(["sync", "--dir", b]);
      expect(next.code, `after kill ${i} (seed ${seed}): ${next.stderr}`).toBe(0);
      repairs.push(...next.stderr.split("\n").filter(Boolean));
      expect(git(b, "symbolic-ref", "HEAD")).toBe("refs/heads/main\n");
      expect(git(b, "status", "--porcelain", "--untracked-files=all")).toBe("");
      expect(await leftovers(b)).toEqual([]);
      const head = git(b, "rev-parse", "HEAD").trim();
      expect(git(remote, "rev-parse", "main").trim()).toBe(head);
      const files = git(b, "ls-tree", "--name-only", "HEAD").split("\n").filter((f) => /^[ab]\d+\.md$/.test(f));
      expect(files).toHaveLength(2 * COMMITS);
    }
    console.log(`kill test (sync): ${repairs.length} repairs:\n${repairs.join("\n")}`);
  }, 300_000);

  it("a rebase someone started is named as theirs, and left to them", async () => {
    const { b } = await copy();
    git(b, "fetch", "-q", "origin");
    git(b, "config", "user.name", "Pat");
    git(b, "config", "user.email", "pat@example.com");
    spawnSync("sh", ["-c", "echo conflict > a1.md && git add a1.md && git commit -qm mine"], { cwd: b });
    expect(spawnSync("git", ["rebase", "origin/main"], { cwd: b }).status).toBe(1);
    const sync = reverie(["sync", "--dir", b]);
    expect(sync.code).toBe(1);
    expect(sync.stderr).toBe(
      `reverie: A rebase of main, started outside reverie, is in progress in ${b}, so reverie cannot sync it; nothing was changed. Finish it (resolve, git add, git -C ${b} rebase --continue) or undo it (git -C ${b} rebase --abort), then try again.\n`,
    );
    expect(await exists(join(b, ".git", "rebase-merge"))).toBe(true);
  }, 60_000);
});
