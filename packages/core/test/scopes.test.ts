import { spawnSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { initMemory, openMemory } from "@reverie/core";
import { tempDir } from "@reverie/test-utils";

function git(dir: string, ...args: string[]): string {
  return spawnSync("git", args, { cwd: dir, encoding: "utf8" }).stdout;
}

let base: string;

async function mounted(access: string): Promise<{ main: string; org: string }> {
  const main = join(base, "main");
  const org = join(base, "org");
  const orgMemory = await initMemory(org);
  await orgMemory.write("policies/deploy.md", "Deploy from the release branch only.\n", { stamp: false, agent: "org-admin" });
  await initMemory(main);
  await writeFile(join(main, ".reverie/config.yaml"), `store: main\nmounts:\n  - path: org\n    dir: ../org\n    access: ${access}\n`);
  return { main, org };
}

beforeEach(async () => {
  base = await tempDir();
});

describe("read_only mounts", () => {
  it("are read, listed and searched under their prefix", async () => {
    const { main } = await mounted("read_only");
    const memory = await openMemory(main);
    expect(await memory.read("org/policies/deploy.md")).toMatchObject({ mount: "org", readOnly: true, body: "Deploy from the release branch only.\n" });
    // A mounted folder's own README is for agents, as the main folder's is: not listed as a memory.
    expect((await memory.list("org")).map((e) => e.path)).toEqual(["org/policies/deploy.md"]);
    // The only memory with both words comes first; the READMEs mention one of them.
    expect((await memory.search("release branch", { limit: 1 })).map((h) => h.path)).toEqual(["org/policies/deploy.md"]);
    await memory.close();
  });

  it("refuse every kind of write with READ_ONLY and leave both folders unchanged", async () => {
    const { main, org } = await mounted("read_only");
    const memory = await openMemory(main);
    const heads = [git(main, "rev-parse", "HEAD"), git(org, "rev-parse", "HEAD")];
    await expect(memory.write("org/new.md", "x\n")).rejects.toMatchObject({ code: "READ_ONLY", data: { path: "org/new.md", mount: "org" } });
    await expect(memory.remove("org/policies/deploy.md")).rejects.toMatchObject({ code: "READ_ONLY" });
    await expect(memory.rename("org/policies/deploy.md", "deploy.md")).rejects.toMatchObject({ code: "READ_ONLY" });
    expect([git(main, "rev-parse", "HEAD"), git(org, "rev-parse", "HEAD")]).toEqual(heads);
    expect(await readFile(join(org, "policies/deploy.md"), "utf8")).toBe("Deploy from the release branch only.\n");
  });
});

describe("read_write mounts", () => {
  it("commit writes in the mount's own repository, attributed", async () => {
    const { main, org } = await mounted("read_write");
    const memory = await openMemory(main, { agent: "coder-1" });
    const before = git(main, "rev-parse", "HEAD");
    await memory.write("org/policies/review.md", "Two reviewers for infra changes.\n", { session: "ses_9" });
    expect(git(main, "rev-parse", "HEAD")).toBe(before);
    expect(git(org, "log", "-1", "--format=%an|%s|%(trailers:only,unfold)")).toBe(
      "coder-1|memory: create policies/review.md|Memory-Op: create\nAgent: coder-1\nSession: ses_9\n\n",
    );
    const [latest] = await memory.history("org/policies/review.md");
    expect(latest).toMatchObject({ op: "create", session: "ses_9", paths: [{ status: "A", path: "org/policies/review.md" }] });
    await expect(memory.rename("org/policies/review.md", "review.md")).rejects.toMatchObject({ code: "INVALID_PATH" });
    await memory.write("local.md", "x\n");
    await expect(memory.removeMany(["local.md", "org/policies/review.md"])).rejects.toMatchObject({
      code: "INVALID_PATH",
      message: expect.stringContaining("Cannot delete local.md and org/policies/review.md in one step: they are in different mounts"),
    });
    expect(await memory.exists("local.md")).toBe(true);
  });
});

describe("config", () => {
  it("names the config line of a bad mount", async () => {
    const main = join(base, "main");
    await initMemory(main);
    await writeFile(join(main, ".reverie/config.yaml"), "store: main\nmounts:\n  - path: org\n    dir: ../org\n    access: sometimes\n");
    await expect(openMemory(main)).rejects.toMatchObject({
      code: "PARSE_ERROR",
      message: `${join(main, ".reverie/config.yaml")}:3: mount access must be read_only or read_write, got "sometimes"`,
    });
  });

  it("explains a read_write mount that is not a repository", async () => {
    const main = join(base, "main");
    await initMemory(main);
    await writeFile(join(main, ".reverie/config.yaml"), "mounts:\n  - { path: shared, dir: ../, access: read_write }\n");
    await expect(openMemory(main)).rejects.toMatchObject({ code: "NOT_A_MEMORY", message: expect.stringContaining("is not the top of a git repository") });
  });
});

describe("identity", () => {
  it("commits with a reverie default when the machine has no git identity, and with the user's own when it has one", async () => {
    const dir = join(base, "m");
    const memory = await initMemory(dir);
    expect(git(dir, "log", "-1", "--format=%an <%ae>|%cn <%ce>")).toBe("reverie <reverie@localhost>|reverie <reverie@localhost>\n");
    git(dir, "config", "user.name", "Ada");
    git(dir, "config", "user.email", "ada@example.com");
    const configured = await openMemory(dir);
    await configured.write("a.md", "a\n", { agent: "coder-1" });
    expect(git(dir, "log", "-1", "--format=%an <%ae>|%cn <%ce>")).toBe("coder-1 <coder-1@agents.reverie.invalid>|Ada <ada@example.com>\n");
    await configured.write("b.md", "b\n", { agent: undefined });
    expect(git(dir, "log", "-1", "--format=%an <%ae>")).toBe("Ada <ada@example.com>\n");
    expect(memory.dir).toBe(dir);
  });
});

describe("which files are memories", () => {
  it("is the same for listing and search: .md in any case, never under node_modules", async () => {
    const dir = join(base, "m");
    const memory = await initMemory(dir);
    await memory.write("Fruit.MD", "kumquat season\n", { stamp: false });
    await mkdir(join(dir, "node_modules/pkg"), { recursive: true });
    await writeFile(join(dir, "node_modules/pkg/readme.md"), "kumquat dependency readme\n");
    expect((await memory.list()).map((e) => e.path)).toEqual(["Fruit.MD"]);
    expect((await memory.search("kumquat")).map((h) => h.path)).toEqual(["Fruit.MD"]);
    await memory.close();
  });
});
