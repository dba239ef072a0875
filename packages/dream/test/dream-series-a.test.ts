import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { initMemory, openMemory } from "@reverie/core";
import { adoptDream, dream } from "@reverie/dream";
import { tempDir } from "@reverie/test-utils";

const DATASETS = fileURLToPath(new URL("../../../../shared/datasets/claude-code/", import.meta.url));
const SERIES_A = ["ab8c5aa0", "375d5d79", "1ed1f046", "34de7f83", "0a0314fb", "b8c1e7e5", "94e68429"];
const present = existsSync(DATASETS);
if (!present) console.log(`skipping Series A dreams: ${DATASETS} is absent (the team's shared datasets sit beside the clone)`);

/** Seven consecutive real Claude Code sessions of one developer on the entireio/cli project. */
async function seriesA(): Promise<string> {
  const dir = join(await tempDir(), "sessions");
  await mkdir(dir);
  const files = await readdir(DATASETS);
  for (const prefix of SERIES_A) {
    const file = files.find((f) => f.startsWith(`entireio__cli__${prefix}`))!;
    await copyFile(join(DATASETS, file), join(dir, file));
  }
  return dir;
}

describe.skipIf(!present)("offline dreams over the real Series A sessions", () => {
  it("verify the project's real test and lint commands from the sessions that ran them, and merge the duplicate", async () => {
    const sessions = await seriesA();
    const dir = join(await tempDir(), "memory");
    const memory = await initMemory(dir);
    await memory.write("testing/run-tests.md", "---\ntitle: Running the tests\ntype: fact\n---\nRun the Go tests of the entire CLI with `mise run test`.\n", { stamp: false });
    await memory.write("testing/lint.md", "---\ntitle: Lint\ntype: fact\n---\nLint the code with `mise run lint` (after `mise run fmt`).\n", { stamp: false });
    await memory.write("notes/tests.md", "---\ntitle: Test command\ntype: fact\n---\nThe entire CLI's Go tests run with `mise run test`.\n", { stamp: false });
    await memory.write("infra/port.md", "---\ntitle: Dev server\ntype: fact\n---\nThe dev server listens on port 4000.\n", { stamp: false });

    const run = await dream({ memory: dir, sessions: [sessions], instructions: "leave infra/ alone\nprefer short bodies" });
    expect(run.status).toBe("completed");
    expect(run.inputs.sessions).toHaveLength(7);
    expect(run.gates.every((g) => g.passed)).toBe(true);
    expect(run.ignored_instructions).toEqual(["prefer short bodies"]);
    expect(run.operations.map((op) => [op.kind, op.paths])).toEqual([
      ["dedup", ["testing/run-tests.md", "notes/tests.md"]],
      ["verify", ["testing/lint.md"]],
      ["verify", ["testing/run-tests.md"]],
      // The agent read cmd/entire/cli/geminicli/gemini.go and found it under agent/.
      ["learn", ["layout/cli-paths.md"]],
      // The user wrote "when running `mise run test:ci` I get these errors", and the agent then ran it green.
      ["learn", ["workflows/cli-commands.md"]],
    ]);
    const ids = new Set(run.inputs.sessions.map((s) => s.id));
    for (const op of run.operations) for (const e of op.evidence) expect(ids.has(e.session)).toBe(true);

    await adoptDream(dir, run.id);
    const adopted = await openMemory(dir);
    const tests = await adopted.read("testing/run-tests.md");
    expect(tests.frontmatter.verified).toHaveLength(3);
    expect(await adopted.exists("notes/tests.md")).toBe(false);
    expect(await adopted.read("infra/port.md")).toMatchObject({ body: "The dev server listens on port 4000.\n" });
  });
});
