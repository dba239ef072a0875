import { spawnSync } from "node:child_process";
import { chmod, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { contentHash, initMemory, openMemory, type Memory } from "@reverie/core";
import { tempDir } from "@reverie/test-utils";

const CLOCK = () => new Date("2026-11-21T08:02:00Z");

function git(dir: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}

/** Everything a failed command must leave untouched: files, index, refs. */
function snapshot(dir: string): string {
  return [git(dir, "status", "--porcelain", "--untracked-files=all"), git(dir, "rev-parse", "HEAD"), git(dir, "ls-files", "-s")].join("\n");
}

let dir: string;
let memory: Memory;

beforeEach(async () => {
  dir = join(await tempDir(), "memory");
  memory = await initMemory(dir, { clock: CLOCK });
});

describe("initMemory", () => {
  it("creates a git repository with the template committed and a clean work tree", async () => {
    expect(git(dir, "log", "--format=%s|%(trailers:only,unfold)", "-1").trim()).toBe("memory: init|Memory-Op: init");
    expect(git(dir, "ls-files").trim().split("\n")).toEqual([".gitattributes", ".gitignore", ".reverie/config.yaml", "README.md"]);
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(git(dir, "branch", "--show-current").trim()).toBe("main");
  });

  it("writes an installed template's top-level gitignore as .gitignore (npm leaves .gitignore out of packages)", async () => {
    const base = await tempDir();
    const template = join(base, "template");
    await mkdir(join(template, ".reverie"), { recursive: true });
    await mkdir(join(template, "sub"));
    await writeFile(join(template, ".reverie/config.yaml"), "version: 1\n");
    await writeFile(join(template, "gitignore"), ".reverie/cache/\n");
    await writeFile(join(template, "sub/gitignore"), "kept as named\n");
    const made = join(base, "memory");
    await initMemory(made, { template });
    expect(git(made, "ls-files").trim().split("\n")).toEqual([".gitattributes", ".gitignore", ".reverie/config.yaml", "sub/gitignore"]);
    expect(await readFile(join(made, ".gitignore"), "utf8")).toBe(".reverie/cache/\n");
  });

  it("adopts a folder that holds files in place: one first commit with every file as it is, no README added, its .gitignore untouched", async () => {
    const folder = join(await tempDir(), "auto-memory");
    await mkdir(join(folder, "topics"), { recursive: true });
    const files: Record<string, string> = {
      "MEMORY.md": "- [Debugging](debugging.md) — how to debug\r\n",
      "debugging.md": "---\nname: Debugging\ndescription: how to debug\ntype: feedback\n---\nRun with DEBUG=1.\n",
      "topics/api.md": "No front-matter, trailing spaces   \n\n",
      ".gitignore": "scratch/\n",
      "scratch/tmp.md": "ignored by the folder's own .gitignore\n",
    };
    await mkdir(join(folder, "scratch"));
    for (const [path, text] of Object.entries(files)) await writeFile(join(folder, path), text);
    const adopted = await initMemory(folder, { clock: CLOCK });
    expect(git(folder, "log", "--format=%s|%(trailers:only,unfold)").trim()).toBe("memory: init, adopting 4 files as they are|Memory-Op: init");
    expect(git(folder, "ls-files").trim().split("\n")).toEqual([".gitattributes", ".gitignore", ".reverie/.gitignore", ".reverie/config.yaml", "MEMORY.md", "debugging.md", "topics/api.md"]);
    for (const [path, text] of Object.entries(files)) expect(await readFile(join(folder, path), "utf8")).toBe(text);
    expect(git(folder, "show", "HEAD:topics/api.md")).toBe(files["topics/api.md"]);
    await writeFile(join(folder, ".reverie/cache/probe"), "x").catch(async () => {
      await mkdir(join(folder, ".reverie/cache"), { recursive: true });
      await writeFile(join(folder, ".reverie/cache/probe"), "x");
    });
    expect(git(folder, "status", "--porcelain", "--untracked-files=all")).toBe("");
    expect((await adopted.read("topics/api.md")).body).toBe(files["topics/api.md"]);
  });

  it("refuses a folder that already is a memory", async () => {
    await expect(initMemory(dir)).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
  });
});

describe("openMemory", () => {
  it("explains a missing folder, a plain folder and a repository without config", async () => {
    const base = await tempDir();
    await expect(openMemory(join(base, "nope"))).rejects.toMatchObject({
      code: "NOT_A_MEMORY",
      message: `No memory folder at ${join(base, "nope")}. Create one with: reverie init ${join(base, "nope")}`,
    });
    await expect(openMemory(base)).rejects.toMatchObject({ code: "NOT_A_MEMORY", message: expect.stringContaining("not a git repository") });
    git(base, "init", "-q");
    await expect(openMemory(base)).rejects.toMatchObject({ code: "NOT_A_MEMORY", message: expect.stringContaining("no .reverie/config.yaml") });
  });
});

describe("write", () => {
  it("stamps provenance and records one attributed commit", async () => {
    const result = await memory.write("prefs/pm.md", "Use pnpm, not npm.\n", { agent: "coder-1", session: "ses_1" });
    const text = await readFile(join(dir, "prefs/pm.md"), "utf8");
    expect(result).toEqual({ path: "prefs/pm.md", op: "create", sha256: contentHash(text), previousSha256: null, commit: git(dir, "rev-parse", "HEAD").trim() });
    expect(text).toMatch(
      /^---\nid: mem_[0-9A-HJKMNP-TV-Z]{26}\ncreated: 2026-11-21T08:02:00Z\nupdated: 2026-11-21T08:02:00Z\nsources:\n {2}- \{ session: ses_1, agent: coder-1, at: 2026-11-21T08:02:00Z \}\n---\nUse pnpm, not npm\.\n$/,
    );
    expect(git(dir, "log", "-1", "--format=%an <%ae>%n%B")).toBe(
      "coder-1 <coder-1@agents.reverie.invalid>\nmemory: create prefs/pm.md\n\nMemory-Op: create\nAgent: coder-1\nSession: ses_1\n\n",
    );
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it("keeps the id and other people's keys when the memory is rewritten", async () => {
    await memory.write("a.md", "---\nx-team: \"platform\"   # theirs\ntitle: A\n---\nold\n", { agent: "a" });
    const first = await memory.read("a.md");
    await memory.write("a.md", "new body\n", { agent: "b", session: "ses_2" });
    const second = await memory.read("a.md");
    expect(second.frontmatter.id).toBe(first.frontmatter.id);
    expect(second.content).toContain('x-team: "platform"   # theirs\n');
    expect(second.body).toBe("new body\n");
    expect(second.frontmatter.sources).toEqual([
      { agent: "a", at: "2026-11-21T08:02:00Z" },
      { session: "ses_2", agent: "b", at: "2026-11-21T08:02:00Z" },
    ]);
  });

  it("writes the exact bytes when stamping is off, and reports an unchanged rewrite without a commit", async () => {
    const first = await memory.write("raw.md", "exact\n", { stamp: false });
    expect(await readFile(join(dir, "raw.md"), "utf8")).toBe("exact\n");
    const head = git(dir, "rev-parse", "HEAD");
    expect(await memory.write("raw.md", "exact\n", { stamp: false })).toEqual({
      path: "raw.md",
      op: "unchanged",
      sha256: first.sha256,
      previousSha256: first.sha256,
      commit: null,
    });
    expect(git(dir, "rev-parse", "HEAD")).toBe(head);
  });

  it("commits a file that was on disk but never committed when it is rewritten", async () => {
    await writeFile(join(dir, "by-hand.md"), "typed by a person\n");
    const result = await memory.write("by-hand.md", "rewritten\n", { stamp: false, agent: "coder-1" });
    expect(result).toMatchObject({ op: "update", commit: git(dir, "rev-parse", "HEAD").trim() });
    expect(git(dir, "show", "HEAD:by-hand.md")).toBe("rewritten\n");
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it.each([":(exclude)x.md", "*.md", "a[1].md", "what?.md"])("treats %j as a file name, never as a git pathspec, and commits only it", async (path) => {
    await memory.write("other.md", "v1\n", { stamp: false });
    await writeFile(join(dir, "other.md"), "edited by hand\n");
    await writeFile(join(dir, "untracked.md"), "new by hand\n");
    await memory.write(path, "x\n", { stamp: false });
    expect(git(dir, "show", "--name-only", "--format=", "HEAD")).toBe(`${path}\n`);
    expect(git(dir, "status", "--porcelain")).toBe(" M other.md\n?? untracked.md\n");
    expect((await memory.history(path)).map((h) => h.op)).toEqual(["create"]);
  });

  it("refuses a stale expected hash with CONFLICT and writes nothing", async () => {
    const { sha256 } = await memory.write("k.md", "v1\n", { stamp: false });
    await memory.write("k.md", "v2\n", { stamp: false, expectHash: sha256 });
    const before = snapshot(dir);
    const current = contentHash("v2\n");
    await expect(memory.write("k.md", "v3\n", { expectHash: sha256 })).rejects.toMatchObject({
      code: "CONFLICT",
      data: { path: "k.md", expected: sha256, current },
      message: expect.stringContaining(`its current hash is ${current}`),
    });
    await expect(memory.write("k.md", "v3\n", { expectHash: null })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(memory.write("k.md", "v3\n", { expectHash: "ABC" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect(snapshot(dir)).toBe(before);
    expect(await readFile(join(dir, "k.md"), "utf8")).toBe("v2\n");
  });

  it("refuses malformed front-matter before anything lands", async () => {
    const before = snapshot(dir);
    await expect(memory.write("bad.md", "---\ntitle: [oops\n---\n")).rejects.toMatchObject({ code: "PARSE_ERROR", data: { path: "bad.md", line: 2 } });
    expect(snapshot(dir)).toBe(before);
  });

  it("puts the file back when a hook refuses the commit", async () => {
    await memory.write("keep.md", "original\n", { stamp: false });
    await writeFile(join(dir, ".git/hooks/pre-commit"), "#!/bin/sh\necho 'policy says no' >&2\nexit 1\n");
    await chmod(join(dir, ".git/hooks/pre-commit"), 0o755);
    const before = snapshot(dir);
    await expect(memory.write("keep.md", "changed\n", { stamp: false })).rejects.toMatchObject({
      code: "GIT_FAILED",
      data: expect.objectContaining({ refused: true }),
      message: expect.stringContaining("git commit was refused in"),
    });
    await expect(memory.write("fresh.md", "new\n", { stamp: false })).rejects.toMatchObject({ code: "GIT_FAILED" });
    expect(snapshot(dir)).toBe(before);
    expect(await readFile(join(dir, "keep.md"), "utf8")).toBe("original\n");
  });
});

describe("paths", () => {
  it.each([
    ["../escape.md", "'..' segments are not allowed"],
    ["a/../../b.md", "'..' segments are not allowed"],
    ["/etc/passwd.md", "absolute paths are not allowed"],
    ["a\u0000b.md", "NUL or control character"],
    ["a\nb.md", "NUL or control character"],
    [".git/config.md", ".git/ is reserved"],
    [".GIT/config.md", ".GIT/ is reserved"],
    ["notes.txt", "end in .md"],
    ["", "it is empty"],
  ])("refuses %j", async (path, why) => {
    const before = snapshot(dir);
    await expect(memory.write(path, "x\n")).rejects.toMatchObject({ code: "INVALID_PATH", message: expect.stringContaining(why) });
    expect(snapshot(dir)).toBe(before);
  });

  it("refuses to follow a symlink out of the folder, for writes and reads", async () => {
    const outside = await tempDir();
    await writeFile(join(outside, "secret.md"), "secret\n");
    await symlink(outside, join(dir, "linked"));
    await symlink(join(outside, "secret.md"), join(dir, "leak.md"));
    await expect(memory.write("linked/x.md", "x\n")).rejects.toMatchObject({ code: "INVALID_PATH", message: expect.stringContaining("symbolic link") });
    await expect(memory.read("leak.md")).rejects.toMatchObject({ code: "INVALID_PATH" });
    await expect(memory.read("linked/secret.md")).rejects.toMatchObject({ code: "INVALID_PATH" });
  });

  it("refuses to read a file that is not UTF-8, naming its line", async () => {
    await writeFile(join(dir, "latin.md"), Buffer.from([0x6f, 0x6b, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]));
    await expect(memory.read("latin.md")).rejects.toMatchObject({ code: "INVALID_INPUT", data: { path: "latin.md", line: 2, offset: 6 } });
  });
});

describe("remove and rename", () => {
  it("commits each with its Memory-Op and keeps history across the rename", async () => {
    const { sha256 } = await memory.write("a.md", "alpha\n", { agent: "coder-1", session: "ses_1" });
    await memory.rename("a.md", "topics/a.md", { agent: "coder-1", expectHash: sha256 });
    await memory.remove("topics/a.md", { agent: "coder-2", session: "ses_2" });
    expect(git(dir, "log", "--format=%(trailers:key=Memory-Op,valueonly)", "-3").trim().split(/\n+/)).toEqual(["delete", "rename", "create"]);
    expect(git(dir, "status", "--porcelain")).toBe("");
    await expect(memory.read("topics/a.md")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses to overwrite by rename and to remove what is not there", async () => {
    await memory.write("a.md", "a\n");
    await memory.write("b.md", "b\n");
    const before = snapshot(dir);
    await expect(memory.rename("a.md", "b.md")).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    await expect(memory.remove("missing.md")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(memory.remove("a.md", { expectHash: contentHash("stale") })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(snapshot(dir)).toBe(before);
  });

  it("removeMany and renameMany change several files in one commit, or nothing", async () => {
    for (const name of ["x/a.md", "x/b.md", "y.md"]) await memory.write(name, `${name}\n`, { stamp: false });
    const before = snapshot(dir);
    await expect(memory.removeMany(["x/a.md", "missing.md"])).rejects.toMatchObject({ code: "NOT_FOUND", data: { path: "missing.md" } });
    await expect(memory.renameMany([{ from: "x/a.md", to: "z.md" }, { from: "x/b.md", to: "z.md" }])).rejects.toMatchObject({ code: "INVALID_PATH", message: "Two files would move to z.md." });
    await expect(memory.renameMany([{ from: "x/a.md", to: "w/a.md" }, { from: "x/b.md", to: "y.md" }])).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    expect(snapshot(dir)).toBe(before);
    expect(await memory.removeMany([])).toEqual([]);

    const moved = await memory.renameMany([{ from: "x/a.md", to: "w/a.md" }, { from: "x/b.md", to: "w/b.md" }], { agent: "coder-1" });
    expect(moved.map((m) => [m.from, m.to, m.commit])).toEqual([["x/a.md", "w/a.md", moved[0]!.commit], ["x/b.md", "w/b.md", moved[0]!.commit]]);
    const removed = await memory.removeMany(["w/a.md", "y.md"], { agent: "coder-1" });
    expect(removed.map((r) => r.path)).toEqual(["w/a.md", "y.md"]);
    expect(git(dir, "log", "--format=%s|%an", "-2").trim().split("\n")).toEqual(["memory: delete 2 files|coder-1", "memory: rename x/ (2 files) -> w/ (2 files)|coder-1"]);
    expect((await memory.list()).map((e) => e.path)).toEqual(["README.md", "w/b.md"]);
  });

  it("leaves no empty folder behind a delete or a move, and keeps folders that still hold something", async () => {
    for (const name of ["a/b/c/one.md", "a/two.md", "x/y/three.md"]) await memory.write(name, `${name}\n`, { stamp: false });
    await memory.remove("a/b/c/one.md");
    await memory.rename("x/y/three.md", "z/three.md");
    expect(spawnSync("find", [".", "-path", "./.git", "-prune", "-o", "-type", "d", "-print"], { cwd: dir, encoding: "utf8" }).stdout.split("\n").sort().filter(Boolean)).toEqual([".", "./.reverie", "./.reverie/journal", "./.reverie/tmp", "./a", "./z"]);
  });

  it("removes the folders it made when a hook refuses a new file's commit", async () => {
    await writeFile(join(dir, ".git/hooks/pre-commit"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    await mkdir(join(dir, "kept"));
    await expect(memory.write("kept/new/deeper/x.md", "x\n")).rejects.toMatchObject({ code: "GIT_FAILED" });
    expect(spawnSync("find", ["kept"], { cwd: dir, encoding: "utf8" }).stdout).toBe("kept\n");
  });
});

describe("history", () => {
  it("answers who wrote a memory, when, and in which session", async () => {
    await memory.write("p.md", "one\n", { agent: "coder-1", session: "ses_1" });
    await memory.write("p.md", "two\n", { agent: "coder-2", session: "ses_2" });
    await memory.rename("p.md", "q.md", { agent: "coder-2" });
    const history = await memory.history("q.md");
    expect(history.map(({ op, agent, session, author, date, paths }) => ({ op, agent, session, author, date, paths }))).toEqual([
      { op: "rename", agent: "coder-2", session: undefined, author: "coder-2", date: "2026-11-20T10:00:00Z", paths: [{ status: "R", from: "p.md", path: "q.md" }] },
      { op: "update", agent: "coder-2", session: "ses_2", author: "coder-2", date: "2026-11-20T10:00:00Z", paths: [{ status: "M", path: "p.md" }] },
      { op: "create", agent: "coder-1", session: "ses_1", author: "coder-1", date: "2026-11-20T10:00:00Z", paths: [{ status: "A", path: "p.md" }] },
    ]);
  });
});

describe("list", () => {
  it("lists memories with titles, and still lists a file it cannot parse", async () => {
    await memory.write("prefs/pm.md", "---\ntitle: Use pnpm\ntype: preference\nkey: js.pm\n---\nbody\n", { stamp: false });
    await memory.write("prefs/editor.md", "# Editor\nvim\n", { stamp: false });
    await mkdir(join(dir, "broken"));
    await writeFile(join(dir, "broken/x.md"), "---\ntitle: [\n---\n");
    const entries = await memory.list();
    expect(entries.map(({ path, title, type, key, problem }) => ({ path, title, type, key, problem: problem?.split(":").slice(0, 2).join(":") }))).toEqual([
      { path: "README.md", title: "Memory", type: undefined, key: undefined, problem: undefined },
      { path: "broken/x.md", title: "x", type: undefined, key: undefined, problem: "broken/x.md:2" },
      { path: "prefs/editor.md", title: "Editor", type: undefined, key: undefined, problem: undefined },
      { path: "prefs/pm.md", title: "Use pnpm", type: "preference", key: "js.pm", problem: undefined },
    ]);
    expect((await memory.list("prefs")).map((e) => e.path)).toEqual(["prefs/editor.md", "prefs/pm.md"]);
    expect((await memory.list("prefs/pm.md")).map((e) => e.path)).toEqual(["prefs/pm.md"]);
    expect(await memory.list("nowhere")).toEqual([]);
  });

  it("reads a prefix like any path: the root in any spelling, never outside the folder", async () => {
    await memory.write("prefs/pm.md", "pnpm\n", { stamp: false });
    // A sibling folder of the memory, with a memory-looking file in it.
    await mkdir(join(dir, "..", "outside"));
    await writeFile(join(dir, "..", "outside", "secret.md"), "secret\n");
    for (const root of ["", ".", "/", "./"]) expect((await memory.list(root)).map((e) => e.path)).toEqual(["README.md", "prefs/pm.md"]);
    expect((await memory.list("/prefs/")).map((e) => e.path)).toEqual(["prefs/pm.md"]);
    await expect(memory.list("../outside")).rejects.toMatchObject({ code: "INVALID_PATH", message: expect.stringContaining("'..' segments are not allowed") });
  });
});

describe("a live memory (long-lived processes)", () => {
  it("searches one open index that catches up with other processes' commits, and a plain memory does not", async () => {
    const live = await openMemory(dir, { live: true, clock: CLOCK });
    const plain = await openMemory(dir, { clock: CLOCK });
    try {
      await live.write("infra/port.md", "# API port\nThe API listens on 8080.\n");
      await plain.search("anything");
      expect((await live.search("8080")).map((h) => h.path)).toEqual(["infra/port.md"]);
      const other = await openMemory(dir, { agent: "other" });
      await other.write("ops/deploy.md", "# Deploy\nDeploy from the zanzibar branch.\n");
      await other.close();
      await writeFile(join(dir, "by-git.md"), "# Rollback\nRoll back with the quokka tag.\n");
      git(dir, "add", "by-git.md");
      git(dir, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "by hand");
      expect((await live.search("zanzibar")).map((h) => h.path)).toEqual(["ops/deploy.md"]);
      expect((await live.search("quokka")).map((h) => h.path)).toEqual(["by-git.md"]);
      // The plain memory's index is as of its open: it has not seen the other writers.
      expect(await plain.search("zanzibar")).toEqual([]);
      git(dir, "rm", "-q", "by-git.md");
      git(dir, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "by hand");
      expect(await live.search("quokka")).toEqual([]);
    } finally {
      await live.close();
      await plain.close();
    }
  });
});
