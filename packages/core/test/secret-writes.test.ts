import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { initMemory, memoryToolHandlers, type Memory, type MemoryToolHandlers } from "@reverie/core";
import { fakeCredentials, tempDir } from "@reverie/test-utils";

function git(dir: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}

/** Files, index and refs: what a refused write must leave as it was. */
function snapshot(dir: string): string {
  return [git(dir, "status", "--porcelain", "--untracked-files=all"), git(dir, "rev-parse", "HEAD"), git(dir, "ls-files", "-s")].join("\n");
}

let dir: string;
let memory: Memory;
let tool: MemoryToolHandlers;
const credentials = fakeCredentials(11);
const github = credentials.find((c) => c.kind === "github-token")!;

beforeEach(async () => {
  dir = join(await tempDir(), "memory");
  memory = await initMemory(dir, { clock: () => new Date("2026-11-21T08:02:00Z") });
  tool = memoryToolHandlers(memory, { agent: "claude-agent", session: "ses_tool" });
});

describe("writes refuse secrets", () => {
  it.each(credentials.map((c) => [c.kind, c] as const))("memory.write refuses a %s in the content, naming file, kind and line", async (kind, credential) => {
    const before = snapshot(dir);
    const content = `# Deploy\n\nThe release needs:\n${credential.line}\n`;
    await expect(memory.write("ops/deploy.md", content)).rejects.toMatchObject({
      code: "SECRET_DETECTED",
      message: expect.stringMatching(new RegExp(`^Refused to write ops/deploy\\.md: line 4 holds an? ${kind}\\..*allowSecrets: true \\(CLI: --allow-secrets\\)\\.$`)),
      data: { path: "ops/deploy.md", kind, line: 4 },
    });
    expect(snapshot(dir)).toBe(before);
  });

  it("never repeats the secret in the error", async () => {
    const error = await memory.write("ops/deploy.md", `${github.line}\n`).catch((e: unknown) => e as Error);
    expect(JSON.stringify(error)).not.toContain(github.secret);
    expect(String((error as Error).message)).not.toContain(github.secret);
  });

  it("refuses a secret in the file name, and redacts it in the message", async () => {
    const aws = credentials.find((c) => c.kind === "aws-access-key")!;
    await expect(memory.write(`lessons/use-${aws.secret}.md`, "Use the new key.\n")).rejects.toMatchObject({
      code: "SECRET_DETECTED",
      message: expect.stringContaining("Refused to write lessons/use-<redacted:aws-access-key>.md: its file name holds an aws-access-key."),
    });
  });

  it("refuses a rename onto a path that holds a secret, and a secret in the attribution", async () => {
    await memory.write("notes/a.md", "plain\n");
    const before = snapshot(dir);
    const aws = credentials.find((c) => c.kind === "aws-access-key")!;
    await expect(memory.rename("notes/a.md", `notes/${aws.secret}.md`)).rejects.toMatchObject({ code: "SECRET_DETECTED", data: { kind: "aws-access-key" } });
    await expect(memory.renameMany([{ from: "notes/a.md", to: `keys/${aws.secret}/a.md` }])).rejects.toMatchObject({ code: "SECRET_DETECTED" });
    await expect(memory.write("notes/b.md", "plain\n", { session: github.secret })).rejects.toMatchObject({
      code: "SECRET_DETECTED",
      message: expect.stringContaining("the session it would be attributed to holds a github-token"),
    });
    expect(snapshot(dir)).toBe(before);
  });

  it("writes it anyway with allowSecrets, and edits of a file that already held a secret still work", async () => {
    const result = await memory.write("ops/deploy.md", `# Deploy\n${github.line}\n`, { allowSecrets: true, stamp: false });
    expect(result.op).toBe("create");
    // The secret was already there: a later edit that keeps it is not refused, one that adds another is.
    await memory.write("ops/deploy.md", `# Deploy (updated)\n${github.line}\n`, { stamp: false });
    const npm = credentials.find((c) => c.kind === "npm-token")!;
    await expect(memory.write("ops/deploy.md", `# Deploy\n${github.line}\n${npm.line}\n`, { stamp: false })).rejects.toMatchObject({
      code: "SECRET_DETECTED",
      data: { kind: "npm-token", line: 3 },
    });
  });

  it("lists every new secret of a write", async () => {
    const [aws, secret] = credentials;
    await expect(memory.write("ops/aws.md", `${aws!.line}\n${secret!.line}\n`)).rejects.toMatchObject({
      data: { secrets: [{ what: "content", kind: "aws-access-key", line: 1 }, { what: "content", kind: "aws-secret-key", line: 2 }] },
      message: expect.stringContaining("line 1 holds an aws-access-key (and 1 more: aws-secret-key on line 2)."),
    });
  });
});

describe("the memory tool (and so MCP) gets the refusal as its text", () => {
  it("create, str_replace, insert and rename refuse a secret; nothing is committed", async () => {
    await tool.create({ command: "create", path: "/memories/ops/deploy.md", file_text: "# Deploy\nRun the release script.\n" });
    const before = snapshot(dir);
    const message = /^Refused to write \/memories\/ops\/(deploy|new)\.md: line \d holds a github-token\. Memories are committed and shared, so nothing was written\. Write it again without the secret/;
    await expect(tool.create({ command: "create", path: "/memories/ops/new.md", file_text: `${github.line}\n` })).rejects.toMatchObject({ code: "SECRET_DETECTED", message: expect.stringMatching(message) });
    await expect(tool.str_replace({ command: "str_replace", path: "/memories/ops/deploy.md", old_str: "Run the release script.", new_str: github.line })).rejects.toMatchObject({
      code: "SECRET_DETECTED",
      message: expect.stringMatching(message),
      data: { path: "/memories/ops/deploy.md", line: 2 },
    });
    await expect(tool.insert({ command: "insert", path: "/memories/ops/deploy.md", insert_line: 1, insert_text: github.line })).rejects.toMatchObject({ code: "SECRET_DETECTED" });
    const aws = credentials.find((c) => c.kind === "aws-access-key")!;
    await expect(tool.rename({ command: "rename", old_path: "/memories/ops/deploy.md", new_path: `/memories/ops/${aws.secret}.md` })).rejects.toMatchObject({
      code: "SECRET_DETECTED",
      message: expect.stringContaining("Refused to write /memories/ops/<redacted:aws-access-key>.md: its file name holds an aws-access-key."),
    });
    expect(snapshot(dir)).toBe(before);
    expect(git(dir, "log", "--all", "-p")).not.toContain(github.secret);
  });
});
