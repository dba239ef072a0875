import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { git, reverie } from "./support.js";

let base: string;
let remote: string;
let a: string;
let b: string;

/** Two clones of one memory, as two machines with no git identity have them. */
beforeEach(async () => {
  base = await tempDir();
  remote = join(base, "shared.git");
  a = join(base, "a");
  b = join(base, "b");
  git(base, "init", "--quiet", "--bare", "--initial-branch=main", remote);
  expect(reverie(["init", a]).code).toBe(0);
  git(a, "remote", "add", "origin", remote);
  expect(reverie(["write", "notes/n.md", "--agent", "seed", "--dir", a], "line 1\nline 2\nline 3\nline 4\nline 5\n").code).toBe(0);
  expect(reverie(["sync", "--dir", a]).code).toBe(0);
  git(base, "clone", "--quiet", remote, b);
});

/** Rewrites one line of a memory through reverie, as an agent would (front-matter stamped anew). */
async function edit(dir: string, agent: string, session: string, from: string, to: string): Promise<void> {
  const text = await readFile(join(dir, "notes/n.md"), "utf8");
  expect(text).toContain(from);
  expect(reverie(["write", "notes/n.md", "--agent", agent, "--session", session, "--dir", dir], text.replace(from, to)).code).toBe(0);
}

const fields = (text: string) => text.slice(0, text.indexOf("\n---\n", 4) + 5);

describe("reverie sync merges memory files", () => {
  it("merges edits to different lines of one memory: bodies by git's three-way merge, sources unioned, updated the later, id kept", async () => {
    const id = /^id: (\S+)$/m.exec(await readFile(join(a, "notes/n.md"), "utf8"))![1];
    expect(git(a, "ls-files", ".gitattributes")).toBe(".gitattributes\n");
    await edit(a, "agent-a", "ses_a", "line 1\n", "line 1 from A\n");
    await edit(b, "agent-b", "ses_b", "line 5\n", "line 5 from B\n");
    expect(reverie(["sync", "--dir", a]).code).toBe(0);
    const synced = reverie(["sync", "--dir", b]);
    expect(synced.stderr).toBe("");
    expect(synced.stdout).toMatch(/^synced main with origin\/main at [0-9a-f]{7}: received 1, sent 1 \(rebase\)\n$/);
    expect(synced.code).toBe(0);

    const merged = await readFile(join(b, "notes/n.md"), "utf8");
    expect(merged.slice(fields(merged).length)).toBe("line 1 from A\nline 2\nline 3\nline 4\nline 5 from B\n");
    expect(merged).toMatch(new RegExp(`^---\\nid: ${id}\\n`));
    expect(merged).toContain("  - { session: ses_a, agent: agent-a, at: ");
    expect(merged).toContain("  - { session: ses_b, agent: agent-b, at: ");
    const updated = [...fields(merged).matchAll(/^updated: (.+)$/gm)].map((m) => m[1]);
    expect(updated).toHaveLength(1);
    const stamps = [...merged.matchAll(/ at: ([0-9TZ:-]+) \}/g)].map((m) => m[1]!).sort();
    expect(updated[0]).toBe(stamps[stamps.length - 1]);
    expect(reverie(["doctor", "--dir", b]).code).toBe(0);
    // The clone got the driver from sync: its .git/config is its own.
    expect(git(b, "config", "--get", "merge.reverie.driver")).toMatch(/merge-driver-main\.js' %O %A %B %L %P; else git merge-file/);
    expect(reverie(["sync", "--dir", a]).code).toBe(0);
    expect(await readFile(join(a, "notes/n.md"), "utf8")).toBe(merged);
  });

  it("a real conflict exits 2 once per conflict: the branch is reused on retry, the printed fix works with no git identity, and doctor names the unfinished merge", async () => {
    // Both change the same body line and the title: a real overlap.
    const seed = await readFile(join(a, "notes/n.md"), "utf8");
    const withTitle = (title: string, line: string) => seed.replace("---\nline 1", `title: ${title}\n---\nline 1`).replace("line 3\n", `${line}\n`);
    expect(reverie(["write", "notes/n.md", "--agent", "agent-a", "--dir", a], withTitle("Port from A", "port 9090")).code).toBe(0);
    expect(reverie(["write", "notes/n.md", "--agent", "agent-b", "--dir", b], withTitle("Port from B", "port 7070")).code).toBe(0);
    expect(reverie(["sync", "--dir", a]).code).toBe(0);

    const first = reverie(["sync", "--dir", b]);
    expect(first.code).toBe(2);
    expect(first.stderr).toContain("reverie: sync stopped by a conflict in notes/n.md\n");
    const branch = /kept on branch (reverie\/conflict\/\d{8}T\d{6}Z)\./.exec(first.stderr)![1]!;
    const retry = reverie(["sync", "--dir", b]);
    expect(retry.code).toBe(2);
    expect(retry.stderr).toContain(`kept on branch ${branch}.`);
    expect(git(b, "branch", "--list", "reverie/conflict/*").trim()).toBe(branch);
    expect(git(b, "show", `${branch}:notes/n.md`)).toContain("port 7070");
    expect(git(b, "show", "origin/main:notes/n.md")).toContain("port 9090");

    // The printed commands, run as printed from another folder, on a machine with no git identity.
    const commands = first.stderr.split("\n").filter((line) => line.startsWith("  git -C ")).map((line) => line.trim());
    expect(commands).toEqual([
      `git -C ${b} -c user.name=reverie -c user.email=reverie@localhost merge origin/main`,
      `git -C ${b} -c user.name=reverie -c user.email=reverie@localhost commit -a --no-edit`,
    ]);
    const sh = (command: string) => spawnSync("sh", ["-c", command], { cwd: tmpdir(), encoding: "utf8" });
    const merge = sh(commands[0]!);
    expect(merge.stdout).toContain("CONFLICT (content): Merge conflict in notes/n.md");
    expect(merge.status).toBe(1);
    const conflicted = await readFile(join(b, "notes/n.md"), "utf8");
    // The title conflicts too, so the markers are in the front-matter: YAML that does not parse.
    // The title conflicts too: markers around it alone, in the front-matter (YAML that no longer parses).
    expect(conflicted).toContain("\n<<<<<<< ours\ntitle: Port from B\n=======\ntitle: Port from A\n>>>>>>> theirs\n---\nline 1\nline 2\n<<<<<<< ours\nport 7070\n=======\nport 9090\n>>>>>>> theirs\nline 4\n");
    expect(conflicted).toContain("  - { agent: agent-a, at: ");
    expect(conflicted).toContain("  - { agent: agent-b, at: ");

    const doctor = reverie(["doctor", "--dir", b, "--json"]);
    expect(doctor.code).toBe(1);
    const list = (JSON.parse(doctor.stdout) as { problems: Array<{ code: string; message: string }> }).problems;
    const codes = list.map((d) => d.code);
    expect(codes).toContain("MERGE_CONFLICT");
    expect(codes).toContain("MERGE_IN_PROGRESS");
    expect(codes).not.toContain("PARSE_ERROR");
    expect(list.find((d) => d.code === "MERGE_CONFLICT")!.message).toMatch(/^notes\/n\.md:\d+: a merge is not finished: the file still has git's conflict markers/);

    // Resolve: keep both ports under A's title.
    const resolved = conflicted.replace(/<{7} ours\n[^]*?\n={7}\n([^]*?)>{7} theirs\n/g, (_m, theirs: string) => theirs).replace("port 9090", "port 9090 (7070 for staging)");
    expect(resolved).not.toMatch(/^[<=>]{7}/m);
    await writeFile(join(b, "notes/n.md"), resolved);
    const commit = sh(commands[1]!);
    expect(commit.stderr).toBe("");
    expect(commit.status).toBe(0);
    const done = reverie(["sync", "--dir", b]);
    expect(done.stdout).toMatch(/received 0, sent 2\n$/);
    expect(done.code).toBe(0);
    expect(git(remote, "show", "main:notes/n.md")).toContain("port 9090 (7070 for staging)");
    expect(reverie(["doctor", "--dir", b]).code).toBe(0);
  });
});
