/**
 * Points Claude Code at a reverie memory over MCP: prints the `claude mcp add` line, and with
 * `--project` writes the project's `.mcp.json` so everyone working on it gets the server.
 *
 *   node examples/claude-code/dist/setup.js --memory ~/memory [--project .]
 */
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCommandLine } from "./command-line.js";

/** One MCP server entry, as Claude Code's `.mcp.json` and Claude Desktop's config both spell it. */
export interface McpServerEntry {
  command: string;
  args: string[];
}

/** The server entry that starts `reverie mcp` on `memoryDir`. */
export function reverieServerEntry(memoryDir: string): McpServerEntry {
  return { command: "reverie", args: ["mcp", "--dir", resolve(memoryDir)] };
}

/** The one line that registers the server with Claude Code. */
export function claudeMcpAddCommand(memoryDir: string, scope: "local" | "project" | "user" = "user"): string {
  return `claude mcp add --scope ${scope} reverie -- reverie mcp --dir ${resolve(memoryDir)}`;
}

/**
 * Adds (or replaces) the `reverie` server in `<project>/.mcp.json`, keeping every other server.
 * @returns the file written
 */
export async function writeProjectMcpConfig(projectDir: string, memoryDir: string): Promise<string> {
  const file = join(projectDir, ".mcp.json");
  const existing = await readFile(file, "utf8").then(
    (text) => JSON.parse(text) as { mcpServers?: Record<string, unknown> },
    () => ({}) as { mcpServers?: Record<string, unknown> },
  );
  const config = { ...existing, mcpServers: { ...existing.mcpServers, reverie: reverieServerEntry(memoryDir) } };
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const values = parseCommandLine(
    "setup.js",
    "Usage: node examples/claude-code/dist/setup.js [--memory <dir>] [--project <dir>]\n\n  --memory <dir>   the reverie memory folder (default: ./memory)\n  --project <dir>  also write <dir>/.mcp.json so everyone on the project gets the server\n  -h, --help       print this help",
    { memory: { default: "./memory" }, project: {} },
  );
  console.log(`Register reverie with Claude Code (all projects):\n  ${claudeMcpAddCommand(values.memory!)}`);
  if (values.project) {
    writeProjectMcpConfig(values.project, values.memory!).then(
      (file) => console.log(`Wrote ${file}; Claude Code asks to approve it on the next start.`),
      (error: Error) => {
        console.error(`setup.js: cannot write ${join(values.project!, ".mcp.json")}: ${error.message}`);
        process.exitCode = 1;
      },
    );
  }
}
