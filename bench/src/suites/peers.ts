import { spawnSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BetaLocalFilesystemMemoryTool } from "@anthropic-ai/sdk/tools/memory/node";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { initMemory, memoryToolHandlers, openMemory } from "@reverie/core";
import { percentile, timeMs } from "../metrics/stats.js";
import { budgetOf } from "../report/budgets.js";
import { measured, type Row } from "../report/row.js";
import type { SuiteContext } from "./suite.js";

/** The built MCP server, run as `reverie mcp` runs it (bench/dist/suites/ → packages/mcp/bin/). */
const REVERIE_MCP = fileURLToPath(new URL("../../../packages/mcp/bin/reverie-mcp.js", import.meta.url));
/** The official MCP memory server (one JSONL knowledge graph), a dev dependency of the bench. */
const SERVER_MEMORY = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-memory/dist/index.js");

const WORDS = ["billing", "gateway", "ledger", "staging", "terraform", "checkout", "region", "timeout", "worker", "deploy", "owner", "config"];
const MEMORIES = 500;

/** The same 500 facts for every peer: a title, a type and one sentence. */
function facts(n: number): Array<{ name: string; text: string }> {
  return Array.from({ length: n }, (_, i) => {
    const a = WORDS[i % WORDS.length]!;
    const b = WORDS[(i * 7 + 3) % WORDS.length]!;
    return { name: `fact-${i}`, text: `The ${a} service ${i} talks to the ${b} on port ${4000 + i}.` };
  });
}

function git(dir: string, ...args: string[]): string {
  const run = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${run.stderr}`);
  return run.stdout;
}

/** A reverie memory holding the facts as files (one commit) and a server-memory JSONL graph holding them as entities. */
async function seed(root: string): Promise<{ memoryDir: string; graphFile: string }> {
  const memoryDir = join(root, "reverie");
  await initMemory(memoryDir).then((m) => m.close());
  await mkdir(join(memoryDir, "facts"), { recursive: true });
  const all = facts(MEMORIES);
  for (const f of all) await writeFile(join(memoryDir, "facts", `${f.name}.md`), `# ${f.name}\n${f.text}\n`);
  git(memoryDir, "add", "-A");
  git(memoryDir, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "seed");
  const graphFile = join(root, "server-memory.jsonl");
  await writeFile(graphFile, all.map((f) => JSON.stringify({ type: "entity", name: f.name, entityType: "fact", observations: [f.text] })).join("\n") + "\n");
  return { memoryDir, graphFile };
}

async function connect(args: string[], env: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args,
    env: { ...(Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)) as Record<string, string>), ...env },
    stderr: "ignore",
  });
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

function isError(result: unknown): boolean {
  return (result as { isError?: boolean }).isError === true;
}

function text(result: unknown): string {
  return ((result as { content?: Array<{ text?: string }> }).content ?? []).map((c) => c.text ?? "").join("");
}

interface Peer {
  write(i: number, tag: string): Promise<unknown>;
  search(query: string): Promise<unknown>;
}

/** p50 of `op` for both peers, alternating which goes first on each round, so drift hits both alike. */
async function alternate(rounds: number, a: (i: number) => Promise<unknown>, b: (i: number) => Promise<unknown>): Promise<[number, number]> {
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      sa.push(await timeMs(() => a(i)));
      sb.push(await timeMs(() => b(i)));
    } else {
      sb.push(await timeMs(() => b(i)));
      sa.push(await timeMs(() => a(i)));
    }
  }
  return [percentile(sa, 50), percentile(sb, 50)];
}

function ratioRow(metric: string, value: number, subject: string): Row {
  const budget = budgetOf(metric);
  return measured("speed", metric, value, "ratio", { subject, ...(budget ? { budget } : {}) });
}

/**
 * reverie against the plain-file peers in one run (issue 14): the official MCP memory server
 * over stdio with the real SDK client, and the Anthropic SDK's `BetaLocalFilesystemMemoryTool`
 * against reverie's memory-tool handlers; p50 ratios (reverie ÷ peer), and what survives
 * concurrent writes on each side.
 */
export async function peersRows(ctx: SuiteContext): Promise<{ rows: Row[]; notes: string[] }> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const q = ctx.quick;
  const { memoryDir, graphFile } = await seed(join(ctx.workDir, "peers"));
  const reverie = await connect([REVERIE_MCP, "--dir", memoryDir]);
  const official = await connect([SERVER_MEMORY], { MEMORY_FILE_PATH: graphFile });
  try {
    const peers: Record<"reverie" | "official", Peer> = {
      reverie: {
        write: (i, tag) => reverie.callTool({ name: "memory_create", arguments: { path: `/memories/${tag}/note-${i}.md`, file_text: `# note ${i}\nThe ${tag} job ${i} runs nightly on port ${7000 + i}.\n` } }),
        search: (query) => reverie.callTool({ name: "memory_search", arguments: { query, limit: 10 } }),
      },
      official: {
        write: (i, tag) => official.callTool({ name: "create_entities", arguments: { entities: [{ name: `${tag}-note-${i}`, entityType: "note", observations: [`The ${tag} job ${i} runs nightly on port ${7000 + i}.`] }] } }),
        search: (query) => official.callTool({ name: "search_nodes", arguments: { query } }),
      },
    };
    for (let i = 0; i < 5; i++) {
      await peers.reverie.write(i, "warm");
      await peers.official.write(i, "warm");
      await peers.reverie.search(WORDS[i]!);
      await peers.official.search(WORDS[i]!);
    }
    const writes = q ? 60 : 200;
    const [rw, ow] = await alternate(writes, (i) => peers.reverie.write(i, "timed"), (i) => peers.official.write(i, "timed"));
    rows.push(measured("speed", "mcp_write_p50_ms", rw, "ms", { subject: `reverie, ${writes} memory_create over stdio, ${MEMORIES} memories` }));
    rows.push(measured("speed", "mcp_write_p50_ms", ow, "ms", { subject: `server-memory, ${writes} create_entities over stdio` }));
    rows.push(ratioRow("mcp_write_p50_ratio", rw / ow, "reverie ÷ @modelcontextprotocol/server-memory, same run, alternating"));
    const searches = q ? 100 : 400;
    const query = (i: number) => (i % 3 === 0 ? `${WORDS[i % WORDS.length]} ${WORDS[(i + 5) % WORDS.length]}` : WORDS[i % WORDS.length]!);
    const [rs, os] = await alternate(searches, (i) => peers.reverie.search(query(i)), (i) => peers.official.search(query(i)));
    rows.push(measured("speed", "mcp_search_p50_ms", rs, "ms", { subject: `reverie memory_search, ${MEMORIES + writes} memories` }));
    rows.push(measured("speed", "mcp_search_p50_ms", os, "ms", { subject: "server-memory search_nodes" }));
    rows.push(ratioRow("mcp_search_p50_ratio", rs / os, "reverie ÷ @modelcontextprotocol/server-memory, same run, alternating"));

    // Concurrency: every write sent at once; what is there afterwards.
    const concurrent = q ? 50 : 200;
    const rResults = await Promise.all(Array.from({ length: concurrent }, (_, i) => peers.reverie.write(i, "burst")));
    const rKept = git(memoryDir, "ls-files", "burst").split("\n").filter(Boolean).length;
    const rCommits = Number(git(memoryDir, "rev-list", "--count", "HEAD", "--", "burst").trim());
    const oResults = await Promise.all(Array.from({ length: concurrent }, (_, i) => peers.official.write(i, "burst")));
    const graph = await readFile(graphFile, "utf8");
    const oKept = graph.split("\n").filter((line) => line.includes('"name":"burst-note-')).length;
    rows.push(measured("speed", "mcp_concurrent_writes_kept", rKept, "count", { subject: `reverie, of ${concurrent} at once (${rResults.filter(isError).length} errors, ${rCommits} commits)` }));
    rows.push(measured("speed", "mcp_concurrent_writes_kept", oKept, "count", { subject: `server-memory, of ${concurrent} at once (${oResults.filter(isError).length} errors)` }));
    if (rResults.some(isError)) notes.push(`peers: a concurrent reverie write failed: ${text(rResults.find(isError))}`);
  } finally {
    await reverie.close();
    await official.close();
  }

  // The memory tool in-process: reverie's handlers against the SDK's local-filesystem tool.
  const toolDir = join(ctx.workDir, "peers-tool");
  const memory = await initMemory(join(toolDir, "reverie"));
  await memory.close();
  const opened = await openMemory(join(toolDir, "reverie"), { agent: "bench" });
  const mine = memoryToolHandlers(opened, { agent: "bench" });
  const sdk = await BetaLocalFilesystemMemoryTool.init(join(toolDir, "sdk"));
  try {
    const creates = q ? 60 : 200;
    const body = (i: number) => `# note ${i}\nThe job ${i} runs nightly on port ${7000 + i}.\n`;
    const [rc, sc] = await alternate(
      creates,
      (i) => mine.create({ command: "create", path: `/memories/notes/n-${i}.md`, file_text: body(i) }),
      (i) => sdk.create({ command: "create", path: `/memories/notes/n-${i}.md`, file_text: body(i) }),
    );
    rows.push(measured("speed", "memory_tool_create_p50_ms", rc, "ms", { subject: "reverie memoryToolHandlers (one commit each)" }));
    rows.push(measured("speed", "memory_tool_create_p50_ms", sc, "ms", { subject: "@anthropic-ai/sdk BetaLocalFilesystemMemoryTool" }));
    rows.push(ratioRow("memory_tool_create_p50_ratio", rc / sc, "reverie ÷ BetaLocalFilesystemMemoryTool, same run, alternating"));
    const [rr, sr] = await alternate(
      creates,
      (i) => mine.str_replace({ command: "str_replace", path: `/memories/notes/n-${i}.md`, old_str: "nightly", new_str: "hourly" }),
      (i) => sdk.str_replace({ command: "str_replace", path: `/memories/notes/n-${i}.md`, old_str: "nightly", new_str: "hourly" }),
    );
    rows.push(measured("speed", "memory_tool_str_replace_p50_ms", rr, "ms", { subject: "reverie memoryToolHandlers" }));
    rows.push(measured("speed", "memory_tool_str_replace_p50_ms", sr, "ms", { subject: "@anthropic-ai/sdk BetaLocalFilesystemMemoryTool" }));

    // 20 concurrent inserts at different lines of one file: how many land.
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n") + "\n";
    await mine.create({ command: "create", path: "/memories/shared.md", file_text: lines });
    await sdk.create({ command: "create", path: "/memories/shared.md", file_text: lines });
    const inserts = (tool: typeof mine | typeof sdk) =>
      Promise.allSettled(Array.from({ length: 20 }, (_, i) => tool.insert({ command: "insert", path: "/memories/shared.md", insert_line: i + 1, insert_text: `added ${i}` })));
    await inserts(mine);
    await inserts(sdk);
    const landed = (content: string) => content.split("\n").filter((l) => l.startsWith("added ")).length;
    rows.push(measured("speed", "memory_tool_concurrent_inserts_kept", landed(await readFile(join(toolDir, "reverie", "shared.md"), "utf8")), "count", { subject: "reverie, of 20 at once on one file" }));
    rows.push(measured("speed", "memory_tool_concurrent_inserts_kept", landed(await readFile(join(toolDir, "sdk", "memories", "shared.md"), "utf8")), "count", { subject: "BetaLocalFilesystemMemoryTool, of 20 at once on one file" }));
  } finally {
    await opened.close();
  }
  notes.push(
    "peers: reverie's writes are durable (fsync'd journal, file, objects and branch) and each is one attributed commit; server-memory rewrites its JSONL file and the SDK tool writes the file, neither fsyncs nor keeps history.",
  );
  return { rows, notes };
}
