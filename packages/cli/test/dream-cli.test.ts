import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initMemory, listMarkdownFiles } from "@reverie/core";
import type { DreamRecord } from "@reverie/dream";
import { dreamExitCode } from "../src/commands/dream.js";
import { reverieAsync } from "./support.js";
import { reply, startFakeAnthropic, tempDir, type FakeAnthropic } from "@reverie/test-utils";

const SAMPLE = fileURLToPath(new URL("../../../examples/quickstart/sample/", import.meta.url));

/** The built binary, run asynchronously so the in-process fake server can answer it. */
const reverie = reverieAsync;

function git(dir: string, ...args: string[]): string {
  return spawnSync("git", args, { cwd: dir, encoding: "utf8" }).stdout;
}

let dir: string;
beforeEach(async () => {
  dir = join(await tempDir(), "memory");
  const memory = await initMemory(dir);
  for (const path of await listMarkdownFiles(join(SAMPLE, "memory"))) {
    await memory.write(path, await readFile(join(SAMPLE, "memory", path), "utf8"), { stamp: false });
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
    expect(adopt).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^adopted ${record.id}: 6 operation\\(s\\) \\(skipped ${stale}\\) merged in commit [0-9a-f]{7}\\n$`)) });
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

describe("reverie dream adopt, discard and exit codes", () => {
  async function offlineDream(): Promise<{ id: string; operations: Array<{ index: number; kind: string }> }> {
    const run = await reverie(["dream", "--sessions", join(SAMPLE, "sessions"), "--dir", dir, "--json"]);
    return JSON.parse(run.stdout);
  }

  it("refuses a dream whose blocking gate failed (exit 2) unless --force, and shows no adopt hint for it", async () => {
    await writeFile(join(dir, ".reverie/config.yaml"), "dream:\n  loss_cap: 0\n");
    const run = await reverie(["dream", "--sessions", join(SAMPLE, "sessions"), "--dir", dir, "--json"]);
    const id = JSON.parse(run.stdout).id as string;
    const show = await reverie(["dream", "show", id, "--dir", dir]);
    expect(show.stdout).toContain("fix or discard; adopt anyway with --force");
    expect(show.stdout).not.toContain("reverie dream adopt");
    expect(await reverie(["dream", "adopt", id, "--dir", dir])).toMatchObject({ code: 2, stderr: expect.stringContaining("loss_cap") });
    expect(git(dir, "log", "-1", "--format=%s")).not.toContain("dream: adopt");
    expect(await reverie(["dream", "adopt", id, "--force", "--dir", dir])).toMatchObject({ code: 0, stdout: expect.stringContaining(`adopted ${id}: 7 operation(s) merged`) });
  });

  it("counts a repeated --skip once", async () => {
    const { id } = await offlineDream();
    expect(await reverie(["dream", "adopt", id, "--skip", "1", "--skip", "1", "--dir", dir])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(new RegExp(`^adopted ${id}: 6 operation\\(s\\) \\(skipped 1\\) merged in commit [0-9a-f]{7}\\n$`)),
    });
  });

  it("discards the rest of a dream adopted in part, saying the adopted operations stay", async () => {
    const { id } = await offlineDream();
    await reverie(["dream", "adopt", id, "--skip", "1", "--dir", dir]);
    const head = git(dir, "rev-parse", "HEAD");
    expect(await reverie(["dream", "discard", id, "--dir", dir])).toMatchObject({ code: 0, stdout: expect.stringContaining("the operations adopted in commit") });
    expect(git(dir, "rev-parse", "HEAD")).toBe(head);
  });

  it("refuses to discard a dream adopted whole, naming the revert, and no longer shows its deleted branch", async () => {
    const { id } = await offlineDream();
    expect((await reverie(["dream", "adopt", id, "--dir", dir])).code).toBe(0);
    expect(await reverie(["dream", "discard", id, "--dir", dir])).toMatchObject({ code: 1, stderr: expect.stringContaining("git revert -m 1") });
    const show = await reverie(["dream", "show", id, "--dir", dir]);
    expect(show.stdout).toContain("7 operation");
    expect(show.stdout).not.toContain("on branch");
  });

  it("exits 3 for a run that failed on an internal error and 1 for an unknown session", async () => {
    // A branch named `dream` leaves no room for dream/<id>: writing the dream's branch fails inside git.
    git(dir, "branch", "dream");
    const broken = await reverie(["dream", "--sessions", join(SAMPLE, "sessions"), "--dir", dir]);
    expect(broken).toMatchObject({ code: 3, stdout: expect.stringContaining("error (internal_error)") });
    git(dir, "branch", "-D", "dream");
    expect(await reverie(["dream", "--sessions", "ses_000000000000000000000000", "--dir", dir])).toMatchObject({
      code: 1,
      stdout: "",
      stderr: expect.stringContaining("reverie: No session ses_000000000000000000000000 in "),
    });
  });

  it("maps each outcome of a run to its exit code", () => {
    const base = { status: "completed", error: null, adopted: null, gates: [], warnings: [] } as unknown as DreamRecord;
    const failed = (type: string) => ({ ...base, status: "failed", error: { type, message: "x" } }) as DreamRecord;
    expect(dreamExitCode(base)).toBe(0);
    expect(dreamExitCode(failed("internal_error"))).toBe(3);
    for (const type of ["invalid_input", "input_session_unavailable", "budget_exceeded", "model_error", "rate_limited", "timeout"]) expect(dreamExitCode(failed(type))).toBe(1);
    expect(dreamExitCode({ ...base, status: "canceled" })).toBe(1);
    expect(dreamExitCode({ ...base, gates: [{ name: "evidence", passed: false, detail: "x" }] })).toBe(2);
    expect(dreamExitCode({ ...base, warnings: ["not adopted: CONFLICT: Dream x conflicts with changes made to the memory since it ran"] })).toBe(2);
    expect(dreamExitCode({ ...base, warnings: ["not adopted: INVALID_INPUT: Cannot adopt x: git merge was refused"] })).toBe(1);
  });

  it("prints the resume hint for a run the model failed", async () => {
    const { describeRun } = await import("../src/commands/dream-show.js");
    const record = (await offlineDream()) as DreamRecord;
    expect(describeRun({ ...record, status: "failed", error: { type: "rate_limited", message: "429" } }, "./memory")).toContain(`reverie dream --resume ${record.id}\n`);
  });

  it("says when the order of sessions was guessed because they carry no timestamps", async () => {
    const { describeRun } = await import("../src/commands/dream-show.js");
    const record = (await offlineDream()) as DreamRecord;
    const sessions = [{ id: "ses_a", sha256: "0".repeat(64) }, { id: "ses_b", sha256: "1".repeat(64) }];
    expect(describeRun({ ...record, inputs: { ...record.inputs, sessions, undated: ["ses_a"] } }, "./memory")).toContain(
      'order guessed: 1 of 2 sessions carry no timestamps, so they were read by file name, before the dated ones (ses_a); "latest" among them follows that order',
    );
    expect(describeRun({ ...record, inputs: { ...record.inputs, sessions } }, "./memory")).not.toContain("order guessed");
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
