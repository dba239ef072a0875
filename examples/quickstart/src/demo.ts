/**
 * `pnpm demo`: an offline dream over the bundled sample — a small memory with a duplicate, a
 * stale port and a look-alike, and four Claude Code sessions with a recurring error, a
 * correction, a verification and a prompt-injection attempt. No network, no API key.
 */
import { readFile, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { initMemory, listMarkdownFiles } from "@reverie/core";
import { dream, type DreamProgress } from "@reverie/dream";

const here = fileURLToPath(new URL(".", import.meta.url));
const sample = join(here, "..", "sample");

export async function runDemo(target: string, log: (line: string) => void = console.log): Promise<string> {
  await rm(target, { recursive: true, force: true });
  const memory = await initMemory(target);
  for (const path of await listMarkdownFiles(join(sample, "memory"))) {
    await memory.write(path, await readFile(join(sample, "memory", path), "utf8"), { stamp: false, agent: "coder-1", session: "ses_seed" });
  }
  log(`Memory: ${memory.dir} (${(await memory.list()).length - 1} memories, each a commit)`);

  let stage = "";
  const run = await dream({
    memory: memory.dir,
    sessions: [join(sample, "sessions")],
    onProgress: (event: DreamProgress) => {
      if (event.stage !== stage) log(`  ${event.stage.padEnd(11)} ${event.message}`);
      stage = event.stage;
    },
  });
  if (run.status !== "completed") throw new Error(`dream ${run.id} ${run.status}: ${run.error?.message ?? ""}`);

  log(`\nDream ${run.id}: ${run.operations.length} operations on branch ${run.outputs.branch}`);
  for (const op of run.operations) {
    log(`  ${String(op.index).padStart(2)}. ${op.kind.padEnd(7)} ${op.paths.join(", ")}: ${op.reason}`);
  }
  log(`\nGates: ${run.gates.map((g) => `${g.name} ${g.passed ? "passed" : "FAILED"}`).join(", ")}`);
  const dir = relative(process.cwd(), memory.dir) || ".";
  log(`\nInspect it, then adopt or discard:
  git -C ${dir} log --format='%h %s%n%(trailers:only,unfold)' ${run.outputs.branch}
  git -C ${dir} diff main...${run.outputs.branch}
  pnpm reverie dream show ${run.id} --dir ${dir} --evidence
  pnpm reverie dream review ${run.id} --dir ${dir}     # in the browser: diffs, quoted evidence, accept/skip
  pnpm reverie dream adopt ${run.id} --dir ${dir}     # or: --skip N, or: dream discard ${run.id}`);
  return run.id;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  runDemo(join(process.cwd(), ".reverie-demo", "memory")).catch((error: Error) => {
    console.error(`demo failed: ${error.message}`);
    process.exitCode = 1;
  });
}
