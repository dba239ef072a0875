import { spawnSync } from "node:child_process";
import { mkdir, realpath, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { git, initializedMemory, reverie } from "./support.js";

let dir: string;

beforeEach(async () => {
  dir = await realpath((await initializedMemory()).dir);
});

/** A pid that is certainly no longer running: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid;
}

const exists = (path: string) => stat(path).then(() => true, () => false);

describe("reverie doctor after a crash", () => {
  it("lists every stale git lock, a dead process's temp and a staged leftover; --fix repairs them and says how", async () => {
    await writeFile(join(dir, "left.md"), "Staged by a killed write.\n");
    git(dir, "add", "left.md");
    for (const lock of ["index.lock", "HEAD.lock", "refs/heads/main.lock"]) await writeFile(join(dir, ".git", lock), "");
    const temp = join(dir, ".reverie", "tmp", `write.${hostname().replace(/[^A-Za-z0-9-]/g, "-")}.${deadPid()}.0a1b2c.tmp`);
    await mkdir(join(dir, ".reverie", "tmp"), { recursive: true });
    await writeFile(temp, "half");

    const found = reverie(["doctor", "--dir", dir]);
    expect(found.code).toBe(1);
    expect(found.stderr).toBe("");
    expect(found.stdout.split("\n")).toEqual([
      `error   GIT_LOCKED: ${dir}/.git/HEAD.lock was left by a git process that is no longer running; it blocks writes to the memory. reverie doctor --fix (or any write) removes it.`,
      `error   GIT_LOCKED: ${dir}/.git/index.lock was left by a git process that is no longer running; it blocks writes to the memory. reverie doctor --fix (or any write) removes it.`,
      `error   GIT_LOCKED: ${dir}/.git/refs/heads/main.lock was left by a git process that is no longer running; it blocks writes to the memory. reverie doctor --fix (or any write) removes it.`,
      `warning TEMP_FILE: ${temp} (4 bytes) is a temp file left by a process that is no longer running; reverie doctor --fix removes it.`,
      "warning STAGED: left.md is staged but was never committed; reverie doctor --fix commits what is staged (attributed Memory-Op: recover).",
      `3 error(s), 2 warning(s) in ${dir}.`,
      "Run reverie doctor --fix to repair what is safe to repair.",
      "",
    ]);
    // Reporting changes nothing.
    expect(await exists(join(dir, ".git", "HEAD.lock"))).toBe(true);

    const fixed = reverie(["doctor", "--fix", "--dir", dir]);
    expect(fixed.code).toBe(0);
    const commit = git(dir, "rev-parse", "--short=7", "HEAD").trim();
    expect(fixed.stdout.split("\n")).toEqual([
      `fixed   GIT_LOCKED: removed HEAD.lock from ${dir}/.git: left by a git process that is no longer running (a crash or a kill).`,
      `fixed   GIT_LOCKED: removed index.lock from ${dir}/.git: left by a git process that is no longer running (a crash or a kill).`,
      `fixed   GIT_LOCKED: removed refs/heads/main.lock from ${dir}/.git: left by a git process that is no longer running (a crash or a kill).`,
      `fixed   TEMP_FILE: removed 1 temp file(s) (4 B) in ${dir}/.reverie/tmp left by processes that are no longer running.`,
      `fixed   STAGED: committed 1 staged file(s) left uncommitted (left.md) in ${commit}`,
      `${dir}: no problems found.`,
      "",
    ]);
    expect(git(dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
    expect(git(dir, "log", "-1", "--format=%s%n%(trailers:only)", "--", "left.md")).toBe("memory: recover 1 staged file(s) left uncommitted\nMemory-Op: recover\n\n");
    expect(await exists(temp)).toBe(false);
    expect(reverie(["doctor", "--dir", dir])).toMatchObject({ code: 0, stdout: `${dir}: no problems found.\n` });
  });

  it("names a rebase someone started and leaves it to them, even with --fix", async () => {
    git(dir, "config", "user.name", "Pat");
    git(dir, "config", "user.email", "pat@example.com");
    expect(reverie(["write", "port.md", "--raw", "--dir", dir], "8080\n").code).toBe(0);
    git(dir, "switch", "-q", "-c", "mine");
    await writeFile(join(dir, "port.md"), "9090\n");
    git(dir, "commit", "-q", "-am", "mine");
    git(dir, "switch", "-q", "main");
    expect(reverie(["write", "port.md", "--raw", "--dir", dir], "7070\n").code).toBe(0);
    git(dir, "switch", "-q", "mine");
    expect(spawnSync("git", ["rebase", "main"], { cwd: dir }).status).toBe(1);

    const expected = [
      `error   MERGE_CONFLICT: port.md:1: a rebase is not finished: the file still has git's conflict markers (<<<<<<<, =======, >>>>>>>). Edit it to keep what is right from both versions and delete the marker lines, then git -C ${dir} add port.md and git -C ${dir} rebase --continue; or undo it: git -C ${dir} rebase --abort.`,
      `error   REBASE_IN_PROGRESS: A rebase of mine, started outside reverie, is in progress in ${dir}: finish it (resolve, git add, git -C ${dir} rebase --continue) or undo it (git -C ${dir} rebase --abort); until then reverie cannot commit there.`,
      "warning UNCOMMITTED: port.md has changes git has not recorded (UU); commit them (git add port.md && git commit) or write through reverie so they are attributed.",
      `2 error(s), 1 warning(s) in ${dir}.`,
    ];
    expect(reverie(["doctor", "--dir", dir])).toMatchObject({ code: 1, stdout: `${expected.join("\n")}\n` });
    expect(reverie(["doctor", "--fix", "--dir", dir])).toMatchObject({ code: 1, stdout: `${expected.join("\n")}\n` });
    expect(await exists(join(dir, ".git", "rebase-merge"))).toBe(true);

    const write = reverie(["write", "other.md", "--raw", "--dir", dir], "Mid-rebase.\n");
    expect(write.code).toBe(1);
    expect(write.stderr).toBe(
      `reverie: A rebase of mine, started outside reverie, is in progress in ${dir}, so the write of other.md cannot be committed; nothing was changed. Finish it (resolve, git add, git -C ${dir} rebase --continue) or undo it (git -C ${dir} rebase --abort), then try again.\n`,
    );
    expect(await exists(join(dir, "other.md"))).toBe(false);
  });
});
