import { spawnSync } from "node:child_process";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { initMemory, openMemory, syncMemory, type Memory } from "@reverie/core";
import { tempDir } from "@reverie/test-utils";

function git(dir: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

const clock = () => new Date("2026-11-20T10:00:00Z");

let base: string;
let remote: string;
let alice: Memory;
let bob: Memory;

beforeEach(async () => {
  base = await tempDir();
  remote = join(base, "shared.git");
  git(base, "init", "--quiet", "--bare", "--initial-branch=main", remote);
  alice = await initMemory(join(base, "alice"), { agent: "alice-agent" });
  git(alice.dir, "remote", "add", "origin", remote);
  expect(await syncMemory(alice.repo, { clock })).toMatchObject({ kind: "synced", remote: "origin", branch: "main", integration: "none", received: 0, sent: 1 });
  git(base, "clone", "--quiet", remote, join(base, "bob"));
  bob = await openMemory(join(base, "bob"), { agent: "bob-agent" });
});

describe("syncMemory", () => {
  it("two clones write, sync and converge, attribution intact", async () => {
    await alice.write("prefs/pm.md", "Use pnpm.\n", { stamp: false });
    await bob.write("infra/port.md", "API on 8080.\n", { stamp: false });

    expect(await syncMemory(alice.repo, { clock })).toMatchObject({ kind: "synced", integration: "none", received: 0, sent: 1 });
    expect(await syncMemory(bob.repo, { clock })).toMatchObject({ kind: "synced", integration: "rebase", received: 1, sent: 1 });
    expect(await syncMemory(alice.repo, { clock })).toMatchObject({ kind: "synced", integration: "fast-forward", received: 1, sent: 0 });

    const head = git(alice.dir, "rev-parse", "HEAD");
    expect(git(bob.dir, "rev-parse", "HEAD")).toBe(head);
    expect(git(remote, "rev-parse", "main")).toBe(head);
    for (const memory of [alice, bob]) {
      expect((await memory.list()).map((e) => e.path)).toEqual(["infra/port.md", "prefs/pm.md"]); // the folder's README is for agents, not a memory
      expect(git(memory.dir, "status", "--porcelain")).toBe("");
    }
    expect((await alice.history()).slice(0, 2).map((h) => [h.subject, h.agent])).toEqual([
      ["memory: create infra/port.md", "bob-agent"],
      ["memory: create prefs/pm.md", "alice-agent"],
    ]);
  });

  it("retries when the remote moves between its fetch and its push", async () => {
    await alice.write("a.md", "a\n", { stamp: false });
    await bob.write("b.md", "b\n", { stamp: false });
    // Bob's first push is preceded by Alice's: a real race, staged with a pre-push hook.
    const marker = join(base, "raced");
    await writeFile(
      join(bob.dir, ".git/hooks/pre-push"),
      `#!/bin/sh\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\nif [ ! -e '${marker}' ]; then touch '${marker}'; git -C '${alice.dir}' push -q origin main; fi\n`,
      { mode: 0o755 },
    );
    const result = await syncMemory(bob.repo, { clock });
    expect(result).toMatchObject({ kind: "synced", integration: "rebase", received: 1, sent: 1 });
    expect(git(remote, "log", "--format=%s", "main").trim().split("\n").slice(0, 2)).toEqual(["memory: create b.md", "memory: create a.md"]);
  });

  it("merges instead of rebasing when asked", async () => {
    await alice.write("a.md", "a\n", { stamp: false });
    await bob.write("b.md", "b\n", { stamp: false });
    await syncMemory(alice.repo, { clock });
    const result = await syncMemory(bob.repo, { clock, strategy: "merge", agent: "bob-agent" });
    expect(result).toMatchObject({ kind: "synced", integration: "merge", received: 1, sent: 2 });
    expect(git(bob.dir, "log", "-1", "--format=%s%n%(trailers:only,unfold)")).toBe("memory: sync with origin/main\nMemory-Op: sync\nAgent: bob-agent\n\n");
  });

  it("surfaces a real conflict: files named, nothing changed, both versions kept", async () => {
    await alice.write("infra/port.md", "API on 8080.\n", { stamp: false });
    await syncMemory(alice.repo, { clock });
    await syncMemory(bob.repo, { clock });
    await alice.write("infra/port.md", "API on 9090.\n", { stamp: false });
    await alice.write("notes.md", "only alice\n", { stamp: false });
    await bob.write("infra/port.md", "API on 7070.\n", { stamp: false });
    await syncMemory(alice.repo, { clock });
    const bobHead = git(bob.dir, "rev-parse", "HEAD").trim();
    const remoteHead = git(remote, "rev-parse", "main").trim();

    const result = await syncMemory(bob.repo, { clock });
    expect(result).toEqual({
      kind: "conflict",
      remote: "origin",
      branch: "main",
      files: ["infra/port.md"],
      conflictBranch: "reverie/conflict/20261120T100000Z",
      local: bobHead,
      upstream: remoteHead,
      localEdits: null,
      resolve: expect.stringContaining("Both this memory and origin/main changed the same lines of infra/port.md."),
    });
    // No git identity on this machine: the printed commands bring reverie's default.
    expect(result.kind === "conflict" && result.resolve).toContain(`git -C ${bob.dir} -c user.name=reverie -c user.email=reverie@localhost merge origin/main`);

    expect(git(bob.dir, "rev-parse", "HEAD").trim()).toBe(bobHead);
    expect(git(remote, "rev-parse", "main").trim()).toBe(remoteHead);
    expect(git(bob.dir, "status", "--porcelain")).toBe("");
    expect(await stat(join(bob.dir, ".git/rebase-merge")).catch(() => null)).toBeNull();
    expect(await stat(join(bob.dir, ".git/MERGE_HEAD")).catch(() => null)).toBeNull();
    expect(git(bob.dir, "show", "reverie/conflict/20261120T100000Z:infra/port.md")).toBe("API on 7070.\n");
    expect(git(bob.dir, "show", "origin/main:infra/port.md")).toBe("API on 9090.\n");
    expect(await readFile(join(bob.dir, "infra/port.md"), "utf8")).toBe("API on 7070.\n");

    // A second try of the same conflict reuses its branch instead of adding one.
    expect(await syncMemory(bob.repo, { clock })).toMatchObject({ kind: "conflict", conflictBranch: "reverie/conflict/20261120T100000Z" });
    expect(git(bob.dir, "branch", "--list", "reverie/conflict/*").trim()).toBe("reverie/conflict/20261120T100000Z");

    // Resolving as the message says, then syncing, converges.
    spawnSync("git", ["-c", "user.name=Bob", "-c", "user.email=bob@example.com", "merge", "origin/main"], { cwd: bob.dir });
    await writeFile(join(bob.dir, "infra/port.md"), "API on 9090 (7070 for the admin API).\n");
    git(bob.dir, "add", "infra/port.md");
    git(bob.dir, "-c", "user.name=Bob", "-c", "user.email=bob@example.com", "commit", "--quiet", "--no-edit");
    expect(await syncMemory(bob.repo, { clock })).toMatchObject({ kind: "synced", received: 0 });
    expect(await syncMemory(alice.repo, { clock })).toMatchObject({ kind: "synced", integration: "fast-forward" });
    expect(await readFile(join(alice.dir, "infra/port.md"), "utf8")).toBe("API on 9090 (7070 for the admin API).\n");
  });

  it("commits edits made by hand in the folder before syncing them", async () => {
    await writeFile(join(bob.dir, "README.md"), "edited by a person\n");
    await writeFile(join(bob.dir, "hand.md"), "new by hand\n");
    await writeFile(join(bob.dir, "scratch.txt"), "not a memory\n");
    const result = await syncMemory(bob.repo, { clock, agent: "bob" });
    expect(result).toMatchObject({ kind: "synced", sent: 1, localEdits: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(git(remote, "show", "--name-status", "--format=%an %s", "main").trim().split("\n")).toEqual([
      "bob memory: commit edits made in the folder before sync",
      "",
      "M\tREADME.md",
      "A\thand.md",
    ]);
    expect(git(bob.dir, "status", "--porcelain")).toBe("?? scratch.txt\n");
  });

  it("pushes dream branches for review", async () => {
    git(alice.dir, "branch", "dream/drm_01TEST");
    const result = await syncMemory(alice.repo, { clock, dreams: ["drm_01TEST"] });
    expect(result).toMatchObject({ kind: "synced", dreams: ["dream/drm_01TEST"] });
    expect(git(remote, "branch", "--list", "dream/*").trim()).toBe("dream/drm_01TEST");
    await expect(syncMemory(alice.repo, { clock, dreams: ["drm_nope"] })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses a memory without a remote, naming the fix", async () => {
    const lonely = await initMemory(join(base, "lonely"));
    await expect(syncMemory(lonely.repo)).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("remote add origin <url>") });
  });

  it("a plain git clone is a working memory: its caches rebuild themselves", async () => {
    await alice.write("prefs/pm.md", "Use pnpm, not npm.\n", { agent: "alice-agent" });
    expect(await alice.search("pnpm")).toHaveLength(1);
    await alice.close();
    await syncMemory(alice.repo, { clock });
    const cloneDir = join(base, "carol");
    git(base, "clone", "--quiet", remote, cloneDir);
    await rm(join(cloneDir, ".reverie/cache"), { recursive: true, force: true });
    const carol = await openMemory(cloneDir, { agent: "carol" });
    expect((await carol.search("pnpm")).map((h) => h.path)).toEqual(["prefs/pm.md"]);
    expect(await carol.doctor()).toEqual([]);
    await carol.write("c.md", "carol was here\n");
    await carol.close();
    expect(await stat(join(cloneDir, ".reverie/cache/search-index.json"))).toBeTruthy();
    expect(git(cloneDir, "status", "--porcelain")).toBe("");
    expect(await syncMemory(carol.repo, { clock })).toMatchObject({ kind: "synced", sent: 1 });
  });
});
