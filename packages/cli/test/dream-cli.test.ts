import { spawn, spawnSync } from "node:child_process";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initMemory } from "@reverie/core";
import { reply, startFakeAnthropic, tempDir, type FakeAnthropic } from "@reverie/test-utils";

const BIN = fileURLToPath(new URL("../bin/reverie.js", import.meta.url));
const SAMPLE = fileURLToPath(new URL("../../../examples/quickstart/sample/", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built binary asynchronously, so an in-process fake server can answer it. */
function reverie(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, REVERIE_DIR: "", ANTHROPIC_API_KEY: "", ANTHROPIC_AUTH_TOKEN: "", ANTHROPIC_BASE_URL: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function git(dir: string, ...args: string[]): string {
  return spawnSync("git", args, { cwd: dir, encoding: "utf8" }).stdout;
}

let dir: string;
beforeEach(async () => {
  dir = join(await tempDir(), "memory");
  const memory = await initMemory(dir);
  for (const folder of await readdir(join(SAMPLE, "memory"))) {
    for (const file of await readdir(join(SAMPLE, "memory", folder))) {
      await memory.write(`${folder}/${file}`, await readFile(join(SAMPLE, "memory", folder, file), "utf8"), { stamp: false });
    }
  }
});

describe("reverie dream (offline)", () => {
  it("runs, shows, diffs, adopts with --skip, and lists", async () => {
    const run = await reverie(["dream", "--sessions", join(SAMPLE, "sessions"), "--dir", dir, "--json"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("consolidate: offline: 6 memories, 4 sessions\n");
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: "completed", provider: "offline", outputs: { branch: `dream/${record.id}` } });

    const show = await reverie(["dream", "show", record.id, "--dir", dir]);
    expect(show.stdout.split("\n")[0]).toBe(`Dream ${record.id}: completed (offline, 4 sessions, base ${record.inputs.base_commit.slice(0, 7)})`);
    expect(show.stdout).toContain("    pass  loss_cap: retires 1 of 6 memories (16.7%; cap 25%, so at most 1)\n");

    const diff = await reverie(["dream", "diff", record.id, "--stat", "--dir", dir]);
    expect(diff.stdout).toContain("infra/api-port.md");

    const stale = record.operations.find((op: { kind: string }) => op.kind === "stale").index;
    const adopt = await reverie(["dream", "adopt", record.id, "--skip", String(stale), "--dir", dir]);
    expect(adopt).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^adopted ${record.id}: 5 operation\\(s\\) \\(skipped ${stale}\\) merged in commit [0-9a-f]{7}\\n$`)) });
    expect(await readFile(join(dir, "infra/api-port.md"), "utf8")).toContain("8080");

    const list = await reverie(["dream", "list", "--dir", dir]);
    expect(list.stdout).toMatch(new RegExp(`^${record.id}  adopted   `));
  });

  it("exits 2 when a blocking gate fails and 1 on bad input, with a message", async () => {
    const instructions = join(dir, "..", "long.txt");
    await writeFile(instructions, "x".repeat(5000));
    expect(await reverie(["dream", "--instructions", instructions, "--dir", dir])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("dream instructions may have at most 4096"),
    });
    expect(await reverie(["dream", "adopt", "drm_nope", "--dir", dir])).toMatchObject({ code: 1, stderr: expect.stringContaining("is not a dream id") });
    expect(await reverie(["dream", "--provider", "anthropic", "--dir", dir])).toMatchObject({ code: 1, stderr: expect.stringContaining("needs ANTHROPIC_API_KEY") });
    await writeFile(join(dir, ".reverie/config.yaml"), "dream:\n  loss_cap: 0\n");
    const run = await reverie(["dream", "--sessions", join(SAMPLE, "sessions"), "--dir", dir]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("    FAIL  loss_cap: retires 1 of 6 memories (16.7%; cap 0%, so at most 0)");
  });
});

describe("reverie dream --provider anthropic", () => {
  let fake: FakeAnthropic;
  afterEach(async () => fake?.close());

  it("consolidates through the real SDK against an Anthropic-compatible endpoint and records usage and cost", async () => {
    const admin = "ses_f285f0aa3995dbed06003f3b";
    fake = await startFakeAnthropic({
      responder: () =>
        reply.toolUse("propose_operations", {
          operations: [{ kind: "verify", path: "infra/admin-port.md", note: "health check on 8081 answered ok", reason: "the admin UI answered on port 8081", evidence: [{ session: admin, turn: 12 }] }],
        }),
    });
    const run = await reverie(["dream", "--provider", "anthropic", "--model", "claude-haiku-4-5", "--sessions", join(SAMPLE, "sessions"), "--dir", dir, "--json"], {
      ANTHROPIC_API_KEY: "sk-test",
      ANTHROPIC_BASE_URL: fake.url,
    });
    expect(run.stderr).not.toContain("reverie:");
    expect(run.code).toBe(0);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: "completed", provider: "anthropic", model: "claude-haiku-4-5", outputs: { ops: { verify: 1 } } });
    expect(record.usage.input_tokens).toBeGreaterThan(0);
    expect(record.usage.cost_usd).toBeGreaterThan(0);
    expect(record.operations[0]).toMatchObject({ kind: "verify", paths: ["infra/admin-port.md"], evidence: [{ session: admin, turn: 12 }] });
    expect(fake.log.filter((e) => e.kind === "messages").length).toBeGreaterThan(0);

    const adopt = await reverie(["dream", "adopt", record.id, "--dir", dir]);
    expect(adopt.code).toBe(0);
    expect(await readFile(join(dir, "infra/admin-port.md"), "utf8")).toContain(`verified:\n  - { session: ${admin}, turn: 12`);
    expect(git(dir, "log", "-1", "--format=%s")).toBe(`dream: adopt ${record.id} (1 operation)\n`);
  });
});
