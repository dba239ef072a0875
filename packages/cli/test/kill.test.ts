import { spawn } from "node:child_process";
import { cp, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { initMemory, listMarkdownFiles } from "@reverie/core";
import { dream, readDream } from "@reverie/dream";
import { dreamRecordsDisagreeWithGit, tempDir } from "@reverie/test-utils";
import { BIN, git, leftovers, random, reverie, settle, spawnAndKill } from "./support.js";

const SAMPLE = fileURLToPath(new URL("../../../examples/quickstart/sample/", import.meta.url));
/** Kills per case: a few in `pnpm test` (the bench's crash suite kills many more); REVERIE_TEST_KILLS raises it. */
const KILLS = Number(process.env.REVERIE_TEST_KILLS ?? 4);

describe("kill -9 at random moments", () => {
  it(`of writes: the next command just works, git status is clean, nothing is left (${KILLS} kills)`, async () => {
    const seed = Date.now() % 100_000;
    console.log(`kill test (write) seed ${seed}`);
    const rand = random(seed);
    const dir = join(await tempDir(), "memory");
    await initMemory(dir);
    const recovered: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      const group = i % 2 === 0;
      await spawnAndKill(["write", `notes/k${i}.md`, "--dir", dir, "--raw"], `kill ${i}\n`, 250 + Math.floor(rand() * 600), group);
      await settle();
      const next = reverie(["write", `notes/after${i}.md`, "--dir", dir, "--raw"], { input: `after ${i}\n` });
      expect(next.code, `after kill ${i} (seed ${seed}): ${next.stderr}`).toBe(0);
      recovered.push(...next.stderr.split("\n").filter(Boolean));
      expect(git(dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
      expect(await leftovers(dir)).toEqual([]);
      // Whatever of the killed write reached the folder was committed whole, never torn.
      const killed = await readFile(join(dir, `notes/k${i}.md`), "utf8").catch(() => null);
      if (killed !== null) expect(git(dir, "show", `HEAD:notes/k${i}.md`)).toBe(`kill ${i}\n`);
    }
    expect(git(dir, "fsck", "--no-progress").trim()).toBe("");
    console.log(`kill test (write): ${recovered.length} repairs:\n${recovered.join("\n")}`);
  }, 120_000);

  describe("of adopts", () => {
    let template: string;
    let id: string;

    beforeAll(async () => {
      template = join(await tempDir(), "memory");
      const memory = await initMemory(template);
      for (const path of await listMarkdownFiles(join(SAMPLE, "memory"))) {
        await memory.write(path, await readFile(join(SAMPLE, "memory", path), "utf8"), { stamp: false });
      }
      const run = await dream({ memory: template, sessions: [join(SAMPLE, "sessions")] });
      expect(run.status).toBe("completed");
      id = run.id;
    });

    it(`the next command finishes or undoes the adopt; records agree with git; a retry exits 0 (${KILLS} kills)`, async () => {
      const seed = Date.now() % 100_000;
      console.log(`kill test (adopt) seed ${seed}`);
      const rand = random(seed);
      const outcomes = { finished: 0, notStarted: 0 };
      for (let i = 0; i < KILLS; i++) {
        const dir = join(await tempDir(), "memory");
        await cp(template, dir, { recursive: true });
        const headBefore = git(dir, "rev-parse", "HEAD");
        await spawnAndKill(["dream", "adopt", id, "--dir", dir], "", 400 + Math.floor(rand() * 900), i % 2 === 0);
        await settle();
        const next = reverie(["dream", "list", "--dir", dir]);
        expect(next.code, `after kill ${i} (seed ${seed}): ${next.stderr}`).toBe(0);
        if (next.stderr) console.log(`kill test (adopt) ${i}: ${next.stderr.trim()}`);
        expect(git(dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
        expect(await leftovers(dir)).toEqual([]);
        expect(await dreamRecordsDisagreeWithGit(dir)).toEqual([]);
        const record = await readDream(dir, id);
        const merged = git(dir, "log", "--merges", "--format=%H", `${headBefore.trim()}..HEAD`).trim();
        const branch = git(dir, "branch", "--list", `dream/${id}`).trim();
        if (merged) {
          outcomes.finished++;
          expect(record.adopted?.commit).toBe(merged);
          expect(branch).toBe("");
        } else {
          outcomes.notStarted++;
          expect(record.adopted).toBeNull();
          expect(branch).toBe(`dream/${id}`);
          expect(git(dir, "rev-parse", "HEAD")).toBe(headBefore);
        }
        const retry = reverie(["dream", "adopt", id, "--dir", dir]);
        expect(retry.code, retry.stderr).toBe(0);
        expect(retry.stdout).toMatch(merged ? /was already adopted/ : /^adopted /);
        expect(git(dir, "log", "--merges", "--format=%H", `${headBefore.trim()}..HEAD`).trim().split("\n")).toHaveLength(1);
        expect(await stat(join(dir, ".git", "MERGE_HEAD")).catch(() => null)).toBeNull();
      }
      console.log(`kill test (adopt): ${JSON.stringify(outcomes)}`);
    }, 180_000);
  });

  describe("of dreams", () => {
    let template: string;
    let base: string;
    const sessions = join(SAMPLE, "sessions");

    beforeAll(async () => {
      template = join(await tempDir(), "memory");
      const memory = await initMemory(template);
      for (const path of await listMarkdownFiles(join(SAMPLE, "memory"))) {
        await memory.write(path, await readFile(join(SAMPLE, "memory", path), "utf8"), { stamp: false });
      }
      await memory.close();
      base = git(template, "rev-parse", "HEAD").trim();
    });

    async function copy(): Promise<string> {
      const dir = join(await tempDir(), "memory");
      await cp(template, dir, { recursive: true });
      return dir;
    }

    it("a dream killed while it runs is marked failed by the next command of any kind, which says so", async () => {
      const dir = await copy();
      const child = spawn(process.execPath, [BIN, "dream", "--dir", dir, "--sessions", sessions], { detached: true, stdio: "ignore", env: { ...process.env, REVERIE_DIR: "" } });
      const exited = new Promise((resolve) => child.on("exit", resolve));
      const runs = join(dir, ".reverie", "runs");
      let id = "";
      for (const deadline = Date.now() + 30_000; !id; ) {
        if (Date.now() > deadline) throw new Error("the dream never wrote its record");
        const name = (await readdir(runs).catch(() => [] as string[])).find((n) => n.endsWith(".json"));
        if (name && JSON.parse(await readFile(join(runs, name), "utf8").catch(() => "{}")).status === "running") id = name.slice(0, -5);
        else await new Promise((resolve) => setTimeout(resolve, 5));
      }
      process.kill(-child.pid!, "SIGKILL");
      await exited;
      const next = reverie(["ls", "--dir", dir]);
      expect(next.code).toBe(0);
      expect(next.stderr).toBe(`reverie: marked dream ${id} failed: its process (pid ${child.pid}) was killed before it finished; nothing was adopted, and no branch is left.\n`);
      const record = JSON.parse(await readFile(join(runs, `${id}.json`), "utf8")) as { status: string; runner: unknown; outputs: { branch: string | null } };
      expect([record.status, record.outputs.branch]).toEqual(["failed", null]);
      expect(git(dir, "branch", "--list", "dream/*")).toBe("");
      expect(await dreamRecordsDisagreeWithGit(dir)).toEqual([]);
      expect(await leftovers(dir)).toEqual([]);
      expect(reverie(["ls", "--dir", dir]).stderr).toBe("");
    }, 60_000);

    it(`of dreams, half with --auto-adopt: after the next command the records agree with git, main is as before or adopted whole (${KILLS} kills)`, async () => {
      const seed = Date.now() % 100_000;
      console.log(`kill test (dream) seed ${seed}`);
      const rand = random(seed);
      for (let i = 0; i < KILLS; i++) {
        const dir = await copy();
        const auto = i % 4 >= 2;
        await spawnAndKill(["dream", "--dir", dir, "--sessions", sessions, ...(auto ? ["--auto-adopt"] : [])], "", 300 + Math.floor(rand() * 3000), i % 2 === 0);
        await settle();
        const next = reverie(["ls", "--dir", dir]);
        expect(next.code, `after kill ${i} (seed ${seed}): ${next.stderr}`).toBe(0);
        if (next.stderr) console.log(`kill test (dream) ${i}: ${next.stderr.trim()}`);
        expect(git(dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
        expect(await leftovers(dir)).toEqual([]);
        expect(await dreamRecordsDisagreeWithGit(dir), `after kill ${i} (seed ${seed})`).toEqual([]);
        const head = git(dir, "rev-parse", "HEAD").trim();
        if (head !== base) expect(git(dir, "rev-list", "--parents", "-n", "1", head).trim().split(" ").slice(1, 2)).toEqual([base]);
      }
    }, 240_000);
  });
});
