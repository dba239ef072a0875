import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { reverie, git } from "./support.js";

let base: string;
let remote: string;
let a: string;
let b: string;

beforeEach(async () => {
  base = await tempDir();
  remote = join(base, "shared.git");
  a = join(base, "a");
  b = join(base, "b");
  git(base, "init", "--quiet", "--bare", "--initial-branch=main", remote);
  expect(reverie(["init", a]).code).toBe(0);
  git(a, "remote", "add", "origin", remote);
  expect(reverie(["sync", "--dir", a])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^synced main with origin\/main at [0-9a-f]{7}: received 0, sent 1\n$/) });
  git(base, "clone", "--quiet", remote, b);
});

describe("reverie sync", () => {
  it("two clones write, sync and converge", async () => {
    expect(reverie(["write", "a.md", "--agent", "agent-a", "--dir", a], "from a\n").code).toBe(0);
    expect(reverie(["write", "b.md", "--agent", "agent-b", "--dir", b], "from b\n").code).toBe(0);
    expect(reverie(["sync", "--dir", a]).code).toBe(0);
    const synced = reverie(["sync", "--dir", b, "--json"]);
    expect(synced.code).toBe(0);
    expect(JSON.parse(synced.stdout)).toMatchObject({ kind: "synced", integration: "rebase", received: 1, sent: 1 });
    expect(reverie(["sync", "--dir", a]).stdout).toMatch(/received 1, sent 0 \(fast-forward\)/);
    expect(git(a, "rev-parse", "HEAD")).toBe(git(b, "rev-parse", "HEAD"));
    expect(reverie(["ls", "--dir", a]).stdout).toBe(reverie(["ls", "--dir", b]).stdout);
    expect(JSON.parse(reverie(["log", "--dir", a, "--json", "-n", "2"]).stdout).map((h: { agent: string }) => h.agent)).toEqual(["agent-b", "agent-a"]);
  });

  it("a conflicting edit exits 2, names the file, and keeps both versions", async () => {
    reverie(["write", "port.md", "--raw", "--dir", a], "8080\n");
    reverie(["sync", "--dir", a]);
    reverie(["sync", "--dir", b]);
    reverie(["write", "port.md", "--raw", "--dir", a], "9090\n");
    reverie(["write", "port.md", "--raw", "--dir", b], "7070\n");
    expect(reverie(["sync", "--dir", a]).code).toBe(0);

    const result = reverie(["sync", "--dir", b]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const branch = /kept on branch (reverie\/conflict\/\d{8}T\d{6}Z)/.exec(result.stderr)?.[1];
    expect(result.stderr).toContain("reverie: sync stopped by a conflict in port.md\n");
    expect(result.stderr).toContain(`git -C ${b} -c user.name=reverie -c user.email=reverie@localhost merge origin/main`);
    expect(branch).toBeDefined();
    expect(git(b, "show", `${branch}:port.md`)).toBe("7070\n");
    expect(git(b, "show", "origin/main:port.md")).toBe("9090\n");
    expect(await readFile(join(b, "port.md"), "utf8")).toBe("7070\n");
    expect(git(b, "status", "--porcelain")).toBe("");
    expect(git(remote, "show", "main:port.md")).toBe("9090\n");

    const json = reverie(["sync", "--dir", b, "--json"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: "conflict", files: ["port.md"] });
  });

  it("pushes dream branches for review", () => {
    const sessions = fileURLToPath(new URL("../../../examples/quickstart/sample/sessions", import.meta.url));
    const dreamed = reverie(["dream", "--sessions", sessions, "--dir", a, "--json"]);
    expect(dreamed.code).toBe(0);
    const id = JSON.parse(dreamed.stdout).id as string;
    const pushed = reverie(["sync", "--push-dreams", "--dir", a]);
    expect(pushed).toMatchObject({ code: 0 });
    expect(pushed.stdout).toContain(`pushed dream/${id} for review: open a pull request from dream/${id} into main`);
    expect(git(remote, "branch", "--list", "dream/*").trim()).toBe(`dream/${id}`);
  });

  it("without a remote, exits 1 and says how to add one", async () => {
    const lonely = join(base, "lonely");
    reverie(["init", lonely]);
    const result = reverie(["sync", "--dir", lonely]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`reverie: The memory ${lonely} has no git remote to sync with. Add one, e.g.: git -C ${lonely} remote add origin <url>\n`);
  });
});
