import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { git, initializedMemory, reverie } from "./support.js";

/** Every refused write: exit 1, one message naming the problem and the fix, and no commit. */
function expectRefused(dir: string, args: string[], input: string, message: RegExp): void {
  const head = git(dir, "rev-parse", "HEAD");
  const run = reverie(["write", ...args, "--dir", dir], input);
  expect(run.stderr).toMatch(message);
  expect(run.code).toBe(1);
  expect(git(dir, "rev-parse", "HEAD")).toBe(head);
  expect(git(dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
}

describe("write refuses what would make a broken memory, and says how to fix it", () => {
  it("replaces a memory whose front-matter was broken by hand with --force-parse, keeping its id", async () => {
    const { dir } = await initializedMemory();
    expect(reverie(["write", "prefs/pm.md", "--dir", dir], "Use pnpm.\n").code).toBe(0);
    const id = /^id: (\S+)$/m.exec(await readFile(join(dir, "prefs/pm.md"), "utf8"))![1]!;
    const broken = (await readFile(join(dir, "prefs/pm.md"), "utf8")).replace("updated:", "updated: [oops");
    await writeFile(join(dir, "prefs/pm.md"), broken);
    git(dir, "-c", "user.name=p", "-c", "user.email=p@x", "commit", "-qam", "hand edit");
    for (const raw of [[], ["--raw"]]) {
      expectRefused(dir, ["prefs/pm.md", ...raw], "Use pnpm, not npm.\n", /prefs\/pm\.md:\d+: front-matter is not valid YAML.*replace the whole file with the new content: reverie write prefs\/pm\.md --force-parse/);
    }
    const forced = reverie(["write", "prefs/pm.md", "--force-parse", "--dir", dir], "Use pnpm, not npm.\n");
    expect(forced.stderr).toBe("");
    expect(forced.code).toBe(0);
    const text = await readFile(join(dir, "prefs/pm.md"), "utf8");
    expect(text).toMatch(new RegExp(`^---\\nid: ${id}\\n`));
    expect(text.endsWith("---\nUse pnpm, not npm.\n")).toBe(true);
    expect(reverie(["doctor", "--dir", dir]).code).toBe(0);
  });

  it("refuses a second memory with an id another one has", async () => {
    const { dir } = await initializedMemory();
    expect(reverie(["write", "a.md", "--dir", dir], "---\nid: mem_same\n---\nA\n").code).toBe(0);
    expectRefused(dir, ["b.md"], "---\nid: mem_same\n---\nB\n", /^reverie: Cannot write b\.md: its id mem_same is already the id of a\.md; ids must be unique\. Nothing was written\. Remove the id line/);
    expectRefused(dir, ["b.md", "--raw"], "---\nid: mem_same\n---\nB\n", /its id mem_same is already the id of a\.md/);
    // Rewriting a.md itself with its own id is fine.
    expect(reverie(["write", "a.md", "--dir", dir], "---\nid: mem_same\n---\nA again\n").code).toBe(0);
  });

  it("refuses a type the config does not list, and doctor reports one written by hand", async () => {
    const { dir } = await initializedMemory();
    expectRefused(dir, ["fruit.md"], "---\ntype: banana\n---\nYellow.\n", /^reverie: Cannot write fruit\.md: type "banana" is not a memory type of this memory \(fact, preference, playbook, lesson, note, workflow\)\. Nothing was written\. Use one of those, or add it to 'types' in \.reverie\/config\.yaml\./);
    expect(reverie(["write", "fruit.md", "--dir", dir], "---\ntype: fact\n---\nYellow.\n").code).toBe(0);
    await writeFile(join(dir, "hand.md"), "---\ntype: banana\n---\nYellow.\n");
    const doctor = reverie(["doctor", "--dir", dir]);
    expect(doctor.stdout).toContain(`hand.md: 'type' is "banana", not a memory type of this memory (fact, preference, playbook, lesson, note, workflow); use one of those, or add it to 'types' in .reverie/config.yaml.`);
    expect(doctor.code).toBe(1);
    // Listed in the config, it is a type like any other.
    const config = join(dir, ".reverie/config.yaml");
    await writeFile(config, (await readFile(config, "utf8")).replace("types: [fact,", "types: [banana, fact,"));
    git(dir, "add", "-A");
    git(dir, "-c", "user.name=p", "-c", "user.email=p@x", "commit", "-qm", "types");
    expect(reverie(["write", "more.md", "--dir", dir], "---\ntype: banana\n---\nRipe.\n").code).toBe(0);
    expect(reverie(["doctor", "--dir", dir]).stdout).not.toContain("banana");
  });

  it("refuses NUL bytes", async () => {
    const { dir } = await initializedMemory();
    expectRefused(dir, ["bin.md"], "line one\nab\u0000cd\n", /^reverie: Cannot write bin\.md: the content has a NUL byte \(line 2\), which would make git treat the memory as a binary file\. Nothing was written\./);
  });

  it("refuses an empty memory unless --allow-empty", async () => {
    const { dir } = await initializedMemory();
    expectRefused(dir, ["e.md"], "", /^reverie: Cannot write e\.md: the memory has no text after its front-matter\. Nothing was written\. Give its content \(e\.g\. echo "Use pnpm, not npm\." \| reverie write e\.md\); to delete a memory use reverie rm e\.md; to keep an empty one on purpose pass --allow-empty\./);
    expectRefused(dir, ["e.md", "--raw"], "  \n", /Cannot write e\.md: the memory has no text\. Nothing was written/);
    expectRefused(dir, ["e.md", "--raw"], "---\ntitle: x\n---\n  \n", /Cannot write e\.md: the memory has no text after its front-matter/);
    const allowed = reverie(["write", "e.md", "--allow-empty", "--dir", dir], "");
    expect(allowed.code).toBe(0);
    expect(await readFile(join(dir, "e.md"), "utf8")).toMatch(/^---\nid: mem_\w+\ncreated: .*\nupdated: .*\n---\n$/);
  });

  it("refuses a path that differs only in case from a file or folder already there", async () => {
    const { dir } = await initializedMemory();
    expect(reverie(["write", "prefs/pm.md", "--dir", dir], "Use pnpm.\n").code).toBe(0);
    expectRefused(dir, ["PREFS/PM.md"], "Use npm.\n", /^reverie: Cannot create PREFS\/PM\.md: prefs already exists and differs only in letter case; on macOS and Windows disks they are the same folder, so a clone there would lose one\. Nothing was written\. Use prefs\/PM\.md, or another name\./);
    expectRefused(dir, ["prefs/PM.md"], "Use npm.\n", /Cannot create prefs\/PM\.md: prefs\/pm\.md already exists and differs only in letter case; .* same file.* Use prefs\/pm\.md, or another name\./);
    expect(reverie(["write", "prefs/other.md", "--dir", dir], "Other.\n").code).toBe(0);
  });

  it("writes a:b.md: a colon is part of a file name, not a drive", async () => {
    const { dir } = await initializedMemory();
    const run = reverie(["write", "a:b.md", "--dir", dir], "Colons are fine.\n");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(await readFile(join(dir, "a:b.md"), "utf8")).toContain("Colons are fine.\n");
    expect(reverie(["read", "a:b.md", "--dir", dir]).stdout).toContain("Colons are fine.");
    const absolute = reverie(["write", "/etc/x.md", "--dir", dir], "x\n");
    expect(absolute.stderr).toMatch(/absolute paths are not allowed/);
  });
});
