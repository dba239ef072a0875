import { spawnSync } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { runFleet } from "./fleet.js";

function git(dir: string, ...args: string[]): string {
  return spawnSync("git", args, { cwd: dir, encoding: "utf8" }).stdout;
}

describe("the fleet example", () => {
  it("concurrent agents on two machines lose nothing, converge through the remote, and push a dream for review", async () => {
    const lines: string[] = [];
    const { remote, machines, dreamId } = await runFleet(join(await tempDir(), "fleet"), (line) => lines.push(line));
    const [laptop, server] = machines as [(typeof machines)[0], (typeof machines)[0]];

    const head = git(laptop.dir, "rev-parse", "HEAD");
    expect(git(server.dir, "rev-parse", "HEAD")).toBe(head);
    expect(git(remote, "rev-parse", "main")).toBe(head);

    const paths = (await laptop.list()).map((e) => e.path);
    expect(paths).toEqual((await server.list()).map((e) => e.path));
    expect(paths.filter((p) => p.startsWith("notes/"))).toHaveLength(13);
    expect(paths).toEqual(expect.arrayContaining(["prefs/package-manager.md", "tooling/pnpm.md"]));

    const byAgent: Record<string, number> = {};
    for (const entry of await laptop.history()) if (entry.agent) byAgent[entry.agent] = (byAgent[entry.agent] ?? 0) + 1;
    expect(byAgent).toEqual({ planner: 3, coder: 4, reviewer: 2, "ci-bot": 4, "deploy-bot": 2 });

    expect(git(remote, "branch", "--list", "dream/*").trim()).toBe(`dream/${dreamId}`);
    expect(lines.at(-1)).toMatch(new RegExp(`^dream ${dreamId}: \\d+ operations on dream/${dreamId}, pushed for review$`));
    for (const memory of machines) expect(git(memory.dir, "status", "--porcelain")).toBe("");
  });
});

describe("the fleet script", () => {
  it("answers --help with its usage and extra arguments with a message, creating nothing", async () => {
    const cwd = await tempDir();
    const run = (...args: string[]) => spawnSync(process.execPath, [fileURLToPath(new URL("../dist/fleet.js", import.meta.url)), ...args], { cwd, encoding: "utf8" });
    expect(run("--help")).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Usage: node examples\/fleet\/dist\/fleet\.js \[work folder\]\n/) });
    expect(run("a", "b")).toMatchObject({ status: 1, stderr: expect.stringMatching(/^fleet: one work folder, got 2 arguments\.\n\nUsage: /) });
    expect(run("--verbose")).toMatchObject({ status: 1, stderr: expect.stringMatching(/^fleet: unknown option '--verbose'\.\n/) });
    expect(await readdir(cwd)).toEqual([]);
  });
});
