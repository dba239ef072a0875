import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

interface McpFlags {
  session?: string;
}

/**
 * `reverie mcp`: serves the memory to an MCP client over stdio. The server is @reverie/mcp's own
 * binary, started as a child with this process's stdin/stdout, because the CLI and the MCP
 * server never import each other (DESIGN §1); only its path is resolved here.
 */
export async function run(ctx: CommandContext, flags: McpFlags): Promise<number> {
  const bin = fileURLToPath(import.meta.resolve("@reverie/mcp/bin"));
  const args = [bin, "--dir", ctx.dir, ...(ctx.agent ? ["--agent", ctx.agent] : []), ...(flags.session ? ["--session", flags.session] : [])];
  const child = spawn(process.execPath, args, { stdio: "inherit", env: ctx.env });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    return await new Promise<number>((resolve) => {
      child.once("error", (error) => {
        ctx.stderr.write(`reverie: could not start the MCP server (${bin}): ${error.message}\n`);
        resolve(EXIT.internal);
      });
      child.once("exit", (code, signal) => resolve(code ?? (signal ? EXIT.ok : EXIT.internal)));
    });
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
