import { parseArgs } from "node:util";
import { isReverieError, openMemory, recoverMemory } from "@reverie/core";
import { anthropicConsolidator, journalHandlers } from "@reverie/dream";
import { createReverieServer } from "./server.js";
import { ReverieStdioTransport } from "./stdio-transport.js";

const USAGE = `Usage: reverie mcp [--dir <memory folder>] [--session <id>] [--agent <name>]

Serves the memory folder to an MCP client over stdio (tools memory_view, memory_create,
memory_str_replace, memory_insert, memory_delete, memory_rename, memory_search, memory_history,
dream_start, dream_status). The folder is --dir, else $REVERIE_DIR, else ./memory.
Writes are attributed to the client's name; --agent is used when the client sends none.
`;

const DEFAULT_MODEL = "claude-sonnet-4-6";

export interface McpMainIo {
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/**
 * The composition root of `reverie mcp`: reads arguments and environment (REVERIE_DIR,
 * ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, ANTHROPIC_BASE_URL), opens the memory and serves it
 * over stdio until the client disconnects or a signal arrives. Resolves with the exit code.
 */
export async function main(argv: string[], io: McpMainIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const stdin = (io.stdin ?? process.stdin) as NodeJS.ReadStream;
  const stdout = (io.stdout ?? process.stdout) as NodeJS.WriteStream;
  const stderr = io.stderr ?? process.stderr;
  let args: { dir?: string; session?: string; agent?: string; help?: boolean };
  try {
    args = parseArgs({
      args: argv,
      options: { dir: { type: "string" }, session: { type: "string" }, agent: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }).values;
  } catch (error) {
    stderr.write(`reverie mcp: ${(error as Error).message}\n${USAGE}`);
    return 1;
  }
  if (args.help) {
    stderr.write(USAGE);
    return 0;
  }
  const dir = args.dir ?? (env.REVERIE_DIR || "./memory");
  let memory;
  const onNotice = (line: string) => void stderr.write(`${line.replace(/^reverie: /, "reverie mcp: ")}\n`);
  try {
    memory = await openMemory(dir, { onNotice, live: true });
    // A crash of an earlier server (or CLI) must not wedge this one: finish or undo what it left
    // first, and say what was repaired in one line (a client's log shows it next to "serving").
    const repaired: string[] = [];
    await recoverMemory(memory.dir, { onNotice: (line) => void repaired.push(line.replace(/^reverie: /, "").replace(/\.$/, "")), handlers: journalHandlers });
    if (repaired.length > 0) stderr.write(`reverie mcp: recovered from a crash: ${repaired.join("; ")}.\n`);
  } catch (error) {
    stderr.write(`reverie mcp: ${isReverieError(error) ? error.message : String(error)}\n`);
    return isReverieError(error) ? 1 : 3;
  }
  const apiKey = env.ANTHROPIC_API_KEY || undefined;
  const authToken = env.ANTHROPIC_AUTH_TOKEN || undefined;
  const baseURL = env.ANTHROPIC_BASE_URL || undefined;
  const model = memory.config.dream.model ?? DEFAULT_MODEL;
  const reverie = createReverieServer({
    memory,
    ...(args.agent ? { agent: args.agent } : {}),
    ...(args.session ? { session: args.session } : {}),
    ...(apiKey || authToken || baseURL
      ? {
          anthropic: () =>
            anthropicConsolidator({
              model,
              ...(apiKey ? { apiKey } : {}),
              ...(authToken ? { authToken } : {}),
              ...(baseURL ? { baseURL, local: "auto" as const } : {}),
            }),
        }
      : {}),
  });

  const transport = new ReverieStdioTransport(stdin, stdout);
  // A bad frame is answered by the transport and the server goes on; anything else it reports
  // (a broken stream) goes to stderr, where the client's log shows it.
  transport.onerror = (error) => void stderr.write(`reverie mcp: ${error.message}\n`);
  const done = new Promise<number>((resolve) => {
    let closing = false;
    const stop = (code: number) => {
      if (closing) return;
      closing = true;
      reverie.close().then(
        () => resolve(code),
        (error: unknown) => {
          stderr.write(`reverie mcp: ${String(error)}\n`);
          resolve(3);
        },
      );
    };
    stdin.once("end", () => stop(0));
    stdin.once("close", () => stop(0));
    transport.onclose = () => stop(0);
    process.once("SIGINT", () => stop(0));
    process.once("SIGTERM", () => stop(0));
  });
  await reverie.connect(transport);
  stderr.write(`reverie mcp: serving ${memory.dir} over stdio\n`);
  return done;
}
