import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { initMemory } from "@reverie/core";
import { tempDir } from "@reverie/test-utils";
import { MAX_MESSAGE_BYTES, topLevelId } from "../src/stdio-transport.js";

/** The MCP server's own binary, as `reverie mcp` starts it. */
const SERVER = fileURLToPath(new URL("../bin/reverie-mcp.js", import.meta.url));

function git(dir: string, ...args: string[]): string {
  return spawnSync("git", args, { cwd: dir, encoding: "utf8" }).stdout;
}

const rpc = (id: number, method: string, params: unknown) => `${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`;
const initialize = rpc(0, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "hostile", version: "1" } }) + `${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`;
const call = (id: number, name: string, args: unknown) => rpc(id, "tools/call", { name, arguments: args });

interface Reply {
  id: number | string | null;
  result?: { content: Array<{ text: string }>; isError?: boolean };
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

/** Sends `input` to a fresh server on the memory and returns its replies, exit code and stderr once stdin ends. */
function serve(dir: string, input: string): { replies: Reply[]; status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [SERVER, "--dir", dir], { input, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { replies: run.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Reply), status: run.status, stderr: run.stderr };
}

describe("an MCP client that sends oversized, malformed or forbidden messages", () => {
  it("gets a JSON-RPC error for each, the server stays up to answer the next call, and nothing is written", async () => {
    const dir = join(await tempDir(), "memory");
    await initMemory(dir);
    const huge = call(7, "memory_create", { path: "/memories/huge.md", file_text: "x".repeat(MAX_MESSAGE_BYTES + 1024) });
    const input = [
      initialize,
      "this is not json\n",
      `${JSON.stringify({ hello: "world", id: 3 })}\n`,
      `${JSON.stringify([{ jsonrpc: "2.0", id: 4, method: "ping" }])}\n`,
      huge,
      call(8, "memory_create", { path: "/memories/x.md", file_text: "x\n", mode: "0777" }),
      call(9, "memory_view", { path: 42 }),
      call(10, "memory_search", { query: "x", extra: true, more: 1 }),
      call(11, "memory_view", { path: "/memories" }),
    ].join("");
    const { replies, status } = serve(dir, input);
    const byId = new Map(replies.map((r) => [r.id, r]));
    expect(replies.filter((r) => r.id === null).map((r) => r.error!.code)).toEqual([-32700, -32600]);
    expect(byId.get(3)!.error).toMatchObject({ code: -32600, message: expect.stringContaining("not a JSON-RPC 2.0 message") });
    expect(byId.get(7)!.error).toMatchObject({ code: -32600, data: { limit: MAX_MESSAGE_BYTES, size: huge.length - 1 } });
    expect(byId.get(8)!.error).toMatchObject({ code: -32602, message: 'Invalid params for memory_create: unknown argument "mode". Nothing was done; call it again with only the arguments its input schema lists.' });
    expect(byId.get(9)!.error).toMatchObject({ code: -32602, message: expect.stringContaining("path: Expected string, received number") });
    expect(byId.get(10)!.error).toMatchObject({ code: -32602, message: expect.stringContaining('unknown arguments "extra", "more"') });
    // Still answers; the root README.md describes the memory and is not listed.
    expect(byId.get(11)!.result!.content[0]!.text).toMatch(/^Here're the files and directories up to 2 levels deep in \/memories[^\n]*\n\S+\t\/memories$/);
    expect(status).toBe(0);
    expect(git(dir, "log", "--format=%s")).toBe("memory: init\n");
    expect(git(dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
  }, 120_000);

  it("a request before initialize is refused with -32600, ping excepted", async () => {
    const dir = join(await tempDir(), "memory");
    await initMemory(dir);
    const { replies } = serve(dir, rpc(1, "tools/list", {}) + rpc(2, "ping", {}) + call(3, "memory_create", { path: "/memories/a.md", file_text: "a\n" }));
    // Refusals are written at once, the ping's answer after the server handles it: compare by id.
    expect(replies.map((r) => [r.id, r.error?.code ?? "ok"]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [1, -32600],
      [2, "ok"],
      [3, -32600],
    ]);
    expect(git(dir, "log", "--format=%s")).toBe("memory: init\n");
  }, 60_000);
});

describe("topLevelId", () => {
  it("reads the id of the top-level object only", () => {
    expect(topLevelId('{"jsonrpc":"2.0","id":7,"method":"x","params":{"id":9}}')).toBe(7);
    expect(topLevelId('{"params":{"id":9,"s":"}\\"{"},"id":"abc","method":"x"')).toBe("abc");
    expect(topLevelId('{"method":"x","params":{"arguments":{"file_text":"xxxx')).toBeNull();
    expect(topLevelId("garbage")).toBeNull();
  });
});
