import { spawn, spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { initMemory, openMemory, removeStaleGitLocks } from "@reverie/core";
import { tempDir } from "@reverie/test-utils";

const WRITER = fileURLToPath(new URL("./fixtures/writer.mjs", import.meta.url));

function git(dir: string, ...args: string[]): string {
  return spawnSync("git", args, { cwd: dir, encoding: "utf8" }).stdout;
}

/** Starts one writer process per plan, all at once, and collects what each reports. */
function runWriters(dir: string, plans: object[]): Promise<Array<{ wins: number; conflicts: number }>> {
  return Promise.all(
    plans.map(
      (plan) =>
        new Promise<{ wins: number; conflicts: number }>((resolve, reject) => {
          const child = spawn(process.execPath, [WRITER, dir, JSON.stringify(plan)], { stdio: ["ignore", "pipe", "pipe"] });
          let out = "";
          let err = "";
          child.stdout.on("data", (d) => (out += d));
          child.stderr.on("data", (d) => (err += d));
          child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`writer exited ${code}: ${err}`))));
        }),
    ),
  );
}

function assertHealthy(dir: string): void {
  expect(git(dir, "status", "--porcelain")).toBe("");
  expect(spawnSync("git", ["fsck", "--no-progress"], { cwd: dir }).status).toBe(0);
}

describe("concurrent writer processes", () => {
  it("lose no update, whatever the mix of writers and files", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 4 }), async (writers, filesEach) => {
        const dir = join(await tempDir(), "m");
        await initMemory(dir);
        const plans = Array.from({ length: writers }, (_, w) => ({
          mode: "files",
          agent: `agent-${w}`,
          paths: Array.from({ length: filesEach }, (_, f) => `w${w}/f${f}.md`),
        }));
        await runWriters(dir, plans);
        for (const plan of plans) {
          for (const path of plan.paths) expect(await readFile(join(dir, path), "utf8")).toBe(`${plan.agent} wrote ${path}\n`);
        }
        expect(Number(git(dir, "rev-list", "--count", "HEAD").trim())).toBe(1 + writers * filesEach);
        assertHealthy(dir);
      }),
      { numRuns: 3 },
    );
  });

  it("serialize read-modify-write on one file through expected hashes: every increment lands", async () => {
    const dir = join(await tempDir(), "m");
    const memory = await initMemory(dir);
    await memory.write("counter.md", "0\n", { stamp: false });
    const writers = 4;
    const times = 5;
    await runWriters(dir, Array.from({ length: writers }, (_, w) => ({ mode: "increment", agent: `agent-${w}`, path: "counter.md", times })));
    expect(await readFile(join(dir, "counter.md"), "utf8")).toBe(`${writers * times}\n`);
    expect(Number(git(dir, "rev-list", "--count", "HEAD").trim())).toBe(2 + writers * times);
    assertHealthy(dir);
  });

  it("give a precondition race exactly one winner", async () => {
    const dir = join(await tempDir(), "m");
    const memory = await initMemory(dir);
    const { sha256 } = await memory.write("race.md", "start\n", { stamp: false });
    const outcomes = await runWriters(dir, Array.from({ length: 5 }, (_, w) => ({ mode: "race", agent: `agent-${w}`, path: "race.md", expectHash: sha256 })));
    expect(outcomes.reduce((n, o) => n + o.wins, 0)).toBe(1);
    expect(outcomes.reduce((n, o) => n + o.conflicts, 0)).toBe(4);
    const winner = (await readFile(join(dir, "race.md"), "utf8")).trim();
    expect(git(dir, "log", "-1", "--format=%an").trim()).toBe(winner);
    assertHealthy(dir);
  });
});

describe("locks", () => {
  it("take over a lock left by a killed process", async () => {
    const dir = join(await tempDir(), "m");
    const memory = await initMemory(dir);
    const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid!;
    await writeFile(join(dir, ".reverie/lock"), JSON.stringify({ pid: dead, host: (await import("node:os")).hostname(), at: "2026-01-01T00:00:00Z", token: "old" }));
    await expect(memory.write("a.md", "a\n", { stamp: false })).resolves.toMatchObject({ op: "create" });
    assertHealthy(dir);
  });

  it("report a live holder after the timeout instead of waiting forever", async () => {
    const dir = join(await tempDir(), "m");
    const { openMemory } = await import("@reverie/core");
    await initMemory(dir);
    const impatient = await openMemory(dir, { lockTimeoutMs: 200 });
    await writeFile(join(dir, ".reverie/lock"), JSON.stringify({ pid: process.pid, host: (await import("node:os")).hostname(), at: "2026-01-01T00:00:00Z", token: "live" }));
    await expect(impatient.write("a.md", "a\n")).rejects.toMatchObject({
      code: "LOCKED",
      message: expect.stringContaining(`locked by process ${process.pid}`),
    });
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it("remove git's own leftover index.lock when no git runs there, with a notice", async () => {
    const dir = join(await tempDir(), "m");
    await initMemory(dir);
    const notices: string[] = [];
    const memory = await openMemory(dir, { onNotice: (line) => notices.push(line) });
    await writeFile(join(dir, ".git/index.lock"), "");
    await expect(memory.write("a.md", "a\n", { stamp: false })).resolves.toMatchObject({ op: "create" });
    expect(notices).toEqual([`reverie: removed index.lock from ${join(dir, ".git")}: left by a git process that is no longer running (a crash or a kill).`]);
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it("leave a git lock alone while a git process runs in the repository, and explain it if it stays", async () => {
    const dir = join(await tempDir(), "m");
    await initMemory(dir);
    // A live git in the folder (waiting on stdin) stands for one a person started by hand.
    const live = spawn("git", ["cat-file", "--batch"], { cwd: dir, stdio: ["pipe", "ignore", "ignore"] });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await writeFile(join(dir, ".git/index.lock"), "");
      expect(await removeStaleGitLocks(dir, join(dir, ".git"), { waitMs: 300 })).toEqual([]);
      expect(await readFile(join(dir, ".git/index.lock"), "utf8")).toBe("");
    } finally {
      live.kill();
      await new Promise((resolve) => live.on("close", resolve));
    }
    expect((await removeStaleGitLocks(dir, join(dir, ".git"), { waitMs: 300 })).map((l) => l.name)).toEqual(["index.lock"]);
  });

  it("explain a git lock that git itself reports (a live git kept it past the wait)", async () => {
    const dir = join(await tempDir(), "m");
    const memory = await initMemory(dir);
    const before = git(dir, "rev-parse", "HEAD");
    // The lock appears after reverie's check, as when a git someone runs by hand takes it.
    await writeFile(join(dir, ".git/index.lock"), "");
    await expect(memory.repo.commitPaths(["README.md"], { subject: "x", trailers: {} })).rejects.toMatchObject({
      code: "LOCKED",
      message: expect.stringContaining(`delete ${join(dir, ".git/index.lock")} and try again`),
    });
    expect(git(dir, "rev-parse", "HEAD")).toBe(before);
  });
});

describe("an unreadable lock", () => {
  it("is waited for while fresh and taken over once it is old", async () => {
    const { utimes } = await import("node:fs/promises");
    const { openMemory } = await import("@reverie/core");
    const dir = join(await tempDir(), "m");
    await initMemory(dir);
    const lock = join(dir, ".reverie/lock");
    await writeFile(lock, "");
    const impatient = await openMemory(dir, { lockTimeoutMs: 300 });
    await expect(impatient.write("a.md", "a\n", { stamp: false })).rejects.toMatchObject({ code: "LOCKED" });
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await expect(impatient.write("a.md", "a\n", { stamp: false })).resolves.toMatchObject({ op: "create" });
    assertHealthy(dir);
  });
});
