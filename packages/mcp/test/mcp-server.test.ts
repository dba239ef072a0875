import { spawnSync } from "node:child_process";
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initMemory } from "@reverie/core";
import { tempDir } from "@reverie/test-utils";

/** The built `reverie` binary: the test drives `reverie mcp` exactly as Claude Code would start it. */
const REVERIE = fileURLToPath(new URL("../../cli/bin/reverie.js", import.meta.url));
const SAMPLE_SESSIONS = fileURLToPath(new URL("../../../examples/quickstart/sample/sessions", import.meta.url));

function git(dir: string, ...args: string[]): string {
  return spawnSync("git", args, { cwd: dir, encoding: "utf8" }).stdout;
}

interface TextResult {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
}

function text(result: unknown): string {
  return (result as TextResult).content.map((c) => c.text ?? "").join("");
}

let dir: string;
let client: Client;

async function connect(memoryDir: string, name = "test-agent"): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [REVERIE, "mcp", "--dir", memoryDir],
    env: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
    stderr: "pipe",
  });
  const connected = new Client({ name, version: "1.0.0" });
  await connected.connect(transport);
  return connected;
}

beforeEach(async () => {
  dir = join(await tempDir(), "memory");
  await initMemory(dir);
  client = await connect(dir);
});

afterEach(async () => {
  await client.close();
});

describe("reverie mcp over stdio", () => {
  it("lists the ten tools with read-only and destructive hints", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => [t.name, t.annotations?.readOnlyHint ?? false, t.annotations?.destructiveHint ?? false])).toEqual([
      ["memory_view", true, false],
      ["memory_create", false, false],
      ["memory_str_replace", false, true],
      ["memory_insert", false, false],
      ["memory_delete", false, true],
      ["memory_rename", false, false],
      ["memory_search", true, false],
      ["memory_history", true, false],
      ["dream_start", false, false],
      ["dream_status", true, false],
    ]);
    const create = tools.find((t) => t.name === "memory_create")!;
    expect(create.inputSchema).toMatchObject({ type: "object", required: ["path", "file_text"] });
    expect(Object.keys(tools.find((t) => t.name === "memory_view")!.inputSchema.properties ?? {})).toEqual(["path", "view_range"]);
  });

  it("create, view, str_replace, insert, rename and delete are commits attributed to the client", async () => {
    const call = async (name: string, args: Record<string, unknown>) => text(await client.callTool({ name, arguments: args }));
    expect(await call("memory_create", { path: "/memories/prefs/pm.md", file_text: "Use pnpm, not npm.\n" })).toBe("File created successfully at: /memories/prefs/pm.md");
    expect(await call("memory_view", { path: "/memories/prefs/pm.md" })).toBe("Here's the content of /memories/prefs/pm.md with line numbers:\n     1\tUse pnpm, not npm.\n     2\t");
    expect(await call("memory_str_replace", { path: "/memories/prefs/pm.md", old_str: "not npm", new_str: "never npm" })).toContain("The memory file has been edited.");
    expect(await call("memory_insert", { path: "/memories/prefs/pm.md", insert_line: 0, insert_text: "# Package manager" })).toBe("The file /memories/prefs/pm.md has been edited.");
    expect(await call("memory_rename", { old_path: "/memories/prefs/pm.md", new_path: "/memories/tooling/pm.md" })).toBe(
      "Successfully renamed /memories/prefs/pm.md to /memories/tooling/pm.md",
    );
    expect(await readFile(join(dir, "tooling/pm.md"), "utf8")).toBe("# Package manager\nUse pnpm, never npm.\n");
    expect(await call("memory_delete", { path: "/memories/tooling/pm.md" })).toBe("Successfully deleted /memories/tooling/pm.md");

    expect(git(dir, "log", "-5", "--format=%an|%s|%(trailers:key=Agent,valueonly,unfold)%(trailers:key=Memory-Op,valueonly,unfold)").trim().split(/\n+/)).toEqual([
      "test-agent|memory: delete tooling/pm.md|test-agent",
      "delete",
      "test-agent|memory: rename prefs/pm.md -> tooling/pm.md|test-agent",
      "rename",
      "test-agent|memory: update prefs/pm.md|test-agent",
      "update",
      "test-agent|memory: update prefs/pm.md|test-agent",
      "update",
      "test-agent|memory: create prefs/pm.md|test-agent",
      "create",
    ]);
    const history = JSON.parse(await call("memory_history", { limit: 2 }));
    expect(history.map((h: { op: string; agent: string; paths: unknown[] }) => [h.op, h.agent, h.paths])).toEqual([
      ["delete", "test-agent", [{ status: "D", path: "/memories/tooling/pm.md" }]],
      ["rename", "test-agent", [{ status: "R", path: "/memories/tooling/pm.md", from: "/memories/prefs/pm.md" }]],
    ]);
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it("search finds memories, including ones written by others since the server started", async () => {
    await client.callTool({ name: "memory_create", arguments: { path: "/memories/infra/port.md", file_text: "# API port\nThe API listens on 8080.\n" } });
    const search = async (query: string) =>
      JSON.parse(text(await client.callTool({ name: "memory_search", arguments: { query, limit: 3 } }))).map((h: { path: string; title: string }) => [h.path, h.title]);
    expect(await search("api port")).toEqual([["/memories/infra/port.md", "API port"]]);
    // Another process's commit is seen by the very next search (the server notices HEAD moved).
    const cli = spawnSync(process.execPath, [REVERIE, "write", "--dir", dir, "ops/deploy.md"], { input: "# Deploy\nDeploy from the release branch.\n", encoding: "utf8" });
    expect(cli.status, cli.stderr).toBe(0);
    // First: memories with every term rank above those with some (the folder's README says "branch").
    expect((await search("release branch"))[0]).toEqual(["/memories/ops/deploy.md", "Deploy"]);
    // A hand edit, never committed, is seen once the server's file watcher reports it.
    await writeFile(join(dir, "by-hand.md"), "# Rollback\nRoll back with the previous tag.\n");
    await expect.poll(async () => (await search("previous tag"))[0], { timeout: 5000 }).toEqual(["/memories/by-hand.md", "Rollback"]);
    await writeFile(join(dir, "infra", "port.md"), "# API port\nThe API listens on 9090 now.\n");
    await expect.poll(async () => (await search("9090"))[0], { timeout: 5000 }).toEqual(["/memories/infra/port.md", "API port"]);
  });

  it("lands 40 concurrent inserts at different lines of one file: 40 lines, 40 commits", async () => {
    const forty = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
    await client.callTool({ name: "memory_create", arguments: { path: "/memories/shared.md", file_text: forty } });
    const before = Number(git(dir, "rev-list", "--count", "HEAD").trim());
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => client.callTool({ name: "memory_insert", arguments: { path: "/memories/shared.md", insert_line: i + 1, insert_text: `added ${i + 1}` } })),
    );
    expect(results.filter((r) => (r as TextResult).isError).map(text)).toEqual([]);
    const lines = (await readFile(join(dir, "shared.md"), "utf8")).split("\n");
    expect(lines.filter((l) => l.startsWith("added ")).length).toBe(40);
    expect(lines.slice(0, 80)).toEqual(Array.from({ length: 40 }, (_, i) => [`line ${i + 1}`, `added ${i + 1}`]).flat());
    expect(Number(git(dir, "rev-list", "--count", "HEAD").trim())).toBe(before + 40);
    expect(git(dir, "status", "--porcelain")).toBe("");
  }, 120_000);

  it("errors come back as isError results carrying the code", async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["memory_view", { path: "/memories/nope.md" }, "NOT_FOUND"],
      ["memory_view", { path: "/memories/../secrets.md" }, "INVALID_PATH"],
      ["memory_view", { path: "/etc/passwd" }, "INVALID_PATH"],
      ["memory_create", { path: "/memories/%2e%2e/x.md", file_text: "x" }, "INVALID_PATH"],
      ["memory_create", { path: "/memories/README.md", file_text: "x" }, "ALREADY_EXISTS"],
      ["memory_rename", { old_path: "/memories/README.md", new_path: "/memories/../../x.md" }, "INVALID_PATH"],
      ["memory_delete", { path: "/memories" }, "INVALID_PATH"],
      ["dream_status", { id: "drm_nope" }, "INVALID_INPUT"],
    ];
    for (const [name, args, code] of cases) {
      const result = (await client.callTool({ name, arguments: args })) as TextResult;
      expect({ name, args, isError: result.isError, error: JSON.parse(text(result)).error }).toMatchObject({ isError: true, error: { code, message: expect.any(String) } });
    }
    expect(JSON.parse(text(await client.callTool({ name: "memory_view", arguments: { path: "/memories/nope.md" } })))).toEqual({
      error: { code: "NOT_FOUND", message: "The path /memories/nope.md does not exist. Please provide a valid path.", data: { path: "/memories/nope.md" } },
    });
    expect(git(dir, "log", "--format=%s")).toBe("memory: init\n");
  });

  it("refuses writes to a read-only mount", async () => {
    const org = join(dir, "..", "org");
    const orgMemory = await initMemory(org);
    await orgMemory.write("policy.md", "Deploy on Tuesdays.\n", { stamp: false });
    await writeFile(join(dir, ".reverie/config.yaml"), "store: main\nmounts:\n  - path: org\n    dir: ../org\n    access: read_only\n");
    const mounted = await connect(dir, "mounted-agent");
    try {
      expect(text(await mounted.callTool({ name: "memory_view", arguments: { path: "/memories/org/policy.md" } }))).toContain("Deploy on Tuesdays.");
      for (const [name, args] of [
        ["memory_str_replace", { path: "/memories/org/policy.md", old_str: "Tuesdays", new_str: "Fridays" }],
        ["memory_create", { path: "/memories/org/new.md", file_text: "x" }],
        ["memory_delete", { path: "/memories/org/policy.md" }],
      ] as const) {
        const result = (await mounted.callTool({ name, arguments: args })) as TextResult;
        expect(result.isError).toBe(true);
        expect(JSON.parse(text(result)).error.code).toBe("READ_ONLY");
      }
    } finally {
      await mounted.close();
    }
    expect(await readFile(join(org, "policy.md"), "utf8")).toBe("Deploy on Tuesdays.\n");
  });

  it("dream_start dreams offline over sessions and dream_status reports it", async () => {
    const sessions = join(dir, "..", "sessions");
    await cp(SAMPLE_SESSIONS, sessions, { recursive: true });
    const started = JSON.parse(text(await client.callTool({ name: "dream_start", arguments: { sessions: [sessions], wait: true } })));
    expect(started).toMatchObject({ id: expect.stringMatching(/^drm_/), status: "completed", provider: "offline", sessions: 4, branch: `dream/${started.id}` });
    const status = JSON.parse(text(await client.callTool({ name: "dream_status", arguments: { id: started.id } })));
    expect(status).toMatchObject({ id: started.id, status: "completed", adopted: false });
    // Each gate's state is the one `dream show` prints (pass / FAIL / note), from one definition (gateState).
    expect(status.gates.map((g: { name: string; state: string }) => `${g.name}:${g.state}`)).toEqual(["loss_cap:pass", "no_op:pass", "evidence:pass", "injection:pass", "secrets:pass"]);
    // The review commands it prints run as printed, from any folder (the agent's shell is not the server's).
    expect(status.review).toEqual([
      `reverie dream show ${started.id} --dir ${dir} --evidence`,
      `reverie dream review ${started.id} --dir ${dir}`,
      `reverie dream adopt ${started.id} --dir ${dir} [--skip N]`,
      `reverie dream discard ${started.id} --dir ${dir}`,
    ]);
    const elsewhere = await tempDir();
    const shown = spawnSync(process.execPath, [REVERIE, ...status.review[0].split(" ").slice(1)], { cwd: elsewhere, encoding: "utf8", env: { ...process.env, REVERIE_DIR: "" } });
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain("user:     From now on the API server uses port 9090, not 8080.");
    const listed = JSON.parse(text(await client.callTool({ name: "dream_status", arguments: {} })));
    expect(listed.map((d: { id: string }) => d.id)).toEqual([started.id]);
    expect(git(dir, "branch", "--list", "dream/*").trim()).toBe(`dream/${started.id}`);
    expect(git(dir, "status", "--porcelain")).toBe("");
  });
});
