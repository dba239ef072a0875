import type { ChildProcess } from "node:child_process";

/**
 * kill -9s `child` after `delayMs` — its whole process group (started `detached`, so git
 * children die too) or node alone (its git children run on, orphaned) — and resolves once it
 * has exited, killed or finished first, with its exit code: `null` when the kill took it, so a
 * 0 says the command finished (and acknowledged what it did) before the kill.
 */
export function killAfter(child: ChildProcess, delayMs: number, group: boolean): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(group ? -child.pid! : child.pid!, "SIGKILL");
      } catch {
        // it had already exited
      }
    }, delayMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
