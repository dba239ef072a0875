import { ReverieError, shellWord } from "@reverie/core";

/** What every command gets from the composition root: resolved globals and its output streams. */
export interface CommandContext {
  /** The memory folder: --dir, else $REVERIE_DIR, else ./memory. */
  dir: string;
  json: boolean;
  /** Default agent for attribution: --agent, else $REVERIE_AGENT. */
  agent?: string;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Writes a line (or, with --json, a JSON document) to stdout. */
export function print(ctx: CommandContext, human: string, json?: unknown): void {
  if (ctx.json) ctx.stdout.write(`${JSON.stringify(json ?? null, null, 2)}\n`);
  else if (human !== "") ctx.stdout.write(human.endsWith("\n") ? human : `${human}\n`);
}

/** Progress and warnings: always stderr, so stdout stays clean for pipes and --json. */
export function note(ctx: CommandContext, line: string): void {
  ctx.stderr.write(`${line}\n`);
}

/** Reads all of stdin as bytes, refusing to wait on an interactive terminal. */
export async function readStdin(ctx: CommandContext, what: string, hint: string): Promise<Buffer> {
  if (ctx.stdin.isTTY) {
    throw new ReverieError("INVALID_INPUT", `No ${what}: pipe it in (${hint}) or pass --file <file>.`, {});
  }
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** The folder `dir` resolves to when neither --dir nor $REVERIE_DIR is given. */
export const DEFAULT_DIR = "./memory";

/** ` --dir <folder>` for the commands a hint prints, empty for the default folder, so a printed command runs as shown. */
export function dirFlag(dir: string): string {
  return dir === DEFAULT_DIR ? "" : ` --dir ${shellWord(dir)}`;
}

/** Short commit id for human output. */
export function short(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 7) : "-";
}

/** `n` and the noun, singular for one: "1 memory", "2 memories". */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
