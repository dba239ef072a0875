import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/** Runs a built script of this example as a user does (`pnpm build` first). */
function script(name: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [fileURLToPath(new URL(`../dist/${name}`, import.meta.url)), ...args], { encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the Claude Code example scripts' command lines", () => {
  it.each(["setup.js", "dream-project.js"])("%s answers --help with its usage and a bad option with a message, never a stack", (name) => {
    const help = script(name, "--help");
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toMatch(new RegExp(`^Usage: node examples/claude-code/dist/${name} \\[--memory <dir>\\] \\[--project <dir>\\]\\n`));
    const bogus = script(name, "--bogus");
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toBe(`${name}: Unknown option '--bogus'\n\n${help.stdout}`);
    expect(script(name, "--memory")).toMatchObject({ code: 1, stderr: expect.stringMatching(new RegExp(`^${name}: Option '--memory <value>' argument missing\\n`)) });
    expect(script(name, "stray")).toMatchObject({ code: 1, stderr: expect.stringMatching(new RegExp(`^${name}: Unexpected argument 'stray'`)) });
    for (const run of [bogus, script(name, "stray")]) expect(run.stderr).not.toMatch(/ERR_PARSE_ARGS|\n\s+at /);
  });

  it("setup.js names the .mcp.json it cannot write", () => {
    const run = script("setup.js", "--memory", "/tmp/m", "--project", "/nonexistent-reverie-project");
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("setup.js: cannot write /nonexistent-reverie-project/.mcp.json: ENOENT: no such file or directory, open '/nonexistent-reverie-project/.mcp.json'\n");
  });
});
