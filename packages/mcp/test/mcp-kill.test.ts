import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { initMemory } from "@reverie/core";
import { crashLeftovers as leftovers, killAfter, seededRandom as random, tempDir } from "@reverie/test-utils";

/** The MCP server's own binary, as `reverie mcp` starts it. */
const SERVER = fileURLToPath(new URL("../bin/reverie-mcp.js", import.meta.url));
/** Kills per case: a few in `pnpm test` (the bench's crash suite kills many more); REVERIE_TEST_KILLS raises it. */
const KILLS = Number(process.env.REVERIE_TEST_KILLS ?? 4);
const BATCH = 25;

function git(dir: string, ...args: string[]): string {
  return spawnSync("git", args, { cwd: dir, encoding: "utf8" }).stdout;
}

const rpc = (id: number, method: string, params: unknown) => `${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`;
const initialize = rpc(0, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "kill-test", version: "1" } }) + `${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`;
const create = (id: number, path: string) => rpc(id, "tools/call", { name: "memory_create", arguments: { path: `/memories/${path}`, file_text: `Batch file ${path}.\n` } });

/**
 * Starts the server in its own process group, sends one batch of creates, and kill -9s it (the
 * group, or node alone) after `delayMs`. Returns the paths whose create was acknowledged.
 */
function batchAndKill(dir: string, paths: string[], delayMs: number, group: boolean): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER, "--dir", dir], { detached: true, stdio: ["pipe", "pipe", "ignore"] });
    const acked: string[] = [];
    let buffered = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const message = JSON.parse(buffered.slice(0, nl)) as { id?: number; result?: { isError?: boolean } };
        buffered = buffered.slice(nl + 1);
        if (typeof message.id === "number" && message.id > 0 && message.result && message.result.isError !== true) acked.push(paths[message.id - 1]!);
      }
    });
    child.stdin.on("error", () => undefined);
    child.stdin.write(initialize + paths.map((path, i) => create(i + 1, path)).join(""));
    void killAfter(child, delayMs, group).then(() => resolve(acked));
  });
}

/** Starts the server with a real MCP client, creates `path`, and closes it; returns the reply and the server's stderr. */
async function nextServer(dir: string, path: string): Promise<{ created: string; stderr: string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SERVER, "--dir", dir],
    env: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => void (stderr += chunk.toString("utf8")));
  const client = new Client({ name: "kill-test", version: "1" });
  await client.connect(transport);
  try {
    const result = (await client.callTool({ name: "memory_create", arguments: { path: `/memories/${path}`, file_text: "After the kill.\n" } })) as { content: Array<{ text?: string }> };
    return { created: result.content.map((c) => c.text ?? "").join(""), stderr };
  } finally {
    await client.close();
  }
}

describe("kill -9 of the MCP server in the middle of a batch of writes", () => {
  it(`loses no acknowledged write, and the next server starts and writes with nothing left behind (${KILLS} kills)`, async () => {
    const seed = Date.now() % 100_000;
    console.log(`kill test (mcp) seed ${seed}`);
    const rand = random(seed);
    const dir = join(await tempDir(), "memory");
    await initMemory(dir);
    let acknowledged = 0;
    for (let i = 0; i < KILLS; i++) {
      const paths = Array.from({ length: BATCH }, (_, j) => `k${i}/f${j}.md`);
      const acked = await batchAndKill(dir, paths, 1500 + Math.floor(rand() * 4000), i % 2 === 0);
      acknowledged += acked.length;
      await new Promise((resolve) => setTimeout(resolve, 50));
      // The next server recovers first, then serves: one create through a real client.
      const next = await nextServer(dir, `after${i}.md`);
      expect(next.created, `after kill ${i} (seed ${seed}): ${next.stderr}`).toBe(`File created successfully at: /memories/after${i}.md`);
      const lines = next.stderr.trim().split("\n");
      if (lines.length > 1) console.log(`kill test (mcp) ${i}: ${lines[0]}`);
      // What it repaired is said in one line, before it starts serving.
      expect(lines.at(-1)).toBe(`reverie mcp: serving ${dir} over stdio`);
      expect(lines.slice(0, -1).every((l) => l.startsWith("reverie mcp: recovered from a crash: "))).toBe(true);
      expect(lines.length).toBeLessThanOrEqual(2);
      const head = new Set(git(dir, "ls-tree", "-r", "--name-only", "HEAD").split("\n"));
      for (const path of acked) expect(head.has(path), `acknowledged ${path} is not in HEAD (seed ${seed})`).toBe(true);
      expect(head.has(`after${i}.md`)).toBe(true);
      expect(git(dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
      expect(await leftovers(dir)).toEqual([]);
    }
    console.log(`kill test (mcp): ${acknowledged} acknowledged writes, all in HEAD`);
    expect(git(dir, "fsck", "--no-progress").trim()).toBe("");
  }, 240_000);
});

describe("a client that sends its requests and hangs up", () => {
  it("gets every reply: writes under way finish before the server exits", async () => {
    const dir = join(await tempDir(), "memory");
    await initMemory(dir);
    const paths = ["a.md", "b.md", "c.md"];
    const run = spawnSync(process.execPath, [SERVER, "--dir", dir], { input: initialize + paths.map((p, i) => create(i + 1, p)).join(""), encoding: "utf8", timeout: 60_000 });
    expect(run.status).toBe(0);
    const replies = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as { id: number; result: { content: Array<{ text: string }> } });
    expect(replies.filter((r) => r.id > 0).map((r) => [r.id, r.result.content[0]!.text]).sort()).toEqual(paths.map((p, i) => [i + 1, `File created successfully at: /memories/${p}`]));
    expect(git(dir, "ls-tree", "--name-only", "HEAD").split("\n").filter((p) => paths.includes(p)).sort()).toEqual(paths);
    expect(git(dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
  }, 60_000);
});
