import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeEach, describe, expect, it } from "vitest";
import { BIN, git, initializedMemory, reverie } from "./support.js";

const DATASET = fileURLToPath(new URL("../../../../shared/datasets/claude-code", import.meta.url));
const transcripts = existsSync(DATASET)
  ? spawnSync("ls", [DATASET], { encoding: "utf8" })
      .stdout.split("\n")
      .filter((f) => f.endsWith(".jsonl"))
      .map((f) => join(DATASET, f))
  : [];
const realTranscripts = transcripts.length >= 2 ? it : it.skip;
if (transcripts.length < 2) console.log(`claude-code hook: real-transcript tests skipped: no Claude Code transcripts in ${DATASET}`);

let dir: string;
let base: string;

beforeEach(async () => {
  ({ base, dir } = await initializedMemory());
});

/** Runs the hook exactly as Claude Code does (stdin JSON, the installed command line) and times it. */
function runHook(input: string, extra: string[] = []): { code: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const result = spawnSync(process.execPath, [BIN, "claude-code", "hook", "--memory", dir, ...extra], { input, encoding: "utf8", env: { ...process.env, REVERIE_DIR: "" } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

const logFile = () => join(dir, ".reverie/claude-code/hook.log");
const logLines = async () => (await readFile(logFile(), "utf8").catch(() => "")).split("\n").filter(Boolean).map((l) => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ""));

async function waitFor(check: () => Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; hook.log:\n${(await logLines()).join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const payload = (transcript: string, event = "SessionEnd", session = "3f1c0a9e-0000-4000-8000-000000000001") =>
  JSON.stringify({ session_id: session, transcript_path: transcript, cwd: base, hook_event_name: event, reason: "exit" });

describe("reverie claude-code hook", () => {
  realTranscripts("imports a real transcript in the background, returning 0 within a second", async () => {
    const result = runHook(payload(transcripts[0]!));
    expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(result.ms).toBeLessThan(1000);
    await waitFor(async () => (await logLines()).some((l) => l.startsWith("import: ")), "the import");
    const lines = await logLines();
    expect(lines[0]).toMatch(new RegExp(`^hook: SessionEnd of session 3f1c0a9e-0000-4000-8000-000000000001: importing ${transcripts[0]} \\(worker \\d+\\)$`));
    const imported = /^import: created (ses_\w+) from (.+): \d+ messages, \d+ tool calls$/.exec(lines[1]!);
    expect(imported?.[2]).toBe(transcripts[0]);
    expect(await readdir(join(dir, ".reverie/sessions"))).toEqual([`${imported![1]}.jsonl`]);
    // The same session as `reverie import` makes of that file.
    expect(JSON.parse(reverie(["import", transcripts[0]!, "--dir", dir, "--json"]).stdout).sessions[0]).toMatchObject({ id: imported![1], status: "unchanged" });
    // Its folder keeps itself out of git: the memory stays clean.
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(await readdir(join(dir, ".reverie/claude-code/queue"))).toEqual([]);
  });

  realTranscripts("with --dream-after 2 starts a detached dream once two new sessions arrived, counting a session once", async () => {
    expect(runHook(payload(transcripts[0]!, "PreCompact"), ["--dream-after", "2"]).code).toBe(0);
    await waitFor(async () => (await logLines()).some((l) => l.startsWith("import: ")), "the first import");
    expect(runHook(payload(transcripts[0]!, "SessionEnd"), ["--dream-after", "2"]).code).toBe(0);
    await waitFor(async () => (await logLines()).filter((l) => l.startsWith("import: ")).length === 2, "the second import");
    expect((await logLines()).some((l) => l.startsWith("dream: "))).toBe(false);
    expect(runHook(payload(transcripts[1]!, "SessionEnd", "other"), ["--dream-after", "2"]).code).toBe(0);
    await waitFor(async () => (await logLines()).some((l) => l.startsWith("dream: started")), "the dream to start");
    await waitFor(async () => JSON.parse(reverie(["dream", "list", "--dir", dir, "--json"]).stdout).length === 1, "the dream record", 120_000);
    const dreams = JSON.parse(reverie(["dream", "list", "--dir", dir, "--json"]).stdout) as Array<{ id: string; status: string }>;
    await waitFor(async () => JSON.parse(reverie(["dream", "list", "--dir", dir, "--json"]).stdout)[0].status !== "running", "the dream to finish", 120_000);
    expect(dreams).toHaveLength(1);
    const line = (await logLines()).find((l) => l.startsWith("dream: started"))!;
    expect(line).toMatch(new RegExp(`^dream: started over 2 new sessions \\(ses_\\w+, ses_\\w+\\), pid \\d+; its output: ${dir}/.reverie/claude-code/dream-[\\dTZ-]+\\.log; review with: reverie dream list --dir ${dir}$`));
  }, 240_000);

  it.each([
    ["not JSON", "garbage{", 'hook: hook input is not JSON (Unexpected token \'g\', "garbage{" is not valid JSON): "garbage{"; nothing imported'],
    ["empty", "", "hook: no hook input on stdin (expected Claude Code's hook JSON: session_id, transcript_path, cwd, hook_event_name); nothing imported"],
    ["an array", "[1]", "hook: hook input is not a JSON object (expected session_id, transcript_path, cwd, hook_event_name); nothing imported"],
    ["without transcript_path", '{"session_id":"x","hook_event_name":"SessionEnd"}', "hook: hook input has no transcript_path string: nothing to import; nothing imported"],
  ])("input %s: exits 0 at once and says why in the log", async (_name, input, logged) => {
    const result = runHook(input);
    expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(result.ms).toBeLessThan(1000);
    expect(await logLines()).toEqual([logged]);
    expect(existsSync(join(dir, ".reverie/sessions"))).toBe(false);
  });

  it("a transcript that does not exist, or a bad flag, is logged and still exits 0", async () => {
    const missing = join(base, "gone.jsonl");
    const result = runHook(payload(missing), ["--dream-after", "x"]);
    expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
    await waitFor(async () => (await logLines()).some((l) => l.startsWith("import: ")), "the failed import");
    expect((await logLines()).filter((l) => !l.startsWith("hook: SessionEnd"))).toEqual([
      'hook: --dream-after must be a whole number of at least 1, got "x"; not dreaming',
      `import: ${missing}: not imported: No such transcript file or folder: ${missing}`,
    ]);
  });

  it("with no memory folder says so on stderr and exits 0", () => {
    const result = spawnSync(process.execPath, [BIN, "claude-code", "hook", "--memory", join(base, "nope")], { input: "{}", encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(`reverie claude-code hook: no reverie memory at ${join(base, "nope")}; create it with: reverie init ${join(base, "nope")}\n`);
  });
});
