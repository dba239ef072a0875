import { spawnSync } from "node:child_process";
import { cp, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { fault, startFakeAnthropic, type FakeAnthropic } from "@reverie/test-utils";
import { BIN, initializedMemory, reverie, reverieAsync } from "./support.js";

const SAMPLE = fileURLToPath(new URL("../../../examples/quickstart/sample/", import.meta.url));

describe("help and usage errors (#15.3)", () => {
  it("suggests the dream sub-command a typo meant, instead of reporting arguments for the default run", () => {
    expect(reverie(["dream", "shwo", "x"])).toMatchObject({ code: 1, stdout: "", stderr: "error: unknown command 'shwo'\n(Did you mean show?)\nRun 'reverie --help' for usage.\n" });
    expect(reverie(["dream", "lsit"]).stderr).toBe("error: unknown command 'lsit'\n(Did you mean list?)\nRun 'reverie --help' for usage.\n");
    expect(reverie(["dream", "run", "a.jsonl"])).toMatchObject({
      code: 1,
      stderr: "error: 'dream run' takes no arguments, got 'a.jsonl'; pass transcripts or session ids with --sessions a.jsonl\nRun 'reverie --help' for usage.\n",
    });
  });

  it("lists --dir and --json in every sub-command's help", () => {
    const commands = [
      ["init"], ["read"], ["write"], ["rm"], ["mv"], ["ls"], ["log"], ["search"], ["doctor"], ["import"], ["sync"], ["watch"], ["mcp"], ["setup"],
      ["claude-code", "install"], ["claude-code", "uninstall"], ["claude-code", "hook"],
      ["dream"], ["dream", "run"], ["dream", "list"], ["dream", "show"], ["dream", "review"], ["dream", "diff"], ["dream", "adopt"], ["dream", "discard"], ["dream", "cancel"],
    ];
    for (const command of commands) {
      const help = reverie([...command, "--help"]);
      expect(help.code, command.join(" ")).toBe(0);
      expect(help.stdout, command.join(" ")).toMatch(/\nGlobal Options:\n {2}--dir <folder> +memory folder \(default: \$REVERIE_DIR, else \.\/memory\);?(?:[^\n]*\n {4,}[^\n]*)*\n {2}--json +machine-readable output\n/);
    }
  });

  it("shows the run options under dream --help, since `reverie dream --sessions …` is `dream run`", () => {
    const help = reverie(["dream", "--help"]).stdout;
    const options = help.slice(help.indexOf("\nOptions:\n"), help.indexOf("\nGlobal Options:\n"));
    expect([...options.matchAll(/^ {2}(-[-\w]+(?:, --[-\w]+)?)/gm)].map((m) => m[1]!.trim())).toEqual([
      "--sessions",
      "--provider",
      "--model",
      "--instructions",
      "--budget-usd",
      "--auto-adopt",
      "--base-url",
      "--batch-api",
      "--resume",
      "-h, --help",
    ]);
    expect(help).toContain("\nCommands:\n  run [options]");
  });
});

describe("dream inputs and hints (#15.4)", () => {
  let fake: FakeAnthropic | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it("refuses a missing path, an empty folder, a file that is no transcript and an unknown session id before making a run record", async () => {
    const { base, dir } = await initializedMemory();
    await mkdir(join(base, "empty"));
    await writeFile(join(base, "notes.txt"), "hello\n");
    // The whole message, or (for the two that go on to list formats or paths) how it starts.
    const cases: Array<[string, string]> = [
      [join(base, "nope"), `reverie: No such transcript file or folder: ${join(base, "nope")}\n`],
      [join(base, "empty"), `reverie: No transcripts found in ${join(base, "empty")}. Give transcript files or folders (Claude Code .jsonl, Anthropic/OpenAI/Gemini .json, reverie .jsonl).\n`],
      [join(base, "notes.txt"), `reverie: Cannot tell the transcript format of ${join(base, "notes.txt")}. Tried: `],
      ["ses_000000000000000000000000", "reverie: No session ses_000000000000000000000000 in "],
    ];
    for (const [input, message] of cases) {
      const run = reverie(["dream", "--sessions", input, "--dir", dir]);
      expect(run.code, input).toBe(1);
      expect(run.stdout, input).toBe("");
      const error = run.stderr.slice(run.stderr.indexOf("reverie: "));
      expect(message.endsWith("\n") ? error : error.slice(0, message.length), input).toBe(message);
    }
    expect(await readdir(join(dir, ".reverie/runs")).catch(() => [])).toEqual([]);
    expect(reverie(["dream", "list", "--dir", dir]).stdout).toBe(`No dreams yet. Start one with: reverie dream --dir ${dir} --sessions <transcripts>\n`);
  });

  it("says to import sessions first, with the commands, when there is nothing to dream over", async () => {
    const { dir } = await initializedMemory();
    const run = reverie(["dream", "--dir", dir]);
    expect(run).toMatchObject({ code: 1, stdout: "" });
    expect(run.stderr.split("\n").filter((line) => line.startsWith("reverie: "))).toEqual([
      `reverie: Nothing to dream over: ${dir} has no memories and no imported sessions. Import sessions first: reverie import <transcripts> --dir ${dir} (e.g. ~/.claude/projects/<project>), or dream over them directly: reverie dream --sessions <transcripts> --dir ${dir}`,
    ]);
    expect(run.stderr).not.toContain("every citation is a real session turn");
    expect(await readdir(join(dir, ".reverie/runs")).catch(() => [])).toEqual([]);
  });

  it("puts --dir into the resume hint of a failed model run, in dream and dream show", async () => {
    const { dir } = await initializedMemory();
    fake = await startFakeAnthropic({ responder: () => fault.status(400, "invalid_request_error", "prompt is too long") });
    const run = await reverieAsync(["dream", "--provider", "anthropic", "--sessions", join(SAMPLE, "sessions"), "--dir", dir], { ANTHROPIC_API_KEY: "sk-test", ANTHROPIC_BASE_URL: fake.url });
    expect(run.code).toBe(1);
    const id = /^Dream (drm_\w+): failed/.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    const hint = `  resume without paying again for finished requests: reverie dream --resume ${id} --dir ${dir}`;
    expect(run.stdout.split("\n")).toContain(hint);
    expect(reverie(["dream", "show", id!, "--dir", dir]).stdout.split("\n")).toContain(hint);
  });

  it("moves the progress bar while it imports transcripts and reads sessions", async (context) => {
    if (spawnSync("script", ["--version"]).status !== 0) return context.skip("util-linux `script` (for a terminal) is not installed");
    const { base, dir } = await initializedMemory();
    await cp(join(SAMPLE, "sessions"), join(base, "sessions"), { recursive: true });
    const command = [process.execPath, BIN, "dream", "--sessions", join(base, "sessions"), "--dir", dir].map((a) => `'${a}'`).join(" ");
    const tty = spawnSync("script", ["-qec", `${command} >/dev/null`, "/dev/null"], { encoding: "utf8", env: { ...process.env, REVERIE_DIR: "" } });
    expect(tty.status).toBe(0);
    const frames = [...new Set(tty.stdout.split("\r\x1b[2K").filter((f) => f.includes(" sessions ")))];
    expect(frames).toEqual([
      "[--------------------] sessions reading sessions",
      "[#####---------------] sessions 1/4 importing transcripts",
      "[##########----------] sessions 2/4 importing transcripts",
      "[###############-----] sessions 3/4 importing transcripts",
      "[####################] sessions 4/4 importing transcripts",
      "[#####---------------] sessions 1/4 reading sessions",
      "[##########----------] sessions 2/4 reading sessions",
      "[###############-----] sessions 3/4 reading sessions",
      "[####################] sessions 4/4 reading sessions",
    ]);
  });
});
