import { spawnSync } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { runLibraryExample } from "./library.js";

describe("the library example", () => {
  it("writes, searches, dreams offline and prints the dream's diff", async () => {
    const dir = join(await tempDir(), "memory");
    const lines: string[] = [];
    const { id, diff } = await runLibraryExample(dir, (line) => lines.push(line));

    expect(lines.filter((l) => l.startsWith("wrote "))).toHaveLength(6);
    expect(lines.find((l) => l.startsWith("search: "))).toMatch(/^search: infra\/(api|admin)-port\.md — /);
    expect(lines.find((l) => l.startsWith("dream "))).toMatch(new RegExp(`^dream ${id}: (dedup|stale|pattern|verify|reorganize) `));
    expect(diff).toMatch(/^ .*\| +\d+ /m);
    expect(diff).toMatch(/^diff --git a\/\S+\.md b\/\S+\.md$/m);
    expect(lines).toContain(diff);
    // The proposal is a branch; the memory branch itself is unchanged by the dream.
    expect(spawnSync("git", ["branch", "--list", `dream/${id}`], { cwd: dir, encoding: "utf8" }).stdout.trim()).toBe(`dream/${id}`);
    expect(spawnSync("git", ["log", "-1", "--format=%an %(trailers:key=Session,valueonly)"], { cwd: dir, encoding: "utf8" }).stdout.trim()).toBe("coder-1 ses_library");
  });
});

describe("the demo script", () => {
  it("answers --help with what it does and an argument with a message, running nothing", async () => {
    const cwd = await tempDir();
    const run = (...args: string[]) => spawnSync(process.execPath, [fileURLToPath(new URL("../dist/demo.js", import.meta.url)), ...args], { cwd, encoding: "utf8" });
    expect(run("--help")).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Usage: pnpm demo /) });
    expect(run("x")).toMatchObject({ status: 1, stderr: expect.stringMatching(/^demo: unexpected argument 'x'\.\n\nUsage: /) });
    expect(await readdir(cwd)).toEqual([]);
  });
});
