import { crashLeftovers, dreamRecordsDisagreeWithGit, killAfter, seededRandom, syncTemplate } from "@reverie/test-utils";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cp, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initMemory, openMemory } from "@reverie/core";
import { serializeSession, serializeSessionLine, type Session, type SessionEvent } from "@reverie/dream";
import { median, timeMs } from "../metrics/stats.js";
import { measured, type Row } from "../report/row.js";
import type { SuiteContext, SuiteResult } from "./suite.js";

/** The built CLI, run as a user runs it (bench/dist/suites/ → packages/cli/bin/). */
const BIN = fileURLToPath(new URL("../../../packages/cli/bin/reverie.js", import.meta.url));
/** The MCP server, as `reverie mcp` starts it. */
const MCP_BIN = fileURLToPath(new URL("../../../packages/mcp/bin/reverie-mcp.js", import.meta.url));
/** The quickstart's sample memories and sessions: a dream over them proposes 7 operations. */
const SAMPLE = fileURLToPath(new URL("../../../examples/quickstart/sample/", import.meta.url));
const SEED = 1919;
const FOLDER_FILES = 50;
const MCP_BATCH = 25;
const MiB = 1 << 20;
/** Three sessions of 40 MB: an import of 120 MB, each spooled to disk. */
const IMPORT_SESSIONS = 3;
const IMPORT_SESSION_BYTES = 40 * MiB;

function cli(args: string[], input = ""): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, ...args], { input, encoding: "utf8", env: { ...process.env, REVERIE_DIR: "", REVERIE_AGENT: "" } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function git(dir: string, ...args: string[]): string {
  return spawnSync("git", args, { cwd: dir, encoding: "utf8" }).stdout;
}

/**
 * Starts the CLI in its own process group and kill -9s the group (git children too) or node
 * alone after `delayMs`. Resolves with its exit code (0: it finished, and acknowledged, first).
 */
function spawnAndKill(args: string[], input: string, delayMs: number, group: boolean): Promise<number | null> {
  const child = spawn(process.execPath, [BIN, ...args], { detached: true, stdio: ["pipe", "ignore", "ignore"], env: { ...process.env, REVERIE_DIR: "", REVERIE_AGENT: "" } });
  child.stdin.on("error", () => undefined);
  child.stdin.end(input);
  return killAfter(child, delayMs, group);
}

interface Tally {
  kills: number;
  recoveries: number;
  failures: number;
  leftovers: number;
  /** Writes (or imports, adopts) the killed command acknowledged before the kill: exit 0, an MCP result. */
  acknowledged: number;
  /** Of those, how many the folder no longer holds after the next command. */
  lost: number;
  /** Disagreements between dream run records and git (dreamRecordsDisagreeWithGit). */
  recordMismatches: number;
}

/** One kind of command killed at random moments, each kill followed by the next ordinary command. */
interface Scenario {
  name: string;
  /** A fresh memory to kill the command in (a copy of a template). */
  prepare(i: number): Promise<string>;
  /**
   * Milliseconds after the start to kill at, drawn uniformly; the upper end is raised to 1.25 ×
   * the time one run of the command took here (measured first: on a busy machine a command
   * takes several times longer, and kills that all land before it starts test nothing).
   */
  delayMs: [number, number];
  /** Runs the command and kill -9s it (the group, or node alone): resolves with what it acknowledged before the kill. */
  kill(dir: string, i: number, delayMs: number, group: boolean): Promise<string[]>;
  /** The next command, run with no manual step; it must exit 0. */
  next(dir: string, i: number): { args: string[]; input: string } | { mcp: string };
  /** Of `acknowledged`, what the folder does not hold. */
  lost(dir: string, acknowledged: readonly string[]): string[];
  /** What must hold after the next command (beyond git status clean, no leftovers, records agreeing with git); a problem, or null. */
  check(dir: string): string | null | Promise<string | null>;
}

/** A CLI command to kill: acknowledged is [`what`] when it exited 0 before the kill. */
function killCli(args: string[], input = "", what = args.join(" ")): Scenario["kill"] {
  return async (_dir, _i, delayMs, group) => ((await spawnAndKill(args, input, delayMs, group)) === 0 ? [what] : []);
}

/** Repair lines on stderr: the CLI's own, and the MCP server's one line. */
const REPAIR = /^reverie(?: mcp)?: (removed|finished|undid|an interrupted|a killed|recovered from a crash|marked)/;

async function runScenario(scenario: Scenario, kills: number, rand: () => number, tally: Tally, notes: string[]): Promise<void> {
  const scenarioNotes: string[] = [];
  let acknowledged = 0;
  const started = performance.now();
  await scenario.kill(await scenario.prepare(-1), -1, 600_000, true);
  const oneRun = performance.now() - started;
  const [lo, floor] = scenario.delayMs;
  const hi = Math.max(floor, Math.round(1.25 * oneRun));
  for (let i = 0; i < kills; i++) {
    const dir = await scenario.prepare(i);
    const acked = await scenario.kill(dir, i, lo + Math.floor(rand() * (hi - lo)), i % 2 === 0);
    tally.kills++;
    acknowledged += acked.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = scenario.next(dir, i);
    const run = "mcp" in next ? mcpOnce(dir, next.mcp) : cli(next.args, next.input);
    tally.recoveries += run.stderr.split("\n").filter((l) => REPAIR.test(l)).length;
    const problems: string[] = [];
    if (run.code !== 0) problems.push(`next command exit ${String(run.code)}: ${run.stderr.trim().split("\n")[0] ?? ""}`);
    if (git(dir, "status", "--porcelain", "--untracked-files=all") !== "") problems.push("git status not clean");
    const lost = scenario.lost(dir, acked);
    if (lost.length > 0) problems.push(`lost acknowledged ${lost.join(", ")}`);
    const mismatches = await dreamRecordsDisagreeWithGit(dir);
    if (mismatches.length > 0) problems.push(`records: ${mismatches.join("; ")}`);
    const checked = await scenario.check(dir);
    if (checked) problems.push(checked);
    const left = await crashLeftovers(dir);
    if (left.length > 0) scenarioNotes.push(`crash: ${scenario.name} kill ${i}: left ${left.join(", ")}`);
    tally.acknowledged += acked.length;
    tally.lost += lost.length;
    tally.recordMismatches += mismatches.length;
    tally.leftovers += left.length;
    if (problems.length > 0) {
      tally.failures++;
      scenarioNotes.push(`crash: ${scenario.name} kill ${i}: ${problems.join("; ")}`);
    }
  }
  notes.push(`crash: ${scenario.name}: one run took ${(oneRun / 1000).toFixed(1)} s; ${kills} kills at ${lo}–${hi} ms, ${acknowledged} acknowledged before the kill`, ...scenarioNotes);
}

/** Median write latency with and without fsync (core.fsync + folder fsyncs), interleaved in one run. */
async function fsyncCost(root: string, writes: number): Promise<{ durable: number; plain: number }> {
  const open = async (name: string, durable: boolean) => {
    const dir = join(root, name);
    await initMemory(dir).then((m) => m.close());
    return openMemory(dir, { agent: "bench", durable });
  };
  const durable = await open("durable", true);
  const plain = await open("plain", false);
  const samples = { durable: [] as number[], plain: [] as number[] };
  for (let i = 0; i < writes; i++) {
    const text = `Write ${i}: the bench-${i} service listens on port ${6000 + i}.\n`;
    // Alternating which goes first, so neither always follows the other's flush.
    const order = i % 2 === 0 ? (["durable", "plain"] as const) : (["plain", "durable"] as const);
    for (const which of order) {
      const memory = which === "durable" ? durable : plain;
      samples[which].push(await timeMs(() => memory.write(`notes/write-${i}.md`, text, { session: "ses_bench_write" })));
    }
  }
  await durable.close();
  await plain.close();
  return { durable: median(samples.durable), plain: median(samples.plain) };
}

/**
 * The crash suite (issue 19): kill -9 at random moments (the process group, or node alone so its
 * git children run on) of the built CLI's write, `mv` and `rm -r` of a 50-file folder, an MCP
 * server amid a batch of 25 creates, an import of 120 MB, a dream and an adopt, and (full run
 * only) `sync` of 40 + 40 commits. After each kill the next ordinary command must exit 0 with
 * git status clean, nothing left behind, every acknowledged write still there and the dream
 * records agreeing with git. Then what durability costs: write p50 with and without fsync,
 * interleaved in the same run.
 */
export async function crashSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const rand = seededRandom(SEED);
  const tally: Tally = { kills: 0, recoveries: 0, failures: 0, leftovers: 0, acknowledged: 0, lost: 0, recordMismatches: 0 };
  const kills = ctx.quick ? 3 : 30;

  const writeDir = join(ctx.workDir, "write");
  await initMemory(writeDir).then((m) => m.close());
  const folderTemplate = join(ctx.workDir, "folder-template");
  await initMemory(folderTemplate).then((m) => m.close());
  await mkdir(join(folderTemplate, "f"));
  for (let i = 0; i < FOLDER_FILES; i++) await writeFile(join(folderTemplate, "f", `m${i}.md`), `Memory ${i}.\n`);
  commitAll(folderTemplate, "fifty");
  const copyOf = (template: string, kind: string) => async (i: number) => {
    const dir = join(ctx.workDir, `${kind}-${i}`);
    await cp(template, dir, { recursive: true });
    return dir;
  };
  const inHead = (dir: string, folder: string) => headFiles(dir, `${folder}/`).length;

  const scenarios: Scenario[] = [
    {
      name: "write",
      prepare: async () => writeDir,
      delayMs: [250, 850],
      kill: (dir, i, delay, group) => killCli(["write", `notes/k${i}.md`, "--dir", dir, "--raw"], `kill ${i}\n`, `notes/k${i}.md`)(dir, i, delay, group),
      next: (dir, i) => ({ args: ["write", `notes/after${i}.md`, "--dir", dir, "--raw"], input: `after ${i}\n` }),
      lost: (dir, acked) => notInHead(dir, acked),
      check: () => null,
    },
    {
      name: `mv of ${FOLDER_FILES} files`,
      prepare: copyOf(folderTemplate, "mv"),
      delayMs: [350, 950],
      kill: (dir, i, delay, group) => killCli(["mv", "f", "g", "--dir", dir])(dir, i, delay, group),
      next: (dir) => ({ args: ["mv", "f", "g", "--dir", dir], input: "" }),
      lost: () => [],
      check: (dir) => (inHead(dir, "f") === 0 && inHead(dir, "g") === FOLDER_FILES ? null : `HEAD has ${inHead(dir, "f")} files in f, ${inHead(dir, "g")} in g`),
    },
    {
      name: `rm -r of ${FOLDER_FILES} files`,
      prepare: copyOf(folderTemplate, "rm"),
      delayMs: [300, 700],
      kill: (dir, i, delay, group) => killCli(["rm", "-r", "f", "--dir", dir])(dir, i, delay, group),
      next: (dir) => ({ args: ["rm", "-r", "f", "--dir", dir], input: "" }),
      lost: () => [],
      check: (dir) => (inHead(dir, "f") === 0 ? null : `HEAD still has ${inHead(dir, "f")} files in f`),
    },
    mcpScenario(join(ctx.workDir, "mcp")),
    await importScenario(ctx.workDir, copyOf),
    await dreamScenario(ctx.workDir, copyOf),
    await adoptScenario(ctx.workDir, copyOf),
  ];
  if (!ctx.quick) scenarios.push(await syncScenario(ctx.workDir));
  for (const scenario of scenarios) {
    ctx.log(`crash: ${kills} kills of ${scenario.name}`);
    await runScenario(scenario, kills, rand, tally, notes);
  }
  const subject = `${scenarios.length} commands; ${kills} kills each`;
  rows.push(measured("crash", "crash_kills", tally.kills, "count", { subject }));
  rows.push(measured("crash", "crash_recoveries", tally.recoveries, "count", { subject }));
  rows.push(measured("crash", "crash_failures", tally.failures, "count", { subject, budget: { max: 0 } }));
  rows.push(measured("crash", "crash_leftovers", tally.leftovers, "count", { subject, budget: { max: 0 } }));
  rows.push(measured("crash", "crash_acknowledged", tally.acknowledged, "count", { subject: "writes, creates, imports, dreams, adopts acknowledged before their kill" }));
  rows.push(measured("crash", "crash_lost_acknowledged", tally.lost, "count", { subject, budget: { max: 0 } }));
  rows.push(measured("crash", "crash_record_mismatches", tally.recordMismatches, "count", { subject: "dream records vs git after the next command", budget: { max: 0 } }));

  ctx.log("crash: write p50 with and without fsync");
  const writes = ctx.quick ? 30 : 200;
  const cost = await fsyncCost(join(ctx.workDir, "fsync"), writes);
  const costSubject = `${writes} writes each, interleaved`;
  rows.push(measured("crash", "write_p50_ms_fsync", cost.durable, "ms", { subject: `${costSubject}; core.fsync + folder fsyncs` }));
  rows.push(measured("crash", "write_p50_ms_no_fsync", cost.plain, "ms", { subject: `${costSubject}; no fsync` }));
  notes.unshift(
    `crash: ${scenarios.map((s) => s.name).join("; ")}. Recoveries counts the repairs the next command reported on stderr (a stale git lock removed, temps swept, an interrupted write, move, delete, adopt or sync finished or undone, a killed dream marked failed); a kill that landed before the command changed anything needs none. ${ctx.quick ? "Quick mode kills each command 3 times and skips sync; the full run kills each 30 times (240 kills), sync of 40 + 40 commits included." : ""}`.trim(),
  );
  return { rows, notes, series: [] };
}

function commitAll(dir: string, message: string): void {
  git(dir, "add", "-A");
  git(dir, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", message);
}

/** Files in HEAD (under `prefix`, when given). */
function headFiles(dir: string, prefix?: string): string[] {
  return git(dir, "ls-tree", "-r", "--name-only", "HEAD", ...(prefix ? ["--", prefix] : [])).split("\n").filter(Boolean);
}

function notInHead(dir: string, paths: readonly string[]): string[] {
  const head = new Set(headFiles(dir));
  return paths.filter((p) => !head.has(p));
}

const rpc = (id: number, method: string, params: unknown) => `${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`;
const MCP_HELLO = rpc(0, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench-crash", version: "1" } }) + `${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`;
const mcpCreate = (id: number, path: string, text: string) => rpc(id, "tools/call", { name: "memory_create", arguments: { path: `/memories/${path}`, file_text: text } });

/** The next MCP server, as a client that sends one create and hangs up: exit 0 only when the create was acknowledged. */
function mcpOnce(dir: string, path: string): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [MCP_BIN, "--dir", dir], { input: MCP_HELLO + mcpCreate(1, path, "After the kill.\n"), encoding: "utf8", timeout: 120_000 });
  const created = run.stdout.includes(`File created successfully at: /memories/${path}`);
  return { code: created ? run.status : (run.status ?? 1) || 1, stdout: run.stdout, stderr: run.stderr };
}

/**
 * The MCP server amid a batch of 25 creates (one memory, killed again and again): every
 * create it answered must be in HEAD once the next server has started and written.
 */
function mcpScenario(dir: string): Scenario {
  let made = false;
  return {
    name: `MCP batch of ${MCP_BATCH} creates`,
    prepare: async () => {
      if (!made) await initMemory(dir).then((m) => m.close());
      made = true;
      return dir;
    },
    delayMs: [800, 5000],
    kill: (at, i, delayMs, group) =>
      new Promise((resolve) => {
        const paths = Array.from({ length: MCP_BATCH }, (_, j) => `k${i}/f${j}.md`);
        const child = spawn(process.execPath, [MCP_BIN, "--dir", at], { detached: true, stdio: ["pipe", "pipe", "ignore"] });
        const acked: string[] = [];
        let buffered = "";
        child.stdout.on("data", (chunk: Buffer) => {
          buffered += chunk.toString("utf8");
          for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            const message = JSON.parse(line) as { id?: number; result?: { isError?: boolean } };
            if (typeof message.id === "number" && message.id > 0 && message.result && message.result.isError !== true) acked.push(paths[message.id - 1]!);
          }
          // The whole batch answered: the kill lands on an idle server (and a timing run ends here).
          if (acked.length === paths.length) process.kill(group ? -child.pid! : child.pid!, "SIGKILL");
        });
        child.stdin.on("error", () => undefined);
        // Held open, as a client does: the server works through the batch until the kill.
        child.stdin.write(MCP_HELLO + paths.map((p, j) => mcpCreate(j + 1, p, `Batch file ${p}.\n`)).join(""));
        void killAfter(child, delayMs, group).then(() => resolve(acked));
      }),
    next: (_dir, i) => ({ mcp: `after${i}.md` }),
    lost: (at, acked) => notInHead(at, acked),
    check: (at) => (git(at, "fsck", "--no-progress").trim() === "" ? null : "git fsck reports problems"),
  };
}

/** A normalized session of about `bytes` bytes: far past the import's memory bound, so it spools to disk. */
function bigSession(id: string, bytes: number): Session {
  const events: SessionEvent[] = [];
  for (let size = 0, turn = 1; size < bytes; turn++) {
    const event: SessionEvent =
      turn % 2 === 0
        ? { type: "tool_result", turn, tool_use_id: `t${turn - 1}`, is_error: false, text: `line ${turn}\n`.repeat(40) }
        : { type: "tool_use", turn, id: `t${turn}`, name: "Bash", input: { command: `echo ${turn}` }, at: "2026-01-01T00:00:00.000Z" };
    events.push(event);
    size += serializeSessionLine(event).length + 1;
  }
  return { header: { type: "session", id, agent: "coder-1", source: { format: "anthropic", path: "/bench/big.json", sha256: "a".repeat(64) } }, events };
}

type CopyOf = (template: string, kind: string) => (i: number) => Promise<string>;

/** `reverie import` of 120 MB (three 40 MB sessions); the next command is the same import, which must bring every session in. */
async function importScenario(workDir: string, copyOf: CopyOf): Promise<Scenario> {
  const input = join(workDir, "import-input");
  await mkdir(input, { recursive: true });
  const ids = Array.from({ length: IMPORT_SESSIONS }, (_, n) => `ses_0000000000000000000000000${n + 1}`);
  for (const [n, id] of ids.entries()) await writeFile(join(input, `big${n + 1}.jsonl`), serializeSession(bigSession(id, IMPORT_SESSION_BYTES)));
  const template = join(workDir, "import-template");
  await initMemory(template).then((m) => m.close());
  const sessions = async (dir: string) => (await readdir(join(dir, ".reverie", "sessions")).catch(() => [] as string[])).filter((n) => n.endsWith(".jsonl")).sort();
  return {
    name: `import of ${(IMPORT_SESSIONS * IMPORT_SESSION_BYTES) / MiB} MB`,
    prepare: copyOf(template, "import"),
    delayMs: [300, 8000],
    kill: (dir, i, delay, group) => killCli(["import", input, "--dir", dir], "", "import")(dir, i, delay, group),
    next: (dir) => ({ args: ["import", input, "--dir", dir], input: "" }),
    lost: () => [],
    check: async (dir) => {
      const found = await sessions(dir);
      return found.join(",") === ids.map((id) => `${id}.jsonl`).join(",") ? null : `sessions after the retried import: ${found.join(", ") || "none"}`;
    },
  };
}

/** A memory holding the quickstart's sample memories (one commit), its sessions beside it. */
async function sampleMemory(dir: string): Promise<void> {
  await initMemory(dir).then((m) => m.close());
  await cp(join(SAMPLE, "memory"), dir, { recursive: true });
  commitAll(dir, "sample memories");
}

/**
 * `reverie dream` over the sample (7 operations), half of the kills with `--auto-adopt`; the
 * next command is `reverie ls`, which need not know about dreams: the records must agree with
 * git after it, and main must be as before or hold the whole adopt.
 */
async function dreamScenario(workDir: string, copyOf: CopyOf): Promise<Scenario> {
  const template = join(workDir, "dream-template");
  await sampleMemory(template);
  const base = git(template, "rev-parse", "HEAD").trim();
  return {
    name: "dream (half with --auto-adopt)",
    prepare: copyOf(template, "dream"),
    delayMs: [300, 3000],
    kill: (dir, i, delay, group) => killCli(["dream", "--dir", dir, "--sessions", join(SAMPLE, "sessions"), ...(i % 4 >= 2 ? ["--auto-adopt"] : [])], "", "dream")(dir, i, delay, group),
    next: (dir) => ({ args: ["ls", "--dir", dir], input: "" }),
    lost: () => [],
    check: (dir) => {
      const head = git(dir, "rev-parse", "HEAD").trim();
      if (head === base) return null;
      const parents = git(dir, "rev-list", "--parents", "-n", "1", head).trim().split(" ");
      return parents.length === 3 && parents[1] === base ? null : `main moved to ${head.slice(0, 7)}, which is not an adopt merge onto the base`;
    },
  };
}

/** `reverie dream adopt` of a completed dream (7 operations); the next command is `reverie dream list`, then the adopt again must exit 0. */
async function adoptScenario(workDir: string, copyOf: CopyOf): Promise<Scenario> {
  const template = join(workDir, "adopt-template");
  await sampleMemory(template);
  const run = cli(["dream", "--dir", template, "--sessions", join(SAMPLE, "sessions"), "--json"]);
  const id = /"id":\s*"(drm_[0-9A-Z]{26})"/.exec(run.stdout)?.[1];
  if (run.code !== 0 || !id) throw new Error(`the adopt scenario's dream failed (exit ${String(run.code)}): ${run.stderr.trim().split("\n")[0] ?? ""}`);
  return {
    name: "dream adopt",
    prepare: copyOf(template, "adopt"),
    delayMs: [300, 1500],
    kill: (dir, i, delay, group) => killCli(["dream", "adopt", id, "--dir", dir], "", id)(dir, i, delay, group),
    next: (dir) => ({ args: ["dream", "list", "--dir", dir], input: "" }),
    lost: (dir, acked) => (acked.length > 0 && !JSON.parse(readFileSync(join(dir, ".reverie", "runs", `${id}.json`), "utf8")).adopted ? [...acked] : []),
    check: (dir) => {
      const retry = cli(["dream", "adopt", id, "--dir", dir]);
      if (retry.code !== 0) return `the adopt again exited ${String(retry.code)}: ${retry.stderr.trim().split("\n")[0] ?? ""}`;
      const merges = git(dir, "rev-list", "--merges", "HEAD").split("\n").filter(Boolean).length;
      return merges === 1 ? null : `${merges} adopt merges in HEAD after the adopt again`;
    },
  };
}

/** sync of 40 + 40 commits: a clone with 40 commits the remote lacks, and a remote 40 commits ahead. */
async function syncScenario(workDir: string): Promise<Scenario> {
  const template = join(workDir, "sync-template");
  await syncTemplate(template, 40, cli);
  return {
    name: "sync of 40 + 40 commits",
    prepare: async (i) => {
      const base = join(workDir, `sync-${i}`);
      await cp(template, base, { recursive: true });
      git(join(base, "b"), "remote", "set-url", "origin", join(base, "shared.git"));
      return join(base, "b");
    },
    delayMs: [300, 2100],
    kill: (dir, i, delay, group) => killCli(["sync", "--dir", dir])(dir, i, delay, group),
    next: (dir) => ({ args: ["sync", "--dir", dir], input: "" }),
    lost: () => [],
    check: (dir) =>
      git(dir, "symbolic-ref", "HEAD") === "refs/heads/main\n" && git(dir, "rev-parse", "HEAD") === git(join(dir, "..", "shared.git"), "rev-parse", "main") ? null : "b is not on main at the remote's main",
  };
}
