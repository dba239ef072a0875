import { symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { git, initializedMemory, reverie } from "./support.js";

const ALIAS_BOMB = "---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n---\nboom\n";

describe("a pulled folder over the limits, through the CLI", () => {
  it("read, ls and doctor give located errors and exit 1, never 'This is a bug' and exit 3", async () => {
    const { dir } = await initializedMemory();
    await writeFile(join(dir, "huge.md"), `---\n${Array.from({ length: 100_000 }, (_, i) => `k${i}: v`).join("\n")}\n---\nbody\n`);
    await writeFile(join(dir, "bomb.md"), ALIAS_BOMB);
    await writeFile(join(dir, "ok.md"), "Use pnpm.\n");
    await symlink(".git/config", join(dir, "gitcfg.md"));
    git(dir, "add", "-A");
    git(dir, "-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "-qm", "pulled");
    const read = reverie(["--dir", dir, "read", "bomb.md"]);
    expect([read.code, read.stderr]).toEqual([1, expect.stringMatching(/^reverie: bomb\.md:3: front-matter expands YAML aliases \(\*name\) more than 100 times/)]);
    const huge = reverie(["--dir", dir, "read", "huge.md"]);
    expect([huge.code, huge.stderr]).toEqual([1, expect.stringMatching(/^reverie: huge\.md:2: front-matter is \d+(\.\d)? KiB, over the 64 KiB limit/)]);
    const link = reverie(["--dir", dir, "read", "gitcfg.md"]);
    expect([link.code, link.stdout, link.stderr]).toEqual([1, "", expect.stringContaining("symbolic link that leads into")]);
    const ls = reverie(["--dir", dir, "ls"]);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^bomb\.md +\(unreadable: line 3: front-matter expands YAML aliases/m);
    expect(ls.stdout).toMatch(/^gitcfg\.md +\(symbolic link to \.git\/config, not followed\)$/m);
    expect(ls.stdout).toMatch(/^huge\.md +\(unreadable: line 2: front-matter is/m);
    expect(ls.stdout).toMatch(/^ok\.md +Use pnpm\.$/m);
    const doctor = reverie(["--dir", dir, "doctor", "--json"]);
    expect(doctor.code).toBe(1);
    const { problems } = JSON.parse(doctor.stdout) as { problems: Array<{ code: string; path?: string }> };
    expect(problems.filter((d) => d.path !== undefined && ["PARSE_ERROR", "SYMLINK"].includes(d.code)).map((d) => [d.code, d.path])).toEqual([
      ["SYMLINK", "gitcfg.md"],
      ["PARSE_ERROR", "bomb.md"],
      ["PARSE_ERROR", "huge.md"],
    ]);
  });

  it("a name too long is refused naming the limit, exit 1, nothing written", async () => {
    const { dir } = await initializedMemory();
    const head = git(dir, "rev-parse", "HEAD");
    const name = `${"n".repeat(300)}.md`;
    const run = reverie(["--dir", dir, "write", name], "x\n");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("is 303 bytes long, over the 255-byte limit for a file or folder name");
    const deep = reverie(["--dir", dir, "write", `${"d".repeat(200)}/`.repeat(6) + "x.md"], "x\n");
    expect([deep.code, deep.stderr]).toEqual([1, expect.stringContaining("over the 1024-byte limit for a memory path")]);
    expect(git(dir, "rev-parse", "HEAD")).toBe(head);
    expect(git(dir, "status", "--porcelain")).toBe("");
  });
});
