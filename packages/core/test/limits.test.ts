import { spawnSync } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { initMemory, LIMITS, memoryToolHandlers, parseNote, type Memory } from "@reverie/core";
import { tempDir } from "@reverie/test-utils";

function git(dir: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}

/** Everything a refused command must leave untouched: files, index, refs. */
function snapshot(dir: string): string {
  return [git(dir, "status", "--porcelain", "--untracked-files=all"), git(dir, "rev-parse", "HEAD"), git(dir, "ls-files", "-s")].join("\n");
}

/** Commits what is in the folder, as a `git pull` of someone else's commit would leave it. */
function pulled(dir: string): void {
  git(dir, "add", "-A");
  git(dir, "-c", "user.name=attacker", "-c", "user.email=a@example.com", "commit", "-qm", "pulled");
}

const keys = (n: number) => `---\n${Array.from({ length: n }, (_, i) => `k${i}: v${i}`).join("\n")}\n---\nbody\n`;
const ALIAS_BOMB = "---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n---\nboom\n";

async function seconds<T>(fn: () => Promise<T>): Promise<{ value: T | unknown; s: number }> {
  const start = performance.now();
  let value: T | unknown;
  try {
    value = await fn();
  } catch (error) {
    value = error;
  }
  return { value, s: (performance.now() - start) / 1000 };
}

let dir: string;
let memory: Memory;

beforeEach(async () => {
  dir = join(await tempDir(), "memory");
  memory = await initMemory(dir);
});

describe("limits on what a pulled folder holds", () => {
  it("a 100,000-key front-matter: list, read, search, doctor and the memory tool answer in under a second with a located error", async () => {
    await writeFile(join(dir, "huge.md"), keys(100_000));
    await writeFile(join(dir, "ok.md"), "Use pnpm, not npm.\n");
    pulled(dir);
    const tool = memoryToolHandlers(memory);
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["list", () => memory.list()],
      ["read", () => memory.read("huge.md")],
      ["search", () => memory.search("pnpm")],
      ["view file", () => tool.view({ command: "view", path: "/memories/huge.md" })],
      ["view folder", () => tool.view({ command: "view", path: "/memories" })],
    ];
    for (const [name, call] of calls) {
      const { s } = await seconds(call);
      expect(s, name).toBeLessThan(1);
    }
    await expect(memory.read("huge.md")).rejects.toMatchObject({ code: "PARSE_ERROR", data: { path: "huge.md", line: 1, reason: "limit", limit: LIMITS.fileBytes } });
    const listed = (await memory.list()).find((e) => e.path === "huge.md")!;
    expect(listed.problem).toMatch(/^huge\.md:1: the file is 1\.\d MiB, over the 1 MiB limit/);
    expect((await memory.search("pnpm")).map((h) => h.path)).toEqual(["ok.md"]);
    const found = await memory.doctor();
    expect(found.filter((d) => d.path === "huge.md").map((d) => [d.code, d.line])).toEqual([["PARSE_ERROR", 1]]);
  });

  it("a front-matter with more keys than the limit is refused at the key that crosses it, before YAML parses it", async () => {
    await writeFile(join(dir, "many.md"), keys(5000));
    await expect(memory.read("many.md")).rejects.toMatchObject({ code: "PARSE_ERROR", data: { line: LIMITS.frontmatterKeys + 2, limit: LIMITS.frontmatterKeys } });
    await writeFile(join(dir, "most.md"), keys(LIMITS.frontmatterKeys));
    expect(Object.keys((await memory.read("most.md")).frontmatter)).toHaveLength(LIMITS.frontmatterKeys);
  });

  it("a front-matter over 64 KiB, or one never closed in a large file, is refused by its size", async () => {
    const big = `---\nnote: "${"x".repeat(LIMITS.frontmatterBytes)}"\n---\nbody\n`;
    await writeFile(join(dir, "big.md"), big);
    await expect(memory.read("big.md")).rejects.toMatchObject({ code: "PARSE_ERROR", data: { line: 2, limit: LIMITS.frontmatterBytes } });
    await writeFile(join(dir, "open.md"), `---\ntitle: x\n${"y\n".repeat(400_000)}`);
    await expect(memory.read("open.md")).rejects.toMatchObject({ code: "PARSE_ERROR", data: { limit: LIMITS.frontmatterBytes } });
  });

  it("a YAML alias bomb is a PARSE_ERROR at the first alias, and doctor goes on to report every bad file", async () => {
    await writeFile(join(dir, "bomb.md"), ALIAS_BOMB);
    await writeFile(join(dir, "deep.md"), `---\na: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n---\n`);
    await writeFile(join(dir, "hidden-deep.md"), `---\na: ${'[!t "]"'.repeat(3000)}\n---\n`);
    await writeFile(join(dir, "broken.md"), "---\ntitle: [unclosed\n---\n");
    await writeFile(join(dir, "dup.md"), "---\ntitle: a\ntags: [x]\ntitle: b\n---\n");
    await writeFile(join(dir, "fine.md"), "---\ntitle: Fine\n---\nok\n");
    pulled(dir);
    await expect(memory.read("bomb.md")).rejects.toMatchObject({ code: "PARSE_ERROR", data: { path: "bomb.md", line: 3, limit: LIMITS.yamlAliases } });
    await expect(memory.read("deep.md")).rejects.toMatchObject({ code: "PARSE_ERROR", data: { line: 2, limit: LIMITS.frontmatterDepth } });
    await expect(memory.read("hidden-deep.md")).rejects.toMatchObject({ code: "PARSE_ERROR", data: { reason: "limit" } });
    await expect(memory.read("dup.md")).rejects.toMatchObject({ code: "PARSE_ERROR", data: { line: 4, reason: "Map keys must be unique" } });
    const found = (await memory.doctor()).filter((d) => d.code === "PARSE_ERROR").map((d) => [d.path, d.line]);
    expect(found).toEqual([
      ["bomb.md", 3],
      ["broken.md", 2],
      ["deep.md", 2],
      ["dup.md", 4],
      ["hidden-deep.md", 2],
    ]);
    expect((await memory.read("fine.md")).title).toBe("Fine");
  });

  it("parsing is linear: a flow map of 6,000 keys and a 1 MB body parse without yaml's quadratic duplicate-key check", () => {
    parseNote("warm.md", "---\ntitle: warm\n---\n");
    const flow = `---\nmap: {${Array.from({ length: 6000 }, (_, i) => `k${i.toString(36)}: 0`).join(", ")}}\n---\n`;
    expect(flow.length).toBeLessThan(LIMITS.frontmatterBytes);
    // Loose bounds on a shared machine: they catch a quadratic step (40,000 keys took 19 s), not a slow one.
    let start = performance.now();
    expect(Object.keys(parseNote("flow.md", flow).frontmatter.map as object)).toHaveLength(6000);
    expect(performance.now() - start).toBeLessThan(2000);
    start = performance.now();
    for (const n of [1024, 64 * 1024, 1000 * 1024]) parseNote("x.md", `---\ntitle: t\n---\n${"word ".repeat(n / 5)}`);
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it("refuses a path or name over the length limits by name and limit, before the file system says ENAMETOOLONG", async () => {
    const before = snapshot(dir);
    await expect(memory.write(`${"n".repeat(300)}.md`, "x\n")).rejects.toMatchObject({ code: "INVALID_PATH", data: { limit: LIMITS.segmentBytes, size: 303 } });
    await expect(memory.write(`${"d/".repeat(600)}x.md`, "x\n")).rejects.toMatchObject({ code: "INVALID_PATH", data: { limit: LIMITS.pathBytes } });
    await expect(memory.write(`${"n".repeat(300)}.md`, "x\n")).rejects.toThrow(/is 303 bytes long, over the 255-byte limit/);
    expect(snapshot(dir)).toBe(before);
  });

  it("refuses to write a file over the size limit, and writes nothing", async () => {
    const before = snapshot(dir);
    await expect(memory.write("big.md", "x".repeat(LIMITS.fileBytes + 1))).rejects.toMatchObject({ code: "INVALID_INPUT", data: { limit: LIMITS.fileBytes, reason: "limit" } });
    expect(snapshot(dir)).toBe(before);
  });
});

describe("a file over the limits can still be removed and renamed, which do not parse it", () => {
  it("through the memory tool and the library", async () => {
    await writeFile(join(dir, "huge.md"), "x".repeat(LIMITS.fileBytes + 1));
    await writeFile(join(dir, "huge2.md"), keys(5000));
    pulled(dir);
    const tool = memoryToolHandlers(memory);
    expect(await tool.delete({ command: "delete", path: "/memories/huge.md" })).toBe("Successfully deleted /memories/huge.md");
    expect((await memory.rename("huge2.md", "old/huge2.md")).to).toBe("old/huge2.md");
    expect(git(dir, "ls-files").split("\n")).toEqual(expect.arrayContaining(["old/huge2.md"]));
    expect(git(dir, "ls-files")).not.toContain("huge.md\n");
  });
});

describe("symbolic links that arrive by git", () => {
  it("a link into .git/ is never read or written through, is listed as a link, and doctor reports it", async () => {
    await symlink(".git/config", join(dir, "gitcfg.md"));
    pulled(dir);
    const config = await readFile(join(dir, ".git/config"), "utf8");
    const before = snapshot(dir);
    const tool = memoryToolHandlers(memory, { agent: "attacker" });
    await expect(memory.read("gitcfg.md")).rejects.toMatchObject({ code: "INVALID_PATH", data: { reason: "symlink" } });
    await expect(tool.view({ command: "view", path: "/memories/gitcfg.md" })).rejects.toMatchObject({ code: "INVALID_PATH" });
    await expect(tool.str_replace({ command: "str_replace", path: "/memories/gitcfg.md", old_str: "[core]", new_str: "x" })).rejects.toMatchObject({ code: "INVALID_PATH" });
    await expect(memory.write("gitcfg.md", "x\n")).rejects.toMatchObject({ code: "INVALID_PATH", data: { reason: "symlink" } });
    await expect(memory.rename("gitcfg.md", "moved.md")).rejects.toMatchObject({ code: "INVALID_PATH" });
    expect(snapshot(dir)).toBe(before);
    expect(await readFile(join(dir, ".git/config"), "utf8")).toBe(config);
    expect((await memory.list()).find((e) => e.path === "gitcfg.md")).toMatchObject({ link: ".git/config", size: 0, problem: "a symbolic link to .git/config, not followed" });
    expect(await tool.view({ command: "view", path: "/memories" })).toContain("/memories/gitcfg.md (symbolic link to .git/config, not followed)");
    expect((await memory.doctor()).filter((d) => d.code === "SYMLINK")).toEqual([
      expect.objectContaining({ severity: "error", path: "gitcfg.md", message: expect.stringContaining("leads into .git/ or .reverie/") }),
    ]);
  });

  it("a linked folder that leaves the memory is shown as a link by ls and view, never entered", async () => {
    const outside = await tempDir();
    await writeFile(join(outside, "secret.md"), "the outside file's first line\n");
    await symlink(outside, join(dir, "linkdir"));
    await mkdir(join(dir, "notes"));
    await writeFile(join(dir, "notes/a.md"), "a\n");
    await symlink("a.md", join(dir, "notes/alias.md"));
    pulled(dir);
    const tool = memoryToolHandlers(memory);
    expect(await memory.list("linkdir")).toEqual([expect.objectContaining({ path: "linkdir", link: outside })]);
    const view = await tool.view({ command: "view", path: "/memories/linkdir" });
    expect(view).toContain(`/memories/linkdir (symbolic link to ${outside}, not followed)`);
    expect(view).not.toContain("secret");
    expect(await tool.view({ command: "view", path: "/memories" })).not.toContain("secret.md");
    // A link that stays inside is read through, but never written through.
    expect((await memory.read("notes/alias.md")).content).toBe("a\n");
    await expect(memory.write("notes/alias.md", "b\n")).rejects.toMatchObject({ code: "INVALID_PATH", data: { reason: "symlink" } });
    expect(await readFile(join(dir, "notes/a.md"), "utf8")).toBe("a\n");
    const links = (await memory.doctor()).filter((d) => d.code === "SYMLINK").map((d) => [d.path, d.severity]);
    expect(links).toEqual([
      ["linkdir", "error"],
      ["notes/alias.md", "warning"],
    ]);
  });
});
