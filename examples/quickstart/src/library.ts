/**
 * reverie as a library: open a memory, write, search, dream offline over the sample sessions, and
 * print the dream's diff. `node examples/quickstart/dist/library.js [folder]` after `pnpm build`.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initMemory, openMemory } from "@reverie/core";
import { dream } from "@reverie/dream";

const sample = join(fileURLToPath(new URL(".", import.meta.url)), "..", "sample");

/** Runs the walkthrough in `target` (replaced if it exists); returns the dream's id and diff. */
export async function runLibraryExample(target: string, log: (line: string) => void = console.log): Promise<{ id: string; diff: string }> {
  await rm(target, { recursive: true, force: true });
  await initMemory(target);

  // 1. Open the folder as an agent; every write is a commit with Agent/Session trailers.
  const memory = await openMemory(target, { agent: "coder-1", session: "ses_library" });
  for (const dir of await readdir(join(sample, "memory"))) {
    for (const file of await readdir(join(sample, "memory", dir))) {
      const path = `${dir}/${file}`;
      const result = await memory.write(path, await readFile(join(sample, "memory", path), "utf8"));
      log(`wrote ${path} (${result.op}, commit ${result.commit?.slice(0, 7)})`);
    }
  }

  // 2. Search: ranked, typo-tolerant, over path, title, tags, key and body.
  for (const hit of await memory.search("which port does the api use")) log(`search: ${hit.path} — ${hit.title}`);

  // 3. Dream offline: no key, no network. The proposal is a branch; the memory is untouched.
  const run = await dream({ memory: memory.dir, sessions: [join(sample, "sessions")] });
  if (run.status !== "completed" || !run.outputs.head || !run.inputs.base_commit) throw new Error(`dream ${run.id} ${run.status}: ${run.error?.message ?? "no branch"}`);
  log(`dream ${run.id}: ${run.operations.map((op) => `${op.kind} ${op.paths.join(", ")}`).join("; ")}`);

  // 4. Review it as git: the diff between the dream's base and its branch.
  const diff = (await memory.repo.run(["diff", "--stat", "-p", run.inputs.base_commit, run.outputs.head, "--"])).stdout;
  log(diff);
  await memory.close();
  return { id: run.id, diff };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  runLibraryExample(process.argv[2] ?? join(process.cwd(), ".reverie-library", "memory")).catch((error: Error) => {
    console.error(`library example failed: ${error.message}`);
    process.exitCode = 1;
  });
}
