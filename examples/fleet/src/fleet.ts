/**
 * A fleet: agents on two machines share one memory through a bare git remote. On each machine
 * several agents write at once (the memory's lock serializes their commits; nothing is lost),
 * `syncMemory` converges the machines, and a dream's branch is pushed for review.
 *
 *   node examples/fleet/dist/fleet.js [work folder]
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initMemory, openMemory, runGit, syncMemory, type Memory, type SyncResult } from "@reverie/core";
import { dream } from "@reverie/dream";

const SAMPLE_SESSIONS = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..", "quickstart", "sample", "sessions");

/** What one agent writes: `count` memories under `notes/<agent>/`. */
async function agentWrites(memoryDir: string, agent: string, count: number): Promise<void> {
  // Each agent opens the folder itself, as a separate process would.
  const memory = await openMemory(memoryDir, { agent, session: `ses_${agent}` });
  await Promise.all(
    Array.from({ length: count }, (_, i) => memory.write(`notes/${agent}/fact-${i + 1}.md`, `# ${agent} fact ${i + 1}\nLearned by ${agent} while working.\n`)),
  );
  await memory.close();
}

function expectSynced(result: SyncResult): void {
  if (result.kind === "conflict") throw new Error(result.resolve);
}

export interface FleetResult {
  remote: string;
  machines: Memory[];
  dreamId: string;
}

/** Runs the whole fleet story under `work` (replaced if it exists). */
export async function runFleet(work: string, log: (line: string) => void = console.log): Promise<FleetResult> {
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const remote = join(work, "shared.git");
  await runGit(work, ["init", "--quiet", "--bare", "--initial-branch=main", remote]);

  const laptop = await initMemory(join(work, "laptop"));
  await laptop.repo.run(["remote", "add", "origin", remote]);
  expectSynced(await syncMemory(laptop.repo));
  await runGit(work, ["clone", "--quiet", remote, join(work, "server")]);
  const server = await openMemory(join(work, "server"));
  log(`remote ${remote}; machines: ${laptop.dir}, ${server.dir}`);

  await Promise.all([agentWrites(laptop.dir, "planner", 3), agentWrites(laptop.dir, "coder", 3), agentWrites(laptop.dir, "reviewer", 2)]);
  await Promise.all([agentWrites(server.dir, "ci-bot", 3), agentWrites(server.dir, "deploy-bot", 2)]);
  // The same fact, learned on both machines: something for the dream to merge.
  await laptop.write("prefs/package-manager.md", "# Use pnpm\nThis repo uses pnpm, not npm.\n", { agent: "coder" });
  await server.write("tooling/pnpm.md", "# Use pnpm\nThis repo uses pnpm, never npm.\n", { agent: "ci-bot" });
  log("8 memories written concurrently on the laptop, 5 on the server");

  for (const [name, memory] of [["laptop", laptop], ["server", server], ["laptop", laptop]] as const) {
    const result = await syncMemory(memory.repo);
    expectSynced(result);
    if (result.kind === "synced") log(`sync ${name}: received ${result.received}, sent ${result.sent} (${result.integration})`);
  }

  const run = await dream({ memory: laptop.dir, sessions: [SAMPLE_SESSIONS] });
  if (run.status !== "completed") throw new Error(`dream ${run.id} ${run.status}: ${run.error?.message ?? ""}`);
  const pushed = await syncMemory(laptop.repo, { dreams: [run.id] });
  expectSynced(pushed);
  log(`dream ${run.id}: ${run.operations.length} operations on ${run.outputs.branch}, pushed for review`);
  return { remote, machines: [laptop, server], dreamId: run.id };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const [folder, ...extra] = process.argv.slice(2);
  const usage = "Usage: node examples/fleet/dist/fleet.js [work folder]\n\n  work folder  where the two machines and the shared remote are made (default: ./.reverie-fleet; emptied first)";
  if (folder === "--help" || folder === "-h") {
    console.log(usage);
    process.exit(0);
  }
  if (folder?.startsWith("-") || extra.length > 0) {
    console.error(`fleet: ${folder?.startsWith("-") ? `unknown option '${folder}'` : `one work folder, got ${extra.length + 1} arguments`}.\n\n${usage}`);
    process.exit(1);
  }
  runFleet(folder ?? join(process.cwd(), ".reverie-fleet")).catch((error: Error) => {
    console.error(`fleet failed: ${error.message}`);
    process.exitCode = 1;
  });
}
