import { spawn } from "node:child_process";
import { ReverieError } from "../errors.js";

export interface GitRunOptions {
  /** Bytes fed to git's stdin (plumbing such as `hash-object --stdin`, `mktree`, `commit-tree -F -`). */
  input?: string | Uint8Array;
  /** Extra environment for this call, on top of the repository's. */
  env?: Record<string, string>;
  /** Exit codes that are answers, not failures (e.g. 1 for `git config --get` of an unset key). */
  okCodes?: readonly number[];
}

export interface GitResult {
  stdout: string;
  /** The exact bytes of stdout (for `cat-file --batch`, whose framing counts bytes). */
  stdoutBytes: Buffer;
  stderr: string;
  code: number;
}

/**
 * Runs git in `dir`. This is the one place reverie starts git: a plain spawn rather than a
 * wrapper library, because dream branches are written with plumbing that reads stdin.
 * Failures become `GIT_NOT_FOUND`, `LOCKED` (a leftover `index.lock`) or `GIT_FAILED`.
 */
export function runGit(dir: string, args: readonly string[], options: GitRunOptions = {}, baseEnv?: NodeJS.ProcessEnv): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, {
      cwd: dir,
      // Memory paths may contain ':', '*', '?' or '['; git must read them as names, never as
      // pathspec magic (':(exclude)x.md' would otherwise commit every other change too).
      // A caller that means a glob says so with GIT_LITERAL_PATHSPECS: "0".
      env: { ...(baseEnv ?? process.env), GIT_LITERAL_PATHSPECS: "1", ...options.env, GIT_TERMINAL_PROMPT: "0" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") {
        reject(
          new ReverieError(
            "GIT_NOT_FOUND",
            "git is not installed or not on PATH. reverie keeps memory history in git: install it (e.g. apt-get install git, brew install git) and try again.",
            {},
            { cause: error },
          ),
        );
      } else reject(new ReverieError("GIT_FAILED", `Could not run git: ${error.message}`, { args }, { cause: error }));
    });
    child.on("close", (code) => {
      const stdoutBytes = Buffer.concat(out);
      const result = { stdout: stdoutBytes.toString("utf8"), stdoutBytes, stderr: Buffer.concat(err).toString("utf8"), code: code ?? -1 };
      if (result.code === 0 || options.okCodes?.includes(result.code)) resolve(result);
      else reject(gitError(dir, args, result));
    });
    child.stdin.on("error", () => undefined); // git may exit before reading all input; the exit code tells.
    child.stdin.end(options.input ?? "");
  });
}

/** The git subcommand of an argument list, skipping `-c key=value` and other global options. */
function subcommand(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-c" || arg === "-C") i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return "";
}

function gitError(dir: string, args: readonly string[], result: GitResult): ReverieError {
  const stderr = result.stderr.trim();
  const indexLock = /Unable to create '([^']+\.lock)': File exists/.exec(stderr)?.[1];
  if (indexLock) {
    return new ReverieError(
      "LOCKED",
      `git's lock file ${indexLock} exists: another git command is running in ${dir}, or one crashed. If no git command is running, delete ${indexLock} and try again.`,
      { lockPath: indexLock, args },
    );
  }
  const first = stderr.split("\n").find((line) => line.trim() !== "") ?? `exit code ${result.code}`;
  const command = subcommand(args);
  if (command === "commit" || command === "merge") {
    // A hook or commit signing said no: the caller has already put the folder back.
    return new ReverieError(
      "GIT_FAILED",
      `git ${command} was refused in ${dir}: ${first}. Nothing was written. A git hook or commit signing in this repository refused it; fix what it reports (or its configuration) and try again.`,
      { args, code: result.code, stderr, refused: true },
    );
  }
  return new ReverieError("GIT_FAILED", `git ${command} failed in ${dir}: ${first}`, { args, code: result.code, stderr });
}
