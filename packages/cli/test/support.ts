import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { tempDir } from "@reverie/test-utils";

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
