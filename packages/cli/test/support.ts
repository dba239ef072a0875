import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { tempDir, killAfter } from "@reverie/test-utils";

/** The built `reverie` binary, run as a user runs it. */
export const BIN = fileURLToPath(new URL("../bin/reverie.js", import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the binary to completion. The caller's REVERIE_DIR/REVERIE_AGENT never leak in, so a
 * test only uses the folder it names. `input` may be given as the options object or, for
 * brevity, as a string.
 */
export function reverie(args: string[], options: string | { input?: string; env?: Record<string, string>; cwd?: string } = {}): Run {
  const { input = "", env = {}, cwd } = typeof options === "string" ? { input: options } : options;
  const result = spawnSync(process.execPath, [BIN, ...args], {
    input,
    env: { ...process.env, REVERIE_DIR: "", REVERIE_AGENT: "", ...env },
    ...(cwd ? { cwd } : {}),
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the built binary asynchronously, so an in-process fake server can answer it; no
 * Anthropic key, base URL, memory folder or agent leaks in from the environment.
 */
export function reverieAsync(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, REVERIE_DIR: "", REVERIE_AGENT: "", ANTHROPIC_API_KEY: "", ANTHROPIC_AUTH_TOKEN: "", ANTHROPIC_BASE_URL: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs git in `dir` and returns its stdout; a failing git command fails the test. */
export function git(dir: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

/** A fresh memory made by `reverie init`: `dir`, inside its own temp folder `base`. */
export async function initializedMemory(): Promise<{ base: string; dir: string }> {
  const base = await tempDir();
  const dir = join(base, "memory");
  expect(reverie(["init", dir]).code).toBe(0);
  return { base, dir };
}

/** A seeded PRNG (the seed is printed, so a failing run can be replayed), and what a crash may leave behind. */
export { seededRandom as random, crashLeftovers as leftovers } from "@reverie/test-utils";

/**
 * Starts the built CLI in its own process group and kill -9s it after `delayMs`: the whole
 * group (git children die too) or node alone (its git children run on, orphaned). Resolves with
 * its exit code, `null` when the kill took it.
 */
export function spawnAndKill(args: string[], input: string, delayMs: number, group: boolean): Promise<number | null> {
  const child = spawn(process.execPath, [BIN, ...args], { detached: true, stdio: ["pipe", "ignore", "ignore"], env: { ...process.env, REVERIE_DIR: "" } });
  child.stdin.end(input);
  return killAfter(child, delayMs, group);
}

/** An orphaned git (node killed alone) may still be finishing; the next command waits for it the same way. */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
