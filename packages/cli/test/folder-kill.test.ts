import { cp, realpath, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { git, leftovers, random, reverie, settle, spawnAndKill } from "./support.js";

const FILES = 50;
/** Kills per case: a few in `pnpm test` (the bench's crash suite kills many more); REVERIE_TEST_KILLS raises it. */
const KILLS = Number(process.env.REVERIE_TEST_KILLS ?? 4);
let template: string;

beforeAll(async () => {
  template = join(await realpath(await tempDir()), "memory");
  expect(reverie(["init", template]).code).toBe(0);
  await mkdir(join(template, "f"));
  for (let i = 0; i < FILES; i++) await writeFile(join(template, "f", `m${i}.md`), `Memory ${i}.\n`);
  git(template, "add", "f");
  git(template, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "fifty");
}, 60_000);

async function copy(): Promise<string> {
  const dir = join(await realpath(await tempDir()), "memory");
  await cp(template, dir, { recursive: true });
  return dir;
}

/** The memory files under `folder/` in HEAD. */
function inHead(dir: string, folder: string): string[] {
  return git(dir, "ls-tree", "-r", "--name-only", "HEAD", "--", `${folder}/`).split("\n").filter(Boolean);
}

/** Every commit since the template: none may leave the folder half-moved or half-deleted. */
function commitsSinceTemplate(dir: string): Array<{ f: number; g: number }> {
  const ids = git(dir, "rev-list", "HEAD~0", "--not", git(template, "rev-parse", "HEAD").trim()).split("\n").filter(Boolean);
  return ids.map((id) => ({
    f: git(dir, "ls-tree", "-r", "--name-only", id, "--", "f/").split("\n").filter(Boolean).length,
    g: git(dir, "ls-tree", "-r", "--name-only", id, "--", "g/").split("\n").filter(Boolean).length,
  }));
}

describe(`kill -9 at random moments of a folder command over ${FILES} files`, () => {
  it(`mv f g: the retry finishes the same move and exits 0; no commit is ever half-moved (${KILLS} kills)`, async () => {
    const seed = Date.now() % 100_000;
    console.log(`kill test (mv) seed ${seed}`);
    const rand = random(seed);
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < KILLS; i++) {
      const dir = await copy();
      await spawnAndKill(["mv", "f", "g", "--dir", dir], "", 400 + Math.floor(rand() * 500), i % 2 === 0);
      await settle();
      const retry = reverie(["mv", "f", "g", "--dir", dir]);
      expect(retry.code, `after kill ${i} (seed ${seed}): ${retry.stderr}`).toBe(0);
      const kind = /already moved/.test(retry.stdout) ? (retry.stderr ? "finished by recovery" : "done before the kill") : "moved by the retry";
      outcomes[kind] = (outcomes[kind] ?? 0) + 1;
      expect(retry.stdout).toMatch(new RegExp(`^(moved ${FILES} memories from f/ to g/|f/ was already moved to g/ \\(${FILES} memories,) `));
      expect(inHead(dir, "f")).toEqual([]);
      expect(inHead(dir, "g")).toHaveLength(FILES);
      expect(commitsSinceTemplate(dir)).toEqual([{ f: 0, g: FILES }]);
      expect(git(dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
      expect(await leftovers(dir)).toEqual([]);
    }
    console.log(`kill test (mv): ${JSON.stringify(outcomes)}`);
  }, 240_000);

  it(`rm -r f: the retry finishes the same delete and exits 0 (${KILLS} kills)`, async () => {
    const seed = Date.now() % 100_000;
    console.log(`kill test (rm -r) seed ${seed}`);
    const rand = random(seed);
    for (let i = 0; i < KILLS; i++) {
      const dir = await copy();
      await spawnAndKill(["rm", "-r", "f", "--dir", dir], "", 330 + Math.floor(rand() * 350), i % 2 === 0);
      await settle();
      const retry = reverie(["rm", "-r", "f", "--dir", dir]);
      expect(retry.code, `after kill ${i} (seed ${seed}): ${retry.stderr}`).toBe(0);
      expect(retry.stdout).toMatch(new RegExp(`^(deleted ${FILES} memories under f/|f/ was already deleted \\(${FILES} memories,) `));
      expect(inHead(dir, "f")).toEqual([]);
      expect(commitsSinceTemplate(dir)).toEqual([{ f: 0, g: 0 }]);
      expect(git(dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
      expect(await leftovers(dir)).toEqual([]);
    }
  }, 240_000);
});

describe("a retried folder command", () => {
  it("that already went through says so and exits 0; one that never could names the folder", async () => {
    const dir = await copy();
    const moved = reverie(["mv", "f", "g", "--dir", dir]);
    expect(moved.code).toBe(0);
    const commit = git(dir, "rev-parse", "--short=7", "HEAD").trim();
    expect(reverie(["mv", "f", "g", "--dir", dir])).toMatchObject({ code: 0, stdout: `f/ was already moved to g/ (${FILES} memories, commit ${commit}); nothing left to do\n` });
    expect(reverie(["mv", "f", "h", "--dir", dir])).toMatchObject({ code: 1, stderr: `reverie: No memories under f/ to move (and f is no memory file: those end in .md). List what exists with: reverie ls --dir ${dir}\n` });
    expect(reverie(["rm", "-r", "g", "--dir", dir]).code).toBe(0);
    const deleted = git(dir, "rev-parse", "--short=7", "HEAD").trim();
    expect(reverie(["rm", "-r", "g", "--dir", dir])).toMatchObject({ code: 0, stdout: `g/ was already deleted (${FILES} memories, commit ${deleted}); nothing left to do\n` });
    expect(reverie(["rm", "-r", "f", "--dir", dir])).toMatchObject({ code: 1, stderr: `reverie: No memories under f/ to delete. List what exists with: reverie ls --dir ${dir}\n` });
    expect(git(dir, "rev-parse", "--short=7", "HEAD").trim()).toBe(deleted);
  }, 60_000);
});
