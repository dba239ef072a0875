import { spawnSync } from "node:child_process";
import { join } from "node:path";
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
