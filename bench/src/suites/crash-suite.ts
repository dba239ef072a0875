import { killAfter } from "@reverie/test-utils";
import { spawn, spawnSync } from "node:child_process";
import { cp, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initMemory, openMemory } from "@reverie/core";
import { median, timeMs } from "../metrics/stats.js";
import { measured, type Row } from "../report/row.js";
import type { SuiteContext, SuiteResult } from "./suite.js";

/** The built CLI, run as a user runs it (bench/dist/suites/ → packages/cli/bin/). */
const BIN = fileURLToPath(new URL("../../../packages/cli/bin/reverie.js", import.meta.url));
const SEED = 1919;
const FOLDER_FILES = 50;

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function cli(args: string[], input = ""): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, ...args], { input, encoding: "utf8", env: { ...process.env, REVERIE_DIR: "", REVERIE_AGENT: "" } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function git(dir: string, ...args: string[]): string {
  return spawnSync("git", args, { cwd: dir, encoding: "utf8" }).stdout;
}

/** Starts the CLI in its own process group and kill -9s the group (git children too) or node alone after `delayMs`. */
function spawnAndKill(args: string[], input: string, delayMs: number, group: boolean): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...args], { detached: true, stdio: ["pipe", "ignore", "ignore"], env: { ...process.env, REVERIE_DIR: "" } });
  child.stdin.end(input);
  return killAfter(child, delayMs, group);
}

/** git and reverie lock, temp and journal files, and a rebase or merge left in progress. */
async function leftovers(dir: string): Promise<number> {
  let found = 0;
  const walk = async (at: string, rel: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (path === ".git/objects") continue;
        if (path === ".git/rebase-merge" || path === ".git/rebase-apply") found++;
        else await walk(join(at, entry.name), path);
      } else if (/\.(lock|tmp)$/.test(entry.name) || path === ".reverie/lock" || path.startsWith(".reverie/journal/") || path === ".git/MERGE_HEAD") found++;
    }
  };
  await walk(dir, "");
  return found;
}

interface Tally {
  kills: number;
  recoveries: number;
  failures: number;
  leftovers: number;
}

/** One kind of command killed at random moments, each kill followed by the next ordinary command. */
interface Scenario {
  name: string;
  /** A fresh memory to kill the command in (a copy of a template). */
  prepare(i: number): Promise<string>;
  killed(dir: string, i: number): { args: string[]; input: string; delayMs: [number, number] };
  /** The next command, run with no manual step; it must exit 0. */
  next(dir: string, i: number): { args: string[]; input: string };
  /** What must hold after it (beyond git status clean and no leftovers). */
  check(dir: string): boolean;
}

async function runScenario(scenario: Scenario, kills: number, rand: () => number, tally: Tally, notes: string[]): Promise<void> {
  for (let i = 0; i < kills; i++) {
    const dir = await scenario.prepare(i);
    const killed = scenario.killed(dir, i);
    const [lo, hi] = killed.delayMs;
    await spawnAndKill(killed.args, killed.input, lo + Math.floor(rand() * (hi - lo)), i % 2 === 0);
    tally.kills++;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = scenario.next(dir, i);
    const run = cli(next.args, next.input);
    tally.recoveries += run.stderr.split("\n").filter((l) => /^reverie: (removed|finished|undid|an interrupted|a killed)/.test(l)).length;
    const clean = git(dir, "status", "--porcelain", "--untracked-files=all") === "";
    const ok = run.code === 0 && clean && scenario.check(dir);
    if (!ok) {
      tally.failures++;
      notes.push(`crash: ${scenario.name} kill ${i}: next command exit ${String(run.code)}, git status ${clean ? "clean" : "dirty"}: ${run.stderr.trim().split("\n")[0] ?? ""}`);
    }
    tally.leftovers += await leftovers(dir);
  }
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
 * git children run on) over the built CLI's write, `mv` and `rm -r` of a 50-file folder, and
 * `sync` of 40 + 40 commits (full run only); after each kill the next ordinary command must
 * exit 0 with git status clean and nothing left behind. Then what durability costs: write p50
 * with and without fsync, interleaved in the same run.
 */
export async function crashSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const rand = random(SEED);
  const tally: Tally = { kills: 0, recoveries: 0, failures: 0, leftovers: 0 };
  const kills = ctx.quick ? 3 : 30;

  const writeDir = join(ctx.workDir, "write");
  await initMemory(writeDir).then((m) => m.close());
  const folderTemplate = join(ctx.workDir, "folder-template");
  await initMemory(folderTemplate).then((m) => m.close());
  await mkdir(join(folderTemplate, "f"));
  for (let i = 0; i < FOLDER_FILES; i++) await writeFile(join(folderTemplate, "f", `m${i}.md`), `Memory ${i}.\n`);
  git(folderTemplate, "add", "f");
  git(folderTemplate, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "fifty");
  const folderCopy = async (i: number, kind: string) => {
    const dir = join(ctx.workDir, `${kind}-${i}`);
    await cp(folderTemplate, dir, { recursive: true });
    return dir;
  };
  const inHead = (dir: string, folder: string) => git(dir, "ls-tree", "-r", "--name-only", "HEAD", "--", `${folder}/`).split("\n").filter(Boolean).length;

  const scenarios: Scenario[] = [
    {
      name: "write",
      prepare: async () => writeDir,
      killed: (dir, i) => ({ args: ["write", `notes/k${i}.md`, "--dir", dir, "--raw"], input: `kill ${i}\n`, delayMs: [250, 850] }),
      next: (dir, i) => ({ args: ["write", `notes/after${i}.md`, "--dir", dir, "--raw"], input: `after ${i}\n` }),
      check: () => true,
    },
    {
      name: `mv of ${FOLDER_FILES} files`,
      prepare: (i) => folderCopy(i, "mv"),
      killed: (dir) => ({ args: ["mv", "f", "g", "--dir", dir], input: "", delayMs: [350, 950] }),
      next: (dir) => ({ args: ["mv", "f", "g", "--dir", dir], input: "" }),
      check: (dir) => inHead(dir, "f") === 0 && inHead(dir, "g") === FOLDER_FILES,
    },
    {
      name: `rm -r of ${FOLDER_FILES} files`,
      prepare: (i) => folderCopy(i, "rm"),
      killed: (dir) => ({ args: ["rm", "-r", "f", "--dir", dir], input: "", delayMs: [300, 700] }),
      next: (dir) => ({ args: ["rm", "-r", "f", "--dir", dir], input: "" }),
      check: (dir) => inHead(dir, "f") === 0,
    },
  ];
  if (!ctx.quick) scenarios.push(await syncScenario(ctx.workDir));
  for (const scenario of scenarios) {
    ctx.log(`crash: ${kills} kills of ${scenario.name}`);
    await runScenario(scenario, kills, rand, tally, notes);
  }
  const subject = `${scenarios.map((s) => s.name).join(", ")}; ${kills} kills each`;
  rows.push(measured("crash", "crash_kills", tally.kills, "count", { subject }));
  rows.push(measured("crash", "crash_recoveries", tally.recoveries, "count", { subject }));
  rows.push(measured("crash", "crash_failures", tally.failures, "count", { subject, budget: { max: 0 } }));
  rows.push(measured("crash", "crash_leftovers", tally.leftovers, "count", { subject, budget: { max: 0 } }));

  ctx.log("crash: write p50 with and without fsync");
  const writes = ctx.quick ? 30 : 200;
  const cost = await fsyncCost(join(ctx.workDir, "fsync"), writes);
  const costSubject = `${writes} writes each, interleaved`;
  rows.push(measured("crash", "write_p50_ms_fsync", cost.durable, "ms", { subject: `${costSubject}; core.fsync + folder fsyncs` }));
  rows.push(measured("crash", "write_p50_ms_no_fsync", cost.plain, "ms", { subject: `${costSubject}; no fsync` }));
  notes.push(`crash: recoveries counts the repairs the next command reported on stderr (a stale git lock removed, an interrupted write, move, delete or sync finished or undone); a kill that landed before the command changed anything needs none. ${ctx.quick ? "Quick mode kills each command 3 times and skips sync; the full run kills each 30 times, sync of 40 + 40 commits included." : ""}`.trim());
  return { rows, notes, series: [] };
}

/** sync of 40 + 40 commits: a clone with 40 commits the remote lacks, and a remote 40 commits ahead. */
async function syncScenario(workDir: string): Promise<Scenario> {
  const template = join(workDir, "sync-template");
  await mkdir(template, { recursive: true });
  const remote = join(template, "shared.git");
  git(template, "init", "--quiet", "--bare", "--initial-branch=main", remote);
  cli(["init", join(template, "a")]);
  git(join(template, "a"), "remote", "add", "origin", remote);
  cli(["sync", "--dir", join(template, "a")]);
  git(template, "clone", "--quiet", remote, join(template, "b"));
  for (const who of ["a", "b"]) {
    const dir = join(template, who);
    for (let i = 1; i <= 40; i++) {
      await writeFile(join(dir, `${who}${i}.md`), `${who} ${i}\n`);
      git(dir, "add", `${who}${i}.md`);
      git(dir, "-c", `user.name=${who}`, "-c", `user.email=${who}@example.com`, "commit", "-q", "-m", `${who} ${i}`);
    }
  }
  cli(["sync", "--dir", join(template, "a")]);
  return {
    name: "sync of 40 + 40 commits",
    prepare: async (i) => {
      const base = join(workDir, `sync-${i}`);
      await cp(template, base, { recursive: true });
      git(join(base, "b"), "remote", "set-url", "origin", join(base, "shared.git"));
      return join(base, "b");
    },
    killed: (dir) => ({ args: ["sync", "--dir", dir], input: "", delayMs: [300, 2100] }),
    next: (dir) => ({ args: ["sync", "--dir", dir], input: "" }),
    check: (dir) => git(dir, "symbolic-ref", "HEAD") === "refs/heads/main\n" && git(dir, "rev-parse", "HEAD") === git(join(dir, "..", "shared.git"), "rev-parse", "main"),
  };
}
