import { spawnSync } from "node:child_process";
import { symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initMemory, memoryToolHandlers, openMemory, parseNote } from "@reverie/core";
import { dream, offlineConsolidator } from "@reverie/dream";
import { measured, type Row } from "../report/row.js";
import { measureInjectionsTrusted, measureSecretsLeaked } from "./security-dream.js";
import type { SuiteContext, SuiteResult } from "./suite.js";

/** The MCP server's binary (bench/dist/suites/ → packages/mcp/bin/). */
const MCP = fileURLToPath(new URL("../../../packages/mcp/bin/reverie-mcp.js", import.meta.url));
/** Sessions for the dream to read (a dream with none stops before reading the memories). */
const SESSIONS = fileURLToPath(new URL("../../../examples/quickstart/sample/sessions", import.meta.url));
const KEYS = 100_000;
/** The MCP server's documented limit (packages/mcp/src/stdio-transport.ts). */
const MCP_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

function git(dir: string, ...args: string[]): string {
  return spawnSync("git", args, { cwd: dir, encoding: "utf8" }).stdout;
}

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn().catch(() => undefined);
  return (performance.now() - start) / 1000;
}

/**
 * A pulled folder that attacks the reader (issue 18.3–18.5): a 100,000-key front-matter, an
 * alias bomb, a link into `.git/`, and hostile MCP frames. Every command must answer in under a
 * second with a located error, and the MCP server must answer every bad frame and stay up.
 */
export async function securitySuite(ctx: SuiteContext): Promise<SuiteResult> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const dir = join(ctx.workDir, "memory");
  const memory = await initMemory(dir);
  await memory.write("prefs/pm.md", "Use pnpm, not npm.\n");
  await memory.close();

  // Each command from a fresh open (cold index), as a command-line run would.
  const opened = () => openMemory(dir);
  const readers: Array<[string, () => Promise<unknown>]> = [
    ["ls", async () => (await opened()).list()],
    ["read", async () => (await opened()).read("huge.md")],
    ["search", async () => (await opened()).search("pnpm")],
    ["memory_view", async () => memoryToolHandlers(await opened()).view({ command: "view", path: "/memories" })],
    ["memory_view file", async () => memoryToolHandlers(await opened()).view({ command: "view", path: "/memories/huge.md" })],
  ];
  // Dreams and doctor take seconds on any folder; what counts is what the hostile file adds.
  const heavy: Array<[string, () => Promise<unknown>]> = [
    ["dream", async () => dream({ memory: await opened(), consolidator: offlineConsolidator(), sessions: [SESSIONS] })],
    ["doctor", async () => (await opened()).doctor()],
  ];
  const clean = new Map<string, number>();
  for (const [name, run] of heavy) clean.set(name, await seconds(run));

  await writeFile(join(dir, "huge.md"), `---\n${Array.from({ length: KEYS }, (_, i) => `k${i}: v${i}`).join("\n")}\n---\nbody\n`);
  await writeFile(join(dir, "bomb.md"), "---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n---\n");
  await symlink(".git/config", join(dir, "gitcfg.md"));
  git(dir, "add", "-A");
  git(dir, "-c", "user.name=attacker", "-c", "user.email=a@example.com", "commit", "-qm", "pulled");

  const times: Array<[string, number]> = [];
  for (const [name, run] of readers) times.push([name, await seconds(run)]);
  const worst = times.reduce((a, b) => (b[1] > a[1] ? b : a));
  const added: Array<[string, number]> = [];
  for (const [name, run] of heavy) added.push([name, (await seconds(run)) - clean.get(name)!]);
  notes.push(
    `100,000-key front-matter (1.4 MiB), an alias bomb and a link into .git/: ${times.map(([n, t]) => `${n} ${t.toFixed(2)} s`).join(", ")}; ` +
      `${added.map(([n, t]) => `${n} ${(clean.get(n)! + t).toFixed(2)} s (${clean.get(n)!.toFixed(2)} s without them)`).join(", ")}`,
  );
  rows.push(measured("security", "limits_max_command_s", Number(worst[1].toFixed(3)), "s", { budget: { max: 1 }, subject: `ls, read, search, memory_view on a 100,000-key front-matter; slowest: ${worst[0]}` }));
  for (const [name, t] of added) {
    rows.push(measured("security", `limits_${name}_added_s`, Number(Math.max(0, t).toFixed(3)), "s", { budget: { max: 1 }, subject: `what the hostile files add to ${name}` }));
  }

  // Parsing is linear: time per MB of a 1 MiB body against a 1 KiB one.
  const parseMsPerMb = (bytes: number) => {
    const text = `---\ntitle: t\n---\n${"word ".repeat(Math.floor(bytes / 5))}`;
    const runs = Math.max(1, Math.floor((64 * 1024 * 1024) / bytes / 64));
    const start = performance.now();
    for (let i = 0; i < runs; i++) parseNote("x.md", text);
    return (performance.now() - start) / runs / (bytes / (1024 * 1024));
  };
  parseMsPerMb(1024);
  const small = parseMsPerMb(1024);
  const large = parseMsPerMb(1000 * 1024);
  rows.push(measured("security", "limits_parse_ms_per_mb_1mb", Number(large.toFixed(2)), "ms/MB", { subject: `1 KiB: ${small.toFixed(2)} ms/MB` }));

  // Hostile MCP frames: each must get a JSON-RPC error, the server must answer the call after them, and nothing be written.
  const rpc = (id: number, method: string, params: unknown) => `${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`;
  const call = (id: number, name: string, args: unknown) => rpc(id, "tools/call", { name, arguments: args });
  const frames = [
    "not json\n",
    `${JSON.stringify({ id: 2, hello: 1 })}\n`,
    call(3, "memory_create", { path: "/memories/huge2.md", file_text: "x".repeat(MCP_MAX_MESSAGE_BYTES + 1) }),
    call(4, "memory_create", { path: "/memories/x.md", file_text: "x\n", mode: "0777" }),
    call(5, "memory_str_replace", { path: "/memories/gitcfg.md", old_str: "[core]", new_str: "x" }),
  ];
  const head = git(dir, "rev-parse", "HEAD");
  const input = rpc(0, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } }) + frames.join("") + call(9, "memory_view", { path: "/memories/prefs" });
  const run = spawnSync(process.execPath, [MCP, "--dir", dir], { input, encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  const replies = run.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: unknown; error?: unknown; result?: { isError?: boolean } });
  const refused = replies.filter((r) => r.error !== undefined || (r.id === 5 && r.result?.isError === true)).length;
  const up = replies.some((r) => r.id === 9 && r.result !== undefined && r.result.isError !== true);
  const unchanged = git(dir, "rev-parse", "HEAD") === head && git(dir, "status", "--porcelain").trim() === "";
  rows.push(measured("security", "mcp_hostile_frames_unanswered", frames.length - refused, "count", { budget: { max: 0 }, subject: `${frames.length} frames: non-JSON, not JSON-RPC, over 4 MiB, extra argument, link into .git/` }));
  rows.push(measured("security", "mcp_hostile_server_down_or_wrote", up && unchanged && run.status === 0 ? 0 : 1, "count", { budget: { max: 0 } }));

  // Issue 18 through a whole dream: credentials in sessions, and disguised download-and-run recoveries.
  const secrets = await measureSecretsLeaked(ctx.workDir);
  rows.push(measured("security", "secrets_leaked", secrets.leaked, "count", { budget: { max: 0 }, subject: `${secrets.kinds} credential kinds in 5 sessions (failed command fixed by one carrying it, user correction, stale update with a new key, tool output); offline dream ${secrets.adopted ? "adopted" : "NOT adopted"}; searched git log --all -p, work tree, run records, dream output, search` }));
  if (secrets.where.length > 0) notes.push(`secrets leaked: ${secrets.where.join("; ")}`);
  const injections = await measureInjectionsTrusted(ctx.workDir);
  rows.push(measured("security", "injections_trusted", injections.trusted, "count", { budget: { max: 0 }, subject: `${injections.commands} disguised download-and-run recoveries (tool result, fetched page, file content, user paste, agent recovery), dream --auto-adopt; ${injections.playbooks}/${injections.commands} made a playbook` }));
  notes.push(`injections: ${injections.details.join("; ")}`);
  return { rows, notes, series: [] };
}
