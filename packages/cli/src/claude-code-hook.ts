/**
 * `reverie claude-code hook`: what Claude Code runs at SessionEnd and PreCompact. It must never
 * block or break Claude Code, so this front half imports nothing but Node's own modules (the bin
 * loads it without the CLI), reads the hook's JSON from stdin, hands the work to a detached
 * worker and exits 0, within a second, whatever the input. The worker imports the transcript
 * and, with --dream-after N, starts a dream once N new sessions have arrived. Both log to
 * `<memory>/.reverie/claude-code/hook.log`; that folder ignores itself in git.
 */
import { spawn } from "node:child_process";
import { appendFile, mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../bin/reverie.js", import.meta.url));
/** The most of stdin read, and the longest waited for it: a hook's JSON is a few hundred bytes. */
const STDIN_LIMIT = 1 << 20;
const STDIN_WAIT_MS = 500;

export interface HookArgs {
  memory: string;
  dreamAfter?: number;
  worker?: string;
}

/** The hook's flags; anything it does not know is reported in the log, never fatal. */
export function parseHookArgs(argv: readonly string[], env: NodeJS.ProcessEnv): { args: HookArgs; problems: string[] } {
  const problems: string[] = [];
  let memory = env.REVERIE_DIR || "./memory";
  let dreamAfter: number | undefined;
  let worker: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if ((flag === "--memory" || flag === "--dir") && value !== undefined) (memory = value), i++;
    else if (flag === "--dream-after" && value !== undefined) {
      i++;
      if (/^\d+$/.test(value) && Number(value) >= 1) dreamAfter = Number(value);
      else problems.push(`--dream-after must be a whole number of at least 1, got ${JSON.stringify(value)}; not dreaming`);
    } else if (flag === "--worker" && value !== undefined) (worker = value), i++;
    else problems.push(`unknown argument ${JSON.stringify(flag)} (expected --memory <folder> [--dream-after N])`);
  }
  return { args: { memory: resolve(memory), ...(dreamAfter ? { dreamAfter } : {}), ...(worker ? { worker } : {}) }, problems };
}

export const hookFolder = (memory: string) => join(memory, ".reverie", "claude-code");
export const hookLog = (memory: string) => join(hookFolder(memory), "hook.log");

/** Makes `.reverie/claude-code/` and its queue; local state, never history, it keeps itself out of git (and so out of sync). */
async function ensureFolder(memory: string): Promise<void> {
  const dir = hookFolder(memory);
  await mkdir(join(dir, "queue"), { recursive: true });
  await writeFile(join(dir, ".gitignore"), "*\n", { flag: "wx" }).catch(() => undefined);
}

async function log(memory: string, line: string): Promise<void> {
  await ensureFolder(memory);
  await appendFile(hookLog(memory), `${new Date().toISOString()} ${line.replace(/\n/g, " ")}\n`);
}

function readStdin(stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<string> {
  if (stdin.isTTY) return Promise.resolve("");
  return new Promise((done) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      clearTimeout(timer);
      stdin.removeAllListeners("data");
      stdin.removeAllListeners("end");
      stdin.removeAllListeners("error");
      (stdin as NodeJS.ReadStream).pause?.();
      done(Buffer.concat(chunks).toString("utf8"));
    };
    const timer = setTimeout(finish, STDIN_WAIT_MS);
    stdin.on("data", (chunk: Buffer | string) => {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      chunks.push(buffer);
      size += buffer.length;
      if (size >= STDIN_LIMIT) finish();
    });
    stdin.once("end", finish);
    stdin.once("error", finish);
  });
}

/** The fields reverie uses of the documented hook input. */
interface HookInput {
  session_id?: string;
  transcript_path: string;
  cwd?: string;
  hook_event_name?: string;
}

function parseInput(text: string): HookInput | string {
  if (text.trim() === "") return "no hook input on stdin (expected Claude Code's hook JSON: session_id, transcript_path, cwd, hook_event_name)";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `hook input is not JSON (${(error as Error).message}): ${JSON.stringify(text.slice(0, 80))}`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "hook input is not a JSON object (expected session_id, transcript_path, cwd, hook_event_name)";
  const input = value as Record<string, unknown>;
  if (typeof input.transcript_path !== "string" || input.transcript_path === "") return "hook input has no transcript_path string: nothing to import";
  return {
    transcript_path: input.transcript_path,
    ...(typeof input.session_id === "string" ? { session_id: input.session_id } : {}),
    ...(typeof input.cwd === "string" ? { cwd: input.cwd } : {}),
    ...(typeof input.hook_event_name === "string" ? { hook_event_name: input.hook_event_name } : {}),
  };
}

/**
 * The hook's front half. Always resolves 0; a problem is one line in the log (or, with no memory
 * to log in, on stderr, which Claude Code shows in its debug output).
 */
export async function hookMain(argv: readonly string[], io: { env: NodeJS.ProcessEnv; stdin: NodeJS.ReadableStream & { isTTY?: boolean }; stderr: NodeJS.WritableStream }): Promise<number> {
  const { args, problems } = parseHookArgs(argv, io.env);
  try {
    if (args.worker !== undefined) {
      await work(args, args.worker);
      return 0;
    }
    const text = await readStdin(io.stdin);
    if (!(await stat(join(args.memory, ".reverie")).catch(() => null))?.isDirectory()) {
      io.stderr.write(`reverie claude-code hook: no reverie memory at ${args.memory}; create it with: reverie init ${args.memory}\n`);
      return 0;
    }
    for (const problem of problems) await log(args.memory, `hook: ${problem}`);
    const input = parseInput(text);
    if (typeof input === "string") {
      await log(args.memory, `hook: ${input}; nothing imported`);
      return 0;
    }
    await ensureFolder(args.memory);
    const job = join(hookFolder(args.memory), "queue", `${Date.now()}-${process.pid}.json`);
    await writeFile(`${job}.tmp`, JSON.stringify(input));
    await rename(`${job}.tmp`, job);
    const child = spawn(process.execPath, [BIN, "claude-code", "hook", "--memory", args.memory, ...(args.dreamAfter ? ["--dream-after", String(args.dreamAfter)] : []), "--worker", job], {
      detached: true,
      stdio: "ignore",
      env: io.env,
    });
    child.on("error", (error) => void log(args.memory, `hook: could not start the import of ${input.transcript_path}: ${error.message}`).catch(() => undefined));
    child.unref();
    await log(args.memory, `hook: ${input.hook_event_name ?? "event"} of session ${input.session_id ?? "?"}: importing ${input.transcript_path} (worker ${child.pid})`);
  } catch (error) {
    io.stderr.write(`reverie claude-code hook: ${(error as Error).message}\n`);
  }
  return 0;
}

/** Which sessions have arrived since the last dream, in `<memory>/.reverie/claude-code/state.json`. */
interface HookState {
  pending: string[];
  /** Sessions already counted (a session imported at PreCompact and again at SessionEnd counts once). */
  counted: string[];
}

async function withLock<T>(memory: string, body: () => Promise<T>): Promise<T> {
  const lock = join(hookFolder(memory), "state.lock");
  for (let attempt = 0; ; attempt++) {
    try {
      await (await open(lock, "wx")).close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = Date.now() - ((await stat(lock).catch(() => null))?.mtimeMs ?? Date.now());
      if (age > 30_000) await rm(lock, { force: true }); // left by a worker that died
      else if (attempt > 200) throw new Error(`${lock} has been held for too long; remove it if no reverie hook is running`);
      else await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await body();
  } finally {
    await rm(lock, { force: true });
  }
}

/** The worker: imports the job's transcript, counts it, and starts a dream when enough have arrived. */
async function work(args: HookArgs, job: string): Promise<void> {
  const memory = args.memory;
  let input: HookInput;
  try {
    input = JSON.parse(await readFile(job, "utf8")) as HookInput;
  } finally {
    await unlink(job).catch(() => undefined);
  }
  const { importTranscripts } = await import("@reverie/dream");
  let result;
  try {
    result = await importTranscripts({ memoryDir: memory, inputs: [input.transcript_path], format: "auto" });
  } catch (error) {
    await log(memory, `import: ${input.transcript_path}: not imported: ${(error as Error).message}`);
    return;
  }
  for (const failed of result.failed) await log(memory, `import: ${failed.file}: not imported: ${failed.message}`);
  const sessions = result.sessions.filter((s) => s.status !== "skipped");
  for (const s of result.sessions) {
    await log(memory, `import: ${s.status} ${s.id} from ${s.file}: ${s.counts.messages} messages, ${s.counts.toolCalls} tool calls${s.reason ? ` (${s.reason})` : ""}`);
  }
  if (args.dreamAfter === undefined || sessions.length === 0) return;
  const dreamAfter = args.dreamAfter;
  const batch = await withLock(memory, async () => {
    const file = join(hookFolder(memory), "state.json");
    const state: HookState = await readFile(file, "utf8")
      .then((text) => JSON.parse(text) as HookState)
      .catch(() => ({ pending: [], counted: [] }));
    for (const s of sessions) {
      if (state.counted.includes(s.id)) continue;
      state.counted.push(s.id);
      state.pending.push(s.id);
    }
    state.counted = state.counted.slice(-1000);
    const ready = state.pending.length >= dreamAfter ? state.pending : null;
    if (ready) state.pending = [];
    await writeFile(`${file}.tmp`, JSON.stringify(state));
    await rename(`${file}.tmp`, file);
    return ready;
  });
  if (batch === null) return;
  const out = join(hookFolder(memory), `dream-${new Date().toISOString().replace(/[:.]/g, "-")}.log`);
  const handle = await open(out, "a");
  const child = spawn(process.execPath, [BIN, "dream", "--dir", memory, "--sessions", ...batch], { detached: true, stdio: ["ignore", handle.fd, handle.fd] });
  await new Promise<void>((done) => {
    child.once("spawn", done);
    child.once("error", (error) => void log(memory, `dream: could not start: ${error.message}`).finally(done));
  });
  child.unref();
  await handle.close();
  await log(memory, `dream: started over ${batch.length} new sessions (${batch.join(", ")}), pid ${child.pid}; its output: ${out}; review with: reverie dream list --dir ${memory}`);
}
