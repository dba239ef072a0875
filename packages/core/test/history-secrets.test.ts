import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { findSecretsInHistory, initMemory, type Memory } from "@reverie/core";
import { fakeCredentials, tempDir } from "@reverie/test-utils";

function git(dir: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

const creds = fakeCredentials(41);
const cred = (kind: string) => creds.find((c) => c.kind === kind)!;
const leaked = (text: string) => creds.filter((c) => text.includes(c.secret)).map((c) => c.kind);

let dir: string;
let memory: Memory;
beforeEach(async () => {
  dir = join(await tempDir(), "memory");
  memory = await initMemory(dir);
});

describe("reverie doctor reads every branch's history for secrets", () => {
  it("names commit, path, line and kind for each, even once deleted or only on another branch, and says how to purge", async () => {
    await memory.write("ops/plain.md", "# Plain\n\nNothing secret.\n", { stamp: false });
    const added = (await memory.write("ops/deploy.md", `# Deploy\n\nSteps:\n${cred("github-token").line}\n`, { allowSecrets: true, stamp: false })).commit!;
    await memory.remove("ops/deploy.md");
    const named = (await memory.write(`keys/${cred("slack-token").secret}.md`, "a key file\n", { allowSecrets: true, stamp: false })).commit!;
    // A side branch nobody has checked out: a commit message and a private key in a file.
    git(dir, "checkout", "-q", "-b", "side");
    await memory.write("ops/plain.md", `# Plain\n\nNothing secret.\n\n${cred("private-key").line}\n`, { allowSecrets: true, stamp: false });
    const keyCommit = git(dir, "rev-parse", "HEAD").trim();
    git(dir, "-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "-q", "--allow-empty", "-m", `debug token ${cred("jwt").secret}`);
    const messageCommit = git(dir, "rev-parse", "HEAD").trim();
    git(dir, "checkout", "-q", "main");
    git(dir, "reset", "-q", "--hard");

    const found = await findSecretsInHistory(memory.repo);
    expect(found.map(({ commit, path, line, where, kind, refs }) => ({ commit, path, line, where, kind, refs }))).toEqual([
      { commit: added, path: "ops/deploy.md", line: 4, where: "content", kind: "github-token", refs: ["main", "side"] },
      // The write's commit message names the file, so it holds the token too.
      { commit: named, path: null, line: undefined, where: "message", kind: "slack-token", refs: ["main", "side"] },
      { commit: named, path: `keys/${cred("slack-token").secret}.md`, line: undefined, where: "path", kind: "slack-token", refs: ["main", "side"] },
      { commit: keyCommit, path: "ops/plain.md", line: 5, where: "content", kind: "private-key", refs: ["side"] },
      { commit: messageCommit, path: null, line: undefined, where: "message", kind: "jwt", refs: ["side"] },
    ]);

    const problems = await memory.doctor();
    const secrets = problems.filter((d) => d.code === "SECRET_IN_HISTORY");
    expect(secrets.map((d) => d.message.split(". Deleting")[0])).toEqual([
      `commit ${added.slice(0, 12)} put a github-token in ops/deploy.md line 4 (history of main, side)`,
      `commit ${named.slice(0, 12)}'s message holds a slack-token (history of main, side)`,
      `commit ${named.slice(0, 12)} put a slack-token in the file name keys/<redacted:slack-token>.md (history of main, side)`,
      `commit ${keyCommit.slice(0, 12)} put a private-key in ops/plain.md line 5 (history of side)`,
      `commit ${messageCommit.slice(0, 12)}'s message holds a jwt (history of side)`,
    ]);
    expect(secrets.every((d) => d.severity === "error" && d.message.endsWith("rotate the credential and rewrite the history (SECRET_PURGE below says how)."))).toBe(true);
    expect(secrets[0]).toMatchObject({ path: "ops/deploy.md", line: 4, commit: added, kind: "github-token" });
    const purge = problems.at(-1)!;
    expect(purge).toMatchObject({ severity: "warning", code: "SECRET_PURGE" });
    expect(purge.message).toContain("git filter-repo --replace-text /tmp/leaked.txt --force");
    expect(purge.message).toContain("git push --force --all");
    expect(leaked(JSON.stringify(problems))).toEqual([]);
  });

  it("counts a value added again by later commits once, at the first, and finds nothing in a clean history", async () => {
    expect((await memory.doctor()).filter((d) => d.code.startsWith("SECRET_"))).toEqual([]);
    const line = cred("aws-access-key").line;
    const first = (await memory.write("a.md", `${line}\n`, { allowSecrets: true, stamp: false })).commit!;
    await memory.write("a.md", "gone\n", { stamp: false });
    await memory.write("a.md", `again:\n${line}\n`, { allowSecrets: true, stamp: false });
    const found = await findSecretsInHistory(memory.repo);
    expect(found).toMatchObject([{ commit: first, path: "a.md", line: 1, kind: "aws-access-key", alsoIn: 1 }]);
    expect((await memory.doctor()).find((d) => d.code === "SECRET_IN_HISTORY")!.message).toContain("put an aws-access-key in a.md line 1, and 1 later commit again (history of main)");
  });

  it("locates a secret at the end of a 60,000-line file and in a later hunk of it, taking added runs whole", async () => {
    const lines = Array.from({ length: 60_000 }, (_, i) => `k${i}: v${i}`);
    const big = (await memory.write("big.md", `${lines.join("\n")}\n${cred("github-token").line}\n`, { allowSecrets: true, stamp: false })).commit!;
    lines[5] = "changed";
    lines.splice(6, 0, "", cred("aws-access-key").line);
    const edit = (await memory.write("big.md", `${lines.join("\n")}\n${cred("github-token").line}\n`, { allowSecrets: true, stamp: false })).commit!;
    const started = performance.now();
    const found = await findSecretsInHistory(memory.repo);
    expect(found.map(({ commit, path, line, kind }) => ({ commit, path, line, kind }))).toEqual([
      { commit: big, path: "big.md", line: 60_001, kind: "github-token" },
      { commit: edit, path: "big.md", line: 8, kind: "aws-access-key" },
    ]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
