import { spawnSync } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeEach, describe, expect, it } from "vitest";
import { initMemory, openMemory } from "@reverie/core";
import { tempDir } from "@reverie/test-utils";
import { claudeCodeProjectDir } from "./claude-code-paths.js";
import { dreamOverProject } from "./dream-project.js";
import { claudeMcpAddCommand, writeProjectMcpConfig } from "./setup.js";

const SAMPLE_SESSIONS = fileURLToPath(new URL("../../quickstart/sample/sessions", import.meta.url));
const SAMPLE_MEMORY = fileURLToPath(new URL("../../quickstart/sample/memory", import.meta.url));

let base: string;
let home: string;
let memoryDir: string;

beforeEach(async () => {
  base = await tempDir();
  home = join(base, "home");
  memoryDir = join(base, "memory");
  const memory = await initMemory(memoryDir);
  for (const folder of await readdir(SAMPLE_MEMORY)) {
    for (const file of await readdir(join(SAMPLE_MEMORY, folder))) {
      await memory.write(`${folder}/${file}`, await readFile(join(SAMPLE_MEMORY, folder, file), "utf8"), { stamp: false, agent: "claude-code" });
    }
  }
});

describe("Claude Code", () => {
  it("keeps sessions where claudeCodeProjectDir says", () => {
    expect(claudeCodeProjectDir("/home/dev/acme-api", "/home/dev")).toBe("/home/dev/.claude/projects/-home-dev-acme-api");
    expect(claudeCodeProjectDir("/work/my_app.v2", "/root")).toBe("/root/.claude/projects/-work-my-app-v2");
  });

  it("dreams over a project's ~/.claude/projects folder", async () => {
    const sessions = claudeCodeProjectDir("/home/dev/acme-api", home);
    await mkdir(sessions, { recursive: true });
    const files = (await readdir(SAMPLE_SESSIONS)).sort();
    for (const [i, file] of files.entries()) await copyFile(join(SAMPLE_SESSIONS, file), join(sessions, `6f0c2a51-1d6e-4c53-9d7e-0a1b2c3d4e0${i}.jsonl`));

    const run = await dreamOverProject({ memoryDir, project: "/home/dev/acme-api", home });
    expect(run).toMatchObject({ status: "completed", provider: "offline", outputs: { branch: `dream/${run.id}` } });
    expect(run.inputs.sessions).toHaveLength(files.length);
    expect(run.operations.length).toBeGreaterThan(0);
    expect(run.operations.map((op) => op.kind)).toContain("dedup");
    const memory = await openMemory(memoryDir);
    expect(await memory.exists("notes/pnpm.md")).toBe(true); // the proposal is a branch; the memory is untouched until adopted
    expect(spawnSync("git", ["status", "--porcelain"], { cwd: memoryDir, encoding: "utf8" }).stdout).toBe("");
  });

  it("says plainly when the project has no sessions", async () => {
    await expect(dreamOverProject({ memoryDir, project: "/home/dev/nothing", home })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("registers the MCP server: the claude mcp add line and a project's .mcp.json", async () => {
    expect(claudeMcpAddCommand(memoryDir)).toBe(`claude mcp add --scope user reverie -- reverie mcp --dir ${memoryDir}`);
    const project = join(base, "project");
    await mkdir(project);
    await writeFile(join(project, ".mcp.json"), JSON.stringify({ mcpServers: { other: { command: "other-server", args: [] } } }));
    const file = await writeProjectMcpConfig(project, memoryDir);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({
      mcpServers: {
        other: { command: "other-server", args: [] },
        reverie: { command: "reverie", args: ["mcp", "--dir", memoryDir] },
      },
    });
  });
});
