import { spawnSync } from "node:child_process";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { fastCommit } from "./fast-commit.js";

function git(dir: string, ...args: string[]): string {
  const run = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`git ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

const who = { name: "agent-1", email: "agent-1@agents.reverie.invalid" };

/** Two identical repositories: one committed by git, the other in-process. */
async function twins(): Promise<[string, string]> {
  const base = await tempDir();
  const dirs: [string, string] = [join(base, "by-git"), join(base, "in-process")];
  for (const dir of dirs) {
    await mkdir(join(dir, "notes", "deep"), { recursive: true });
    git(dir, "init", "-q", "--initial-branch=main");
    await writeFile(join(dir, "README.md"), "# Memory\n");
    await writeFile(join(dir, "notes", "a.md"), "a\n");
    await writeFile(join(dir, "notes", "deep", "b.md"), "b\n");
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "init");
  }
  return dirs;
}

async function commitBoth(dirs: [string, string], paths: string[], message: string): Promise<string | null> {
  const [byGit, inProcess] = dirs;
  git(byGit, "add", "-A", "--", ...paths);
  spawnSync("git", ["commit", "-q", "-m", message, `--author=${who.name} <${who.email}>`, "--", ...paths], {
    cwd: byGit,
    env: { ...process.env, GIT_COMMITTER_NAME: "reverie", GIT_COMMITTER_EMAIL: "reverie@localhost" },
  });
  return fastCommit({ dir: inProcess, paths, message, author: who, committer: { name: "reverie", email: "reverie@localhost" }, durable: true, config: new Map() });
}

/** What must be equal between the twins: the commit (less its time), the tree, the index, status and fsck. */
function state(dir: string): string[] {
  const commit = git(dir, "cat-file", "-p", "HEAD").replace(/> \d+ [+-]\d{4}$/gm, "> <time>").replace(/^parent .*$/m, "parent <p>");
  return [commit, git(dir, "ls-files", "-s", "--debug").replace(/ctime: .*\n|mtime: .*\n|dev: .*\n|uid: .*\n/g, ""), git(dir, "status", "--porcelain", "--untracked-files=all"), git(dir, "fsck", "--strict", "--no-progress")];
}

let dirs: [string, string];
beforeEach(async () => {
  dirs = await twins();
});

describe("fastCommit", () => {
  it("leaves the same commit, tree, index and clean status as git commit -- <paths>, for a new file, an edit, a delete and a move", async () => {
    for (const dir of dirs) {
      await mkdir(join(dir, "new", "folder"), { recursive: true });
      await writeFile(join(dir, "new", "folder", "c.md"), "c\n");
      await writeFile(join(dir, "notes", "a.md"), "a, edited\n");
      await rm(join(dir, "notes", "deep", "b.md"));
      await writeFile(join(dir, "untouched.md"), "not part of the commit\n");
    }
    const message = "memory: update notes\n\nMemory-Op: update\nAgent: agent-1";
    const made = await commitBoth(dirs, ["new/folder/c.md", "notes/a.md", "notes/deep/b.md"], message);
    expect(made).toBe(git(dirs[1], "rev-parse", "HEAD").trim());
    expect(state(dirs[1])).toEqual(state(dirs[0]));
    expect(git(dirs[1], "status", "--porcelain")).toBe("?? untouched.md\n");
    expect(git(dirs[1], "log", "-1", "--format=%an <%ae>|%cn|%s|%(trailers:only,unfold)")).toBe("agent-1 <agent-1@agents.reverie.invalid>|reverie|memory: update notes|Memory-Op: update\nAgent: agent-1\n\n");
    expect(git(dirs[1], "reflog", "-1", "--format=%gs")).toBe("commit: memory: update notes\n");
    // A person's git commands go on from there as usual.
    await writeFile(join(dirs[1], "notes", "a.md"), "by hand\n");
    git(dirs[1], "commit", "-q", "-am", "by hand");
    expect(git(dirs[1], "status", "--porcelain")).toBe("?? untouched.md\n");
  });

  it("works from a packed branch and packed objects it does not need, and keeps an executable bit", async () => {
    for (const dir of dirs) {
      git(dir, "gc", "-q");
      await writeFile(join(dir, "run.md"), "#!/bin/sh\n");
      await chmod(join(dir, "run.md"), 0o755);
    }
    // After gc the root tree is packed: the in-process writer cannot read it and hands over to git.
    expect(await commitBoth(dirs, ["run.md"], "memory: create run.md")).toBeNull();
    git(dirs[1], "add", "run.md");
    git(dirs[1], "commit", "-q", "-m", "memory: create run.md", `--author=${who.name} <${who.email}>`);
    for (const dir of dirs) await writeFile(join(dir, "run.md"), "#!/bin/sh\necho\n");
    expect(await commitBoth(dirs, ["run.md"], "memory: update run.md")).not.toBeNull();
    expect(git(dirs[1], "ls-files", "-s", "run.md").slice(0, 6)).toBe("100755");
    expect(state(dirs[1])).toEqual(state(dirs[0]));
  });

  it("hands over to git, changing nothing, where git must do the commit: hooks, signing, filters, a detached HEAD", async () => {
    const dir = dirs[1];
    await writeFile(join(dir, "notes", "a.md"), "changed\n");
    const head = git(dir, "rev-parse", "HEAD");
    const attempt = (config = new Map<string, string>()) => fastCommit({ dir, paths: ["notes/a.md"], message: "m", author: who, committer: who, durable: false, config });
    await writeFile(join(dir, ".git", "hooks", "pre-commit"), "#!/bin/sh\nexit 1\n");
    expect(await attempt()).toBeNull();
    await rm(join(dir, ".git", "hooks", "pre-commit"));
    expect(await attempt(new Map([["commit.gpgsign", "true"]]))).toBeNull();
    await writeFile(join(dir, ".gitattributes"), "*.md filter=lfs\n");
    expect(await attempt()).toBeNull();
    await rm(join(dir, ".gitattributes"));
    git(dir, "checkout", "-q", "--detach");
    expect(await attempt()).toBeNull();
    expect(git(dir, "rev-parse", "HEAD")).toBe(head);
    expect(git(dir, "status", "--porcelain")).toBe(" M notes/a.md\n");
  });

  it("refuses with LOCKED while git holds the index lock, leaving it to its owner", async () => {
    const dir = dirs[1];
    await writeFile(join(dir, "notes", "a.md"), "changed\n");
    await writeFile(join(dir, ".git", "index.lock"), "");
    await expect(fastCommit({ dir, paths: ["notes/a.md"], message: "m", author: who, committer: who, durable: false, config: new Map() })).rejects.toMatchObject({ code: "LOCKED" });
    await rm(join(dir, ".git", "index.lock"));
    expect(git(dir, "log", "--format=%s")).toBe("init\n");
  });
});
