import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { initializedMemory, reverie } from "./support.js";

const BIN = fileURLToPath(new URL("../bin/reverie.js", import.meta.url));

let home: string;
let project: string;
let memory: string;

beforeEach(async () => {
  ({ dir: memory } = await initializedMemory());
  home = await tempDir("reverie-home-");
  project = await tempDir("reverie-project-");
});

const run = (args: string[]) => reverie(args, { env: { HOME: home }, cwd: project });
const hook = (dreamAfter?: number) => `${process.execPath} ${BIN} claude-code hook --memory ${memory}${dreamAfter ? ` --dream-after ${dreamAfter}` : ""}`;
const ourGroup = (dreamAfter?: number) => ({ hooks: [{ type: "command", command: hook(dreamAfter), timeout: 10 }] });
const ourServer = () => ({ command: process.execPath, args: [BIN, "mcp", "--dir", memory] });

/** A project whose settings already hold the user's own hooks and servers, in their own formatting. */
const USER_SETTINGS = `{
    "permissions": { "allow": ["Bash(pnpm test)"] },
    "hooks": {
        "SessionEnd": [{ "hooks": [{ "type": "command", "command": "echo bye >> ~/sessions.log" }] }],
        "PostToolUse": [{ "matcher": "Write", "hooks": [{ "type": "command", "command": "prettier --write" }] }]
    },
    "model": "sonnet"
}
`;
const USER_MCP = `{"mcpServers":{"github":{"command":"github-mcp","args":["--read-only"]}}}`;

describe("reverie claude-code install", () => {
  it("merges its hooks and MCP server with the user's, keeping every key and entry in order", async () => {
    await mkdir(join(project, ".claude"));
    await writeFile(join(project, ".claude/settings.json"), USER_SETTINGS);
    await writeFile(join(project, ".mcp.json"), USER_MCP);
    const result = run(["claude-code", "install", "--memory", memory, "--dream-after", "3"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        `Wrote ${project}/.claude/settings.json: SessionEnd and PreCompact hooks run: ${hook(3)}`,
        `Wrote ${project}/.mcp.json: MCP server "reverie" on ${memory}`,
        `Transcripts are imported into ${memory} when a session ends; a dream starts after every 3 new sessions. Problems are logged in ${memory}/.reverie/claude-code/hook.log.`,
        "Undo with: reverie claude-code uninstall",
        "",
      ].join("\n"),
    );
    // Merged byte-for-byte: the user's lines stay as they were; reverie's entries follow their siblings' layout.
    const settings = await readFile(join(project, ".claude/settings.json"), "utf8");
    const group = (n?: number) => `{ "hooks": [{ "type": "command", "command": ${JSON.stringify(hook(n))}, "timeout": 10 }] }`;
    expect(settings).toBe(
      [
        "{",
        `    "permissions": { "allow": ["Bash(pnpm test)"] },`,
        `    "hooks": {`,
        `        "SessionEnd": [{ "hooks": [{ "type": "command", "command": "echo bye >> ~/sessions.log" }] }, ${group(3)}],`,
        `        "PostToolUse": [{ "matcher": "Write", "hooks": [{ "type": "command", "command": "prettier --write" }] }],`,
        `        "PreCompact": [`,
        `            {`,
        `                "hooks": [`,
        `                    {`,
        `                        "type": "command",`,
        `                        "command": ${JSON.stringify(hook(3))},`,
        `                        "timeout": 10`,
        `                    }`,
        `                ]`,
        `            }`,
        `        ]`,
        `    },`,
        `    "model": "sonnet"`,
        "}",
        "",
      ].join("\n"),
    );
    expect(JSON.parse(settings)).toEqual({
      permissions: { allow: ["Bash(pnpm test)"] },
      hooks: {
        SessionEnd: [{ hooks: [{ type: "command", command: "echo bye >> ~/sessions.log" }] }, ourGroup(3)],
        PostToolUse: [{ matcher: "Write", hooks: [{ type: "command", command: "prettier --write" }] }],
        PreCompact: [ourGroup(3)],
      },
      model: "sonnet",
    });
    expect(await readFile(join(project, ".mcp.json"), "utf8")).toBe(`{"mcpServers":{"github":{"command":"github-mcp","args":["--read-only"]},"reverie":${JSON.stringify(ourServer())}}}`);

    // Again: nothing changes. With another --dream-after: reverie's entries are replaced, not doubled.
    expect(run(["claude-code", "install", "--memory", memory, "--dream-after", "3"]).stdout).toMatch(/^Already there: .*\nAlready there: /);
    expect(await readFile(join(project, ".claude/settings.json"), "utf8")).toBe(settings);
    expect(run(["claude-code", "install", "--memory", memory]).code).toBe(0);
    expect(await readFile(join(project, ".claude/settings.json"), "utf8")).toBe(settings.replaceAll(JSON.stringify(hook(3)), JSON.stringify(hook())));

    // Uninstall puts the user's exact bytes back.
    const undo = run(["claude-code", "uninstall"]);
    expect(undo).toEqual({
      code: 0,
      stdout: `${project}/.claude/settings.json: restored as it was before install\n${project}/.mcp.json: restored as it was before install\n`,
      stderr: "",
    });
    expect(await readFile(join(project, ".claude/settings.json"), "utf8")).toBe(USER_SETTINGS);
    expect(await readFile(join(project, ".mcp.json"), "utf8")).toBe(USER_MCP);
    expect(run(["claude-code", "uninstall"]).stdout).toBe(`${project}/.claude/settings.json: nothing of reverie's in it\n${project}/.mcp.json: nothing of reverie's in it\n`);
  });

  it("creates the files in a bare project, and uninstall deletes them again", async () => {
    expect(run(["claude-code", "install", "--memory", memory]).code).toBe(0);
    expect(JSON.parse(await readFile(join(project, ".claude/settings.json"), "utf8"))).toEqual({ hooks: { SessionEnd: [ourGroup()], PreCompact: [ourGroup()] } });
    expect(JSON.parse(await readFile(join(project, ".mcp.json"), "utf8"))).toEqual({ mcpServers: { reverie: ourServer() } });
    expect(run(["claude-code", "uninstall"]).stdout).toBe(`${project}/.claude/settings.json: deleted (install had created it)\n${project}/.mcp.json: deleted (install had created it)\n`);
    expect(await readdir(project)).toEqual([]);
  });

  it("removes only its own entries when the user changed the files after install", async () => {
    await mkdir(join(project, ".claude"));
    await writeFile(join(project, ".claude/settings.json"), USER_SETTINGS);
    expect(run(["claude-code", "install", "--memory", memory]).code).toBe(0);
    const settings = JSON.parse(await readFile(join(project, ".claude/settings.json"), "utf8"));
    settings.model = "opus";
    await writeFile(join(project, ".claude/settings.json"), JSON.stringify(settings, null, 4));
    expect(run(["claude-code", "uninstall"]).stdout).toBe(`${project}/.claude/settings.json: reverie's entries removed\n${project}/.mcp.json: deleted (install had created it)\n`);
    expect(await readFile(join(project, ".claude/settings.json"), "utf8")).toBe(JSON.stringify({ ...JSON.parse(USER_SETTINGS), model: "opus" }, null, 4));
  });

  it("--user writes ~/.claude/settings.json and ~/.claude.json; --project names another folder", async () => {
    await writeFile(join(home, ".claude.json"), `{\n  "numStartups": 4\n}\n`);
    expect(run(["claude-code", "install", "--user", "--memory", memory]).code).toBe(0);
    expect(JSON.parse(await readFile(join(home, ".claude/settings.json"), "utf8"))).toEqual({ hooks: { SessionEnd: [ourGroup()], PreCompact: [ourGroup()] } });
    expect(await readFile(join(home, ".claude.json"), "utf8")).toBe(`{\n  "numStartups": 4,\n  "mcpServers": ${JSON.stringify({ reverie: ourServer() }, null, 2).replace(/\n/g, "\n  ")}\n}\n`);
    expect(run(["claude-code", "uninstall", "--user"]).code).toBe(0);
    expect(await readFile(join(home, ".claude.json"), "utf8")).toBe(`{\n  "numStartups": 4\n}\n`);

    const other = await tempDir();
    expect(reverie(["claude-code", "install", "--project", other, "--dir", memory], { env: { HOME: home } }).code).toBe(0);
    expect(JSON.parse(await readFile(join(other, ".mcp.json"), "utf8"))).toEqual({ mcpServers: { reverie: ourServer() } });
  });

  it("refuses a missing memory, bad JSON and bad flags, changing nothing", async () => {
    expect(run(["claude-code", "install", "--memory", join(project, "nope")])).toEqual({
      code: 1,
      stdout: "",
      stderr: `reverie: No reverie memory at ${project}/nope: create it with: reverie init ${project}/nope (or pass --memory <folder>).\n`,
    });
    await mkdir(join(project, ".claude"));
    await writeFile(join(project, ".claude/settings.json"), "{ nope");
    const bad = run(["claude-code", "install", "--memory", memory]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`^reverie: ${project}/.claude/settings.json is not valid JSON \\(.+\\); fix it or move it away, then run this again. Nothing was changed.\\n$`));
    expect(await readdir(project)).toEqual([".claude"]);
    expect(run(["claude-code", "install", "--memory", memory, "--dream-after", "0"]).stderr).toBe(
      'reverie: --dream-after must be a whole number of at least 1 (e.g. --dream-after 20), got "0".\n',
    );
    expect(run(["claude-code", "install", "--user", "--project", project, "--memory", memory]).stderr).toBe("reverie: --user and --project name different places: pass one of them.\n");
  });
});
