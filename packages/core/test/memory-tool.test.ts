import { spawnSync } from "node:child_process";
import { readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { initMemory, memoryToolHandlers, memoryToolPath, openMemory, type Memory, type MemoryToolHandlers } from "@reverie/core";
import { tempDir } from "@reverie/test-utils";

function git(dir: string, ...args: string[]): string {
  return spawnSync("git", args, { cwd: dir, encoding: "utf8" }).stdout;
}

let base: string;
let dir: string;
let memory: Memory;
let tool: MemoryToolHandlers;

beforeEach(async () => {
  base = await tempDir();
  dir = join(base, "memory");
  memory = await initMemory(dir);
  tool = memoryToolHandlers(memory, { agent: "claude-agent", session: "ses_tool" });
});

describe("memory tool commands", () => {
  it("create writes the exact bytes as one attributed commit, and view shows them numbered", async () => {
    expect(await tool.create({ command: "create", path: "/memories/prefs/pm.md", file_text: "# Package manager\nUse pnpm, not npm.\n" })).toBe(
      "File created successfully at: /memories/prefs/pm.md",
    );
    expect(await readFile(join(dir, "prefs/pm.md"), "utf8")).toBe("# Package manager\nUse pnpm, not npm.\n");
    expect(git(dir, "log", "-1", "--format=%an <%ae>%n%s%n%(trailers:only,unfold)")).toBe(
      "claude-agent <claude-agent@agents.reverie.invalid>\nmemory: create prefs/pm.md\nMemory-Op: create\nAgent: claude-agent\nSession: ses_tool\n\n",
    );
    expect(await tool.view({ command: "view", path: "/memories/prefs/pm.md" })).toBe(
      "Here's the content of /memories/prefs/pm.md with line numbers:\n     1\t# Package manager\n     2\tUse pnpm, not npm.\n     3\t",
    );
    expect(await tool.view({ command: "view", path: "/memories/prefs/pm.md", view_range: [2, -1] })).toBe(
      "Here's the content of /memories/prefs/pm.md with line numbers:\n     2\tUse pnpm, not npm.\n     3\t",
    );
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it("view of a folder lists two levels with sizes, hidden items left out", async () => {
    await tool.create({ command: "create", path: "/memories/a.md", file_text: "x".repeat(10) });
    await tool.create({ command: "create", path: "/memories/topics/b.md", file_text: "y".repeat(2048) });
    await tool.create({ command: "create", path: "/memories/topics/deep/c.md", file_text: "z".repeat(100) });
    const readme = (await readFile(join(dir, "README.md"))).length;
    const listing = await tool.view({ command: "view", path: "/memories" });
    const size = (n: number) => (n < 1024 ? `${n}B` : `${(n / 1024) % 1 === 0 ? n / 1024 : (n / 1024).toFixed(1)}K`);
    expect(listing).toBe(
      [
        "Here're the files and directories up to 2 levels deep in /memories, excluding hidden items and node_modules:",
        `${size(10 + 2048 + 100 + readme)}\t/memories`,
        `${size(readme)}\t/memories/README.md`,
        "10B\t/memories/a.md",
        "2.1K\t/memories/topics/",
        "2K\t/memories/topics/b.md",
        "100B\t/memories/topics/deep/",
      ].join("\n"),
    );
    expect(await tool.view({ command: "view", path: "/memories/topics/" })).toBe(
      [
        "Here're the files and directories up to 2 levels deep in /memories/topics, excluding hidden items and node_modules:",
        "2.1K\t/memories/topics",
        "2K\t/memories/topics/b.md",
        "100B\t/memories/topics/deep/",
        "100B\t/memories/topics/deep/c.md",
      ].join("\n"),
    );
  });

  it("str_replace and insert edit in place, each one commit, with the documented results", async () => {
    await tool.create({ command: "create", path: "/memories/infra.md", file_text: "# Infra\nport: 8080\nregion: eu\nowner: ops\n" });
    expect(await tool.str_replace({ command: "str_replace", path: "/memories/infra.md", old_str: "port: 8080", new_str: "port: 9090" })).toBe(
      "The memory file has been edited. Here is the snippet showing the change (with line numbers):\n     1\t# Infra\n     2\tport: 9090\n     3\tregion: eu\n     4\towner: ops",
    );
    expect(await tool.insert({ command: "insert", path: "/memories/infra.md", insert_line: 1, insert_text: "Updated by the agent.\n" })).toBe(
      "The file /memories/infra.md has been edited.",
    );
    expect(await readFile(join(dir, "infra.md"), "utf8")).toBe("# Infra\nUpdated by the agent.\nport: 9090\nregion: eu\nowner: ops\n");
    expect(git(dir, "log", "--format=%s|%(trailers:key=Agent,valueonly,unfold)", "-3").trim().split("\n")).toEqual([
      "memory: update infra.md|claude-agent",
      "",
      "memory: update infra.md|claude-agent",
      "",
      "memory: create infra.md|claude-agent",
    ]);
  });

  it("rename and delete move and remove files and folders, attributed", async () => {
    await tool.create({ command: "create", path: "/memories/old/a.md", file_text: "a\n" });
    await tool.create({ command: "create", path: "/memories/old/b.md", file_text: "b\n" });
    expect(await tool.rename({ command: "rename", old_path: "/memories/old/a.md", new_path: "/memories/new/a.md" })).toBe(
      "Successfully renamed /memories/old/a.md to /memories/new/a.md",
    );
    expect(await tool.rename({ command: "rename", old_path: "/memories/old", new_path: "/memories/archive" })).toBe("Successfully renamed /memories/old to /memories/archive");
    expect((await memory.list()).map((e) => e.path)).toEqual(["README.md", "archive/b.md", "new/a.md"]);
    expect(await tool.delete({ command: "delete", path: "/memories/new/a.md" })).toBe("Successfully deleted /memories/new/a.md");
    expect(await tool.delete({ command: "delete", path: "/memories/archive" })).toBe("Successfully deleted /memories/archive");
    expect((await memory.list()).map((e) => e.path)).toEqual(["README.md"]);
    const log = await memory.history(undefined, { limit: 4 });
    expect(log.map((h) => [h.op, h.agent, h.session])).toEqual([
      ["delete", "claude-agent", "ses_tool"],
      ["delete", "claude-agent", "ses_tool"],
      ["rename", "claude-agent", "ses_tool"],
      ["rename", "claude-agent", "ses_tool"],
    ]);
  });
});

describe("folder rename and delete", () => {
  /** Files, index, refs and every folder outside .git: what a refused command must leave as it was. */
  function snapshot(): string {
    const folders = spawnSync("find", [".", "-path", "./.git", "-prune", "-o", "-type", "d", "-print"], { cwd: dir, encoding: "utf8" }).stdout;
    return [git(dir, "status", "--porcelain", "--untracked-files=all"), git(dir, "rev-parse", "HEAD"), git(dir, "ls-files", "-s"), folders.split("\n").sort().join("\n")].join("\n");
  }

  beforeEach(async () => {
    for (const name of ["team/a.md", "team/b.md", "team/sub/c.md"]) await tool.create({ command: "create", path: `/memories/${name}`, file_text: `${name}\n` });
  });

  it("moves or removes a whole folder in one commit", async () => {
    const head = git(dir, "rev-parse", "HEAD").trim();
    await tool.rename({ command: "rename", old_path: "/memories/team", new_path: "/memories/crew/2026" });
    expect(git(dir, "rev-list", "--count", `${head}..HEAD`).trim()).toBe("1");
    expect(git(dir, "log", "-1", "--format=%s|%(trailers:key=Memory-Op,valueonly)", "-M", "--name-status").trim().split("\n").filter(Boolean)).toEqual([
      "memory: rename team/ (3 files) -> crew/2026/ (3 files)|rename",
      "R100\tteam/a.md\tcrew/2026/a.md",
      "R100\tteam/b.md\tcrew/2026/b.md",
      "R100\tteam/sub/c.md\tcrew/2026/sub/c.md",
    ]);
    expect(await readFile(join(dir, "crew/2026/sub/c.md"), "utf8")).toBe("team/sub/c.md\n");
    await tool.delete({ command: "delete", path: "/memories/crew" });
    expect(git(dir, "log", "-1", "--format=%s", "--name-status").trim().split("\n").filter(Boolean)).toEqual([
      "memory: delete crew/2026/ (3 files)",
      "D\tcrew/2026/a.md",
      "D\tcrew/2026/b.md",
      "D\tcrew/2026/sub/c.md",
    ]);
    expect((await memory.list()).map((e) => e.path)).toEqual(["README.md"]);
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it("changes nothing, files or folders, when a hook refuses the commit", async () => {
    await writeFile(join(dir, ".git/hooks/pre-commit"), "#!/bin/sh\necho 'policy says no' >&2\nexit 1\n", { mode: 0o755 });
    const before = snapshot();
    await expect(tool.rename({ command: "rename", old_path: "/memories/team", new_path: "/memories/crew/2026" })).rejects.toMatchObject({ code: "GIT_FAILED" });
    expect(snapshot()).toBe(before);
    await expect(tool.delete({ command: "delete", path: "/memories/team" })).rejects.toMatchObject({ code: "GIT_FAILED" });
    expect(snapshot()).toBe(before);
    await expect(tool.create({ command: "create", path: "/memories/new/deep/x.md", file_text: "x\n" })).rejects.toMatchObject({ code: "GIT_FAILED" });
    expect(snapshot()).toBe(before);
    for (const name of ["team/a.md", "team/b.md", "team/sub/c.md"]) expect(await readFile(join(dir, name), "utf8")).toBe(`${name}\n`);
  });
});

describe("memory tool errors use the documented text and stable codes", () => {
  beforeEach(async () => {
    await tool.create({ command: "create", path: "/memories/notes.md", file_text: "alpha\nbeta\nalpha\n" });
  });

  it.each([
    ["view missing", () => tool.view({ command: "view", path: "/memories/nope.md" }), "NOT_FOUND", "The path /memories/nope.md does not exist. Please provide a valid path."],
    ["view missing folder", () => tool.view({ command: "view", path: "/memories/nope" }), "NOT_FOUND", "The path /memories/nope does not exist. Please provide a valid path."],
    ["create existing", () => tool.create({ command: "create", path: "/memories/notes.md", file_text: "x" }), "ALREADY_EXISTS", "File /memories/notes.md already exists"],
    [
      "str_replace absent",
      () => tool.str_replace({ command: "str_replace", path: "/memories/notes.md", old_str: "gamma", new_str: "x" }),
      "NOT_FOUND",
      "No replacement was performed, old_str `gamma` did not appear verbatim in /memories/notes.md.",
    ],
    [
      "str_replace ambiguous",
      () => tool.str_replace({ command: "str_replace", path: "/memories/notes.md", old_str: "alpha", new_str: "x" }),
      "INVALID_INPUT",
      "No replacement was performed. Multiple occurrences of old_str `alpha` in lines: 1, 3. Please ensure it is unique",
    ],
    [
      "insert out of range",
      () => tool.insert({ command: "insert", path: "/memories/notes.md", insert_line: 9, insert_text: "x" }),
      "INVALID_INPUT",
      "Invalid `insert_line` parameter: 9. It should be within the range of lines of the file: [0, 4]",
    ],
    ["insert missing", () => tool.insert({ command: "insert", path: "/memories/x.md", insert_line: 0, insert_text: "x" }), "NOT_FOUND", "The path /memories/x.md does not exist"],
    ["delete missing", () => tool.delete({ command: "delete", path: "/memories/x.md" }), "NOT_FOUND", "The path /memories/x.md does not exist"],
    ["delete root", () => tool.delete({ command: "delete", path: "/memories" }), "INVALID_PATH", "Cannot delete the /memories directory itself"],
    ["rename missing", () => tool.rename({ command: "rename", old_path: "/memories/x.md", new_path: "/memories/y.md" }), "NOT_FOUND", "The path /memories/x.md does not exist"],
    [
      "rename onto existing",
      async () => {
        await tool.create({ command: "create", path: "/memories/other.md", file_text: "o\n" });
        return tool.rename({ command: "rename", old_path: "/memories/other.md", new_path: "/memories/notes.md" });
      },
      "ALREADY_EXISTS",
      "The destination /memories/notes.md already exists",
    ],
  ] as const)("%s", async (_name, call, code, message) => {
    await expect(call()).rejects.toMatchObject({ code, message });
  });

  it("nothing failed above left a commit or a dirty tree", async () => {
    const before = git(dir, "rev-parse", "HEAD");
    await tool.str_replace({ command: "str_replace", path: "/memories/notes.md", old_str: "nothing", new_str: "x" }).catch(() => undefined);
    await tool.create({ command: "create", path: "/memories/notes.md", file_text: "x" }).catch(() => undefined);
    expect(git(dir, "rev-parse", "HEAD")).toBe(before);
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it("names a non-Markdown file with a fix", async () => {
    await expect(tool.create({ command: "create", path: "/memories/progress.xml", file_text: "<x/>" })).rejects.toMatchObject({
      code: "INVALID_PATH",
      message: "/memories/progress.xml is not a memory file: memories here are Markdown files ending in .md. Use e.g. /memories/progress.md",
    });
  });
});

describe("path security", () => {
  const escapes = [
    "/memories/../x.md",
    "/memories/../../etc/passwd",
    "/memories/a/../../x.md",
    "/memories/%2e%2e/x.md",
    "/memories/%2E%2E%2Fx.md",
    "/memories/%252e%252e%252fx.md",
    "/memories/..%5cx.md",
    "/memories\\..\\x.md",
    "/memories/a\u0000.md",
  ];
  const outside = ["/etc/passwd", "memories/x.md", "/memoriesx/a.md", "x.md", "/tmp/memories/x.md"];

  it.each(escapes)("refuses traversal %j in every command, touching nothing", async (path) => {
    const before = git(dir, "rev-parse", "HEAD");
    for (const call of [
      () => tool.view({ command: "view", path }),
      () => tool.create({ command: "create", path, file_text: "pwned" }),
      () => tool.str_replace({ command: "str_replace", path, old_str: "a", new_str: "b" }),
      () => tool.insert({ command: "insert", path, insert_line: 0, insert_text: "x" }),
      () => tool.delete({ command: "delete", path }),
      () => tool.rename({ command: "rename", old_path: "/memories/README.md", new_path: path }),
      () => tool.rename({ command: "rename", old_path: path, new_path: "/memories/y.md" }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: "INVALID_PATH" });
    }
    expect(git(dir, "rev-parse", "HEAD")).toBe(before);
    expect(git(base, "status", "--porcelain")).toBe("");
  });

  it.each(outside)("refuses %j outside /memories", async (path) => {
    await expect(tool.view({ command: "view", path })).rejects.toMatchObject({ code: "INVALID_PATH", message: `Path must start with /memories, got: ${path}` });
    await expect(tool.create({ command: "create", path, file_text: "x" })).rejects.toMatchObject({ code: "INVALID_PATH" });
  });

  it("reports traversal with the documented message", () => {
    expect(() => memoryToolPath("/memories/../secrets.md")).toThrow("Path /memories/../secrets.md would escape /memories directory");
    expect(() => memoryToolPath("/memories/%2e%2e/secrets.md")).toThrow("Path /memories/%2e%2e/secrets.md would escape /memories directory");
    expect(memoryToolPath("/memories")).toBe("");
    expect(memoryToolPath("/memories/a/./b.md")).toBe("a/b.md");
    expect(memoryToolPath("/memories/100%25.md")).toBe("100%25.md");
  });

  it("refuses git's and reverie's own folders", async () => {
    await expect(tool.view({ command: "view", path: "/memories/.git/config.md" })).rejects.toMatchObject({ code: "INVALID_PATH" });
    await expect(tool.create({ command: "create", path: "/memories/.reverie/x.md", file_text: "x" })).rejects.toMatchObject({ code: "INVALID_PATH" });
  });

  it("refuses a symlink that leaves the folder", async () => {
    const outsideDir = await tempDir();
    await writeFile(join(outsideDir, "secret.md"), "secret\n");
    await symlink(outsideDir, join(dir, "link"));
    await expect(tool.view({ command: "view", path: "/memories/link/secret.md" })).rejects.toMatchObject({ code: "INVALID_PATH" });
    await expect(tool.create({ command: "create", path: "/memories/link/new.md", file_text: "x" })).rejects.toMatchObject({ code: "INVALID_PATH" });
    expect(await tool.view({ command: "view", path: "/memories" })).not.toContain("secret");
  });
});

describe("read-only mounts", () => {
  it("are viewed under their prefix and refuse every change with READ_ONLY", async () => {
    const org = join(base, "org");
    const orgMemory = await initMemory(org);
    await orgMemory.write("policies/deploy.md", "Deploy from the release branch only.\n", { stamp: false });
    await writeFile(join(dir, ".reverie/config.yaml"), "store: main\nmounts:\n  - path: org\n    dir: ../org\n    access: read_only\n");
    const mounted = memoryToolHandlers(await openMemory(dir), { agent: "claude-agent" });
    expect(await mounted.view({ command: "view", path: "/memories/org/policies/deploy.md" })).toBe(
      "Here's the content of /memories/org/policies/deploy.md with line numbers:\n     1\tDeploy from the release branch only.\n     2\t",
    );
    const orgHead = git(org, "rev-parse", "HEAD");
    for (const call of [
      () => mounted.create({ command: "create", path: "/memories/org/new.md", file_text: "x" }),
      () => mounted.str_replace({ command: "str_replace", path: "/memories/org/policies/deploy.md", old_str: "release", new_str: "main" }),
      () => mounted.insert({ command: "insert", path: "/memories/org/policies/deploy.md", insert_line: 0, insert_text: "x" }),
      () => mounted.delete({ command: "delete", path: "/memories/org/policies/deploy.md" }),
      () => mounted.delete({ command: "delete", path: "/memories/org" }),
      () => mounted.rename({ command: "rename", old_path: "/memories/org/policies/deploy.md", new_path: "/memories/deploy.md" }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: "READ_ONLY" });
    }
    expect(git(org, "rev-parse", "HEAD")).toBe(orgHead);
    expect(await readFile(join(org, "policies/deploy.md"), "utf8")).toBe("Deploy from the release branch only.\n");
  });
});

describe("concurrent edits of one file", () => {
  const forty = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";

  it("land when they do not overlap: 40 inserts at different lines give 40 lines and 40 commits", async () => {
    await tool.create({ command: "create", path: "/memories/shared.md", file_text: forty });
    const before = Number(git(dir, "rev-list", "--count", "HEAD").trim());
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => tool.insert({ command: "insert", path: "/memories/shared.md", insert_line: i + 1, insert_text: `added after ${i + 1}` })),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const lines = (await readFile(join(dir, "shared.md"), "utf8")).split("\n");
    // Each insert sits right below the line it was aimed at, whatever order they landed in.
    expect(lines.slice(0, 80)).toEqual(Array.from({ length: 40 }, (_, i) => [`line ${i + 1}`, `added after ${i + 1}`]).flat());
    expect(Number(git(dir, "rev-list", "--count", "HEAD").trim())).toBe(before + 40);
    expect(git(dir, "status", "--porcelain")).toBe("");
  }, 120_000);

  it("re-apply a str_replace whose old_str is still there once, and refuse a real overlap with CONFLICT", async () => {
    await tool.create({ command: "create", path: "/memories/shared.md", file_text: "port 8080\nregion eu-west\nowner ops\n" });
    const edits = await Promise.allSettled([
      tool.str_replace({ command: "str_replace", path: "/memories/shared.md", old_str: "8080", new_str: "9090" }),
      tool.str_replace({ command: "str_replace", path: "/memories/shared.md", old_str: "eu-west", new_str: "us-east" }),
      tool.insert({ command: "insert", path: "/memories/shared.md", insert_line: 3, insert_text: "team blue" }),
    ]);
    expect(edits.map((e) => e.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    expect(await readFile(join(dir, "shared.md"), "utf8")).toBe("port 9090\nregion us-east\nowner ops\nteam blue\n");
    const clash = await Promise.allSettled([
      tool.str_replace({ command: "str_replace", path: "/memories/shared.md", old_str: "owner ops", new_str: "owner sre" }),
      tool.str_replace({ command: "str_replace", path: "/memories/shared.md", old_str: "owner ops", new_str: "owner dev" }),
      tool.insert({ command: "insert", path: "/memories/shared.md", insert_line: 1, insert_text: "first" }),
      tool.insert({ command: "insert", path: "/memories/shared.md", insert_line: 1, insert_text: "second" }),
    ]);
    const outcome = clash.map((e) => (e.status === "fulfilled" ? "ok" : (e.reason as { code: string }).code));
    // Whichever of each pair took the lock first lands; the other overlaps it.
    expect([outcome.slice(0, 2).sort(), outcome.slice(2).sort()]).toEqual([
      ["CONFLICT", "ok"],
      ["CONFLICT", "ok"],
    ]);
    const owner = outcome[0] === "ok" ? "sre" : "dev";
    const first = outcome[2] === "ok" ? "first" : "second";
    expect(await readFile(join(dir, "shared.md"), "utf8")).toBe(`port 9090\n${first}\nregion us-east\nowner ${owner}\nteam blue\n`);
    const refused = clash.find((e): e is PromiseRejectedResult => e.status === "rejected")!;
    expect(String(refused.reason.message)).toBe(
      "/memories/shared.md was changed by someone else at the same place while it was being edited; nothing was written. View it again and retry the edit.",
    );
  });

  it("re-apply an insert over a hand edit elsewhere in the file", async () => {
    await tool.create({ command: "create", path: "/memories/shared.md", file_text: "a\nb\nc\n" });
    const seen = await memory.read("shared.md");
    await writeFile(join(dir, "shared.md"), "a\nb\nc\nd by hand\n");
    // The agent computed its insert on what it saw; the store re-applies it to what is there now.
    await memory.write("shared.md", (current) => (current?.sha256 === seen.sha256 ? "stale" : current!.content.replace("a\n", "a\nafter a\n")), { stamp: false });
    expect(await readFile(join(dir, "shared.md"), "utf8")).toBe("a\nafter a\nb\nc\nd by hand\n");
  });
});
