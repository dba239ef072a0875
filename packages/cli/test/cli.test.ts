import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { git, initializedMemory, reverie } from "./support.js";

let base: string;
let dir: string;

beforeEach(async () => {
  ({ base, dir } = await initializedMemory());
});

describe("the quick start", () => {
  it("init, write, read, log and search work as the README shows", () => {
    const write = reverie(["write", "prefs/pm.md", "--agent", "coder-1", "--session", "ses_1", "--dir", dir], { input: "Use pnpm, not npm.\n" });
    expect(write).toMatchObject({ code: 0, stderr: "" });
    expect(write.stdout).toMatch(/^created prefs\/pm\.md \(sha256 [0-9a-f]{12}…, commit [0-9a-f]{7}\)\n$/);

    const read = JSON.parse(reverie(["read", "prefs/pm.md", "--json", "--dir", dir]).stdout);
    expect(read).toMatchObject({ path: "prefs/pm.md", title: "Use pnpm, not npm.", body: "Use pnpm, not npm.\n", mount: "", readOnly: false });
    expect(read.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(read.frontmatter.sources).toEqual([{ session: "ses_1", agent: "coder-1", at: expect.any(String) }]);

    const log = JSON.parse(reverie(["log", "prefs/pm.md", "--json", "--dir", dir]).stdout);
    expect(log).toEqual([
      {
        commit: expect.stringMatching(/^[0-9a-f]{40}$/),
        date: "2026-11-20T10:00:00Z",
        author: "coder-1",
        op: "create",
        agent: "coder-1",
        session: "ses_1",
        subject: "memory: create prefs/pm.md",
        paths: [{ status: "A", path: "prefs/pm.md" }],
      },
    ]);

    const search = JSON.parse(reverie(["search", "pnpm", "--json", "--dir", dir]).stdout);
    expect(search.map((h: { path: string; title: string }) => [h.path, h.title])).toEqual([["prefs/pm.md", "Use pnpm, not npm."]]);
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it("reads the folder from REVERIE_DIR and the agent from REVERIE_AGENT", () => {
    const env = { REVERIE_DIR: dir, REVERIE_AGENT: "env-agent" };
    expect(reverie(["write", "a.md"], { input: "alpha\n", env }).code).toBe(0);
    expect(reverie(["read", "a.md"], { env }).stdout).toContain("alpha\n");
    expect(git(dir, "log", "-1", "--format=%an")).toBe("env-agent\n");
  });

  it("prints the file itself for read, and lists with ls", () => {
    reverie(["write", "notes/b.md", "--raw", "--dir", dir], { input: "# Bee\nbody\n" });
    expect(reverie(["read", "notes/b.md", "--dir", dir]).stdout).toBe("# Bee\nbody\n");
    // The root README.md (and a MEMORY.md index) describe the memory: not listed, still read by name.
    expect(reverie(["ls", "--dir", dir]).stdout).toBe("notes/b.md  Bee\n");
    expect(reverie(["read", "README.md", "--dir", dir]).code).toBe(0);
    expect(reverie(["ls", "nothing", "--dir", dir]).stdout).toBe("No memories under nothing/.\n");
  });
});

describe("exit codes and messages", () => {
  it("exits 2 with CONFLICT when the expected hash is stale, and writes nothing", async () => {
    reverie(["write", "k.md", "--raw", "--dir", dir], { input: "v1\n" });
    const head = git(dir, "rev-parse", "HEAD");
    const stale = "0".repeat(64);
    const run = reverie(["write", "k.md", "--expect-hash", stale, "--dir", dir, "--json"], { input: "v2\n" });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error).toMatchObject({ code: "CONFLICT", data: { path: "k.md", expected: stale } });
    expect(run.stderr).toContain("reverie: k.md has changed: expected hash 0000");
    expect(git(dir, "rev-parse", "HEAD")).toBe(head);
    expect(await readFile(join(dir, "k.md"), "utf8")).toBe("v1\n");
    expect(reverie(["rm", "k.md", "--expect-hash", stale, "--dir", dir]).code).toBe(2);
    expect(reverie(["mv", "k.md", "j.md", "--expect-hash", stale, "--dir", dir]).code).toBe(2);
  });

  it("exits 1 on bad paths, bad hashes and missing folders, saying how to fix it", () => {
    expect(reverie(["write", "../x.md", "--dir", dir], { input: "x" })).toMatchObject({
      code: 1,
      stdout: "",
      stderr: `reverie: Invalid path "../x.md": '..' segments are not allowed. Paths must stay inside the memory folder.\n`,
    });
    expect(reverie(["write", "a.md", "--expect-hash", "abc", "--dir", dir], { input: "x" }).stderr).toContain("--expect-hash \"abc\" is not a sha256");
    const missing = join(base, "nowhere");
    expect(reverie(["ls", "--dir", missing])).toMatchObject({ code: 1, stderr: `reverie: No memory folder at ${missing}. Create one with: reverie init ${missing}\n` });
    expect(reverie(["read", "nope.md", "--dir", dir])).toMatchObject({ code: 1, stderr: "reverie: No memory at nope.md. List what exists with: reverie ls\n" });
    expect(reverie(["write", "a.md", "--file", join(base, "missing.txt"), "--dir", dir])).toMatchObject({ code: 1 });
    expect(reverie(["log", "--limit", "zero", "--dir", dir]).stderr).toContain("--limit must be a whole number of at least 1");
    expect(reverie(["log", "--limit", "0x10", "--dir", dir]).stderr).toContain("--limit must be a whole number of at least 1");
  });

  it("answers a typo with a suggestion, not a stack trace", () => {
    const run = reverie(["serch", "x"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("error: unknown command 'serch'\n(Did you mean search?)\nRun 'reverie --help' for usage.\n");
    const option = reverie(["ls", "--jsn", "--dir", dir]);
    expect(option.code).toBe(1);
    expect(option.stderr).toContain("error: unknown option '--jsn'\n(Did you mean --json?)");
  });

  it("moves and deletes a folder of memories in one commit each, and asks for -r before deleting one", () => {
    for (const name of ["team/a.md", "team/sub/b.md"]) expect(reverie(["write", name, "--raw", "--dir", dir], { input: `${name}\n` }).code).toBe(0);
    expect(reverie(["mv", "team/", "crew", "--dir", dir])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^moved 2 memories from team\/ to crew\/ \(commit [0-9a-f]{7}\)\n$/) });
    expect(reverie(["rm", "crew", "--dir", dir])).toMatchObject({ code: 1, stderr: `reverie: crew/ is a folder of 2 memories. Delete them all, in one commit, with: reverie rm -r crew --dir ${dir}\n` });
    expect(reverie(["mv", "crew", "crew/inner", "--dir", dir])).toMatchObject({ code: 1, stderr: expect.stringContaining("name a new folder outside it") });
    expect(reverie(["rm", "-r", ".", "--dir", dir])).toMatchObject({ code: 1, stderr: 'reverie: "." is the whole memory folder; name a folder inside it.\n' });
    const removed = reverie(["rm", "-r", "crew", "--json", "--dir", dir]);
    expect(removed.code).toBe(0);
    expect((JSON.parse(removed.stdout) as { path: string }[]).map((r) => r.path)).toEqual(["crew/a.md", "crew/sub/b.md"]);
    expect(git(dir, "log", "--format=%s", "-2").trim().split("\n")).toEqual(["memory: delete crew/ (2 files)", "memory: rename team/ (2 files) -> crew/ (2 files)"]);
    expect(git(dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
  });

  it("reports usage errors as JSON on stdout under --json", () => {
    const run = reverie(["ls", "--json", "--bogus", "--dir", dir]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      error: { code: "INVALID_INPUT", message: "unknown option '--bogus'. Run 'reverie --help' for usage.", data: { usage: "commander.unknownOption" } },
    });
    expect(JSON.parse(reverie(["read", "--json", "--dir", dir]).stdout)).toMatchObject({ error: { code: "INVALID_INPUT", data: { usage: "commander.missingArgument" } } });
  });

  it("prints its version", () => {
    expect(reverie(["--version"])).toMatchObject({ code: 0, stdout: "0.1.0\n" });
  });

  it("prints help with no arguments", () => {
    const run = reverie([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: reverie [options] [command]");
  });

  it("refuses to init twice", () => {
    expect(reverie(["init", dir]).stderr).toContain("is already a reverie memory");
  });
});

describe("doctor", () => {
  it("is quiet on a healthy memory and lists every unreadable file with its line", async () => {
    expect(reverie(["doctor", "--dir", dir])).toMatchObject({ code: 0, stdout: `${dir}: no problems found.\n` });
    await mkdir(join(dir, "bad"));
    await writeFile(join(dir, "bad/yaml.md"), "---\ntitle: ok\ntags: [a\n---\nbody\n");
    await writeFile(join(dir, "bad/latin.md"), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    const run = reverie(["doctor", "--dir", dir, "--json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: false, errors: 2, warnings: 2 });
    expect(report.problems.map((p: { severity: string; code: string; path: string; line?: number }) => [p.severity, p.code, p.path, p.line])).toEqual([
      ["error", "INVALID_INPUT", "bad/latin.md", 1],
      ["error", "PARSE_ERROR", "bad/yaml.md", 3],
      ["warning", "UNCOMMITTED", "bad/latin.md", undefined],
      ["warning", "UNCOMMITTED", "bad/yaml.md", undefined],
    ]);
  });
});
