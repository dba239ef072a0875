import { execFileSync } from "node:child_process";
import { cpus, totalmem, type as osType, release } from "node:os";

/** Where and on what a run happened, printed above the table. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  commit: string;
  dirty: boolean;
  date: string;
}

/** Describes this machine and the checkout's commit. */
export function describeMachine(repoDir: string, now = new Date()): Machine {
  const git = (args: string[]): string => {
    try {
      return execFileSync("git", args, { cwd: repoDir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "";
    }
  };
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.version,
    commit: git(["rev-parse", "--short", "HEAD"]) || "unknown",
    dirty: git(["status", "--porcelain"]) !== "",
    date: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
}
