import { describe, expect, it } from "vitest";
import { reverie } from "./support.js";

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
      ["init"], ["read"], ["write"], ["rm"], ["mv"], ["ls"], ["log"], ["search"], ["doctor"], ["import"], ["sync"], ["watch"], ["mcp"],
      ["claude-code", "install"], ["claude-code", "uninstall"], ["claude-code", "hook"],
      ["dream"], ["dream", "run"], ["dream", "list"], ["dream", "show"], ["dream", "diff"], ["dream", "adopt"], ["dream", "discard"], ["dream", "cancel"],
    ];
    for (const command of commands) {
      const help = reverie([...command, "--help"]);
      expect(help.code, command.join(" ")).toBe(0);
      expect(help.stdout, command.join(" ")).toMatch(/\nGlobal Options:\n {2}--dir <folder> +memory folder \(default: \$REVERIE_DIR, else \.\/memory\)\n {2}--json +machine-readable output\n/);
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
