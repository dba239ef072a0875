/**
 * A Claude agent whose memory is a reverie folder: the SDK's tool runner with Anthropic's memory
 * tool (`memory_20250818`), its six commands answered by `memoryToolHandlers`. Every file the
 * agent creates or edits under /memories is a git commit attributed to it.
 *
 *   ANTHROPIC_API_KEY=… node examples/claude-agent/dist/agent.js ./memory "Remember that we deploy on Tuesdays."
 */
import Anthropic from "@anthropic-ai/sdk";
import { betaMemoryTool } from "@anthropic-ai/sdk/helpers/beta/memory";
import { memoryToolHandlers, openMemory } from "@reverie/core";
import { fileURLToPath } from "node:url";

/** The beta the memory tool needs on the Messages API. */
export const MEMORY_BETA = "context-management-2025-06-27";

export interface AgentOptions {
  /** The reverie memory folder the agent sees as /memories. */
  memoryDir: string;
  /** What the user asks. */
  prompt: string;
  /** A client of your own (e.g. with a `baseURL`); built from `apiKey`/`baseURL` otherwise. */
  client?: Anthropic;
  apiKey?: string;
  /** An Anthropic-compatible endpoint; the tests point it at a fake server on loopback. */
  baseURL?: string;
  /** @default "claude-sonnet-4-6" */
  model?: string;
  /** Recorded as `Agent:` on every commit. @default "claude-agent" */
  agent?: string;
  /** Recorded as `Session:` on every commit. */
  session?: string;
  /** Most model turns before giving up. @default 10 */
  maxIterations?: number;
}

/** Runs the agent until it stops calling tools; returns its final text. */
export async function runAgent(options: AgentOptions): Promise<string> {
  if (!options.client && !options.apiKey && !process.env.ANTHROPIC_API_KEY && !process.env.ANTHROPIC_AUTH_TOKEN) {
    // The SDK would only fail at the first request, with "Could not resolve authentication method".
    throw new Error("no Anthropic API key: set ANTHROPIC_API_KEY (from https://console.anthropic.com/settings/keys), or ANTHROPIC_AUTH_TOKEN, and run it again.");
  }
  const client =
    options.client ??
    new Anthropic({
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    });
  const memory = await openMemory(options.memoryDir);
  try {
    const memoryTool = betaMemoryTool(
      memoryToolHandlers(memory, { agent: options.agent ?? "claude-agent", ...(options.session ? { session: options.session } : {}) }),
    );
    const final = await client.beta.messages.toolRunner({
      model: options.model ?? "claude-sonnet-4-6",
      max_tokens: 2048,
      betas: [MEMORY_BETA],
      thread: false,
      max_iterations: options.maxIterations ?? 10,
      system: "Before answering, view /memories to recall what you know; record durable facts there as Markdown files (.md).",
      tools: [memoryTool],
      messages: [{ role: "user", content: options.prompt }],
    });
    return final.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("\n");
  } finally {
    await memory.close();
  }
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
const USAGE = `Usage: ANTHROPIC_API_KEY=… node examples/claude-agent/dist/agent.js [memory folder] [prompt…]

  memory folder  a reverie memory (default: ./memory; create one with: reverie init ./memory)
  prompt         what to ask the agent (default: "What do you remember about this project?")
  ANTHROPIC_BASE_URL  an Anthropic-compatible endpoint instead of api.anthropic.com`;

if (isMain) {
  const args = process.argv.slice(2);
  if (args[0] === "--help" || args[0] === "-h") {
    console.log(USAGE);
    process.exit(0);
  }
  if (args[0]?.startsWith("-")) {
    console.error(`claude-agent: unknown option '${args[0]}'; it takes a memory folder and a prompt.\n\n${USAGE}`);
    process.exit(1);
  }
  const [memoryDir = "./memory", ...words] = args;
  const prompt = words.join(" ") || "What do you remember about this project?";
  runAgent({ memoryDir, prompt, ...(process.env.ANTHROPIC_BASE_URL ? { baseURL: process.env.ANTHROPIC_BASE_URL } : {}) }).then(
    (text) => console.log(text),
    (error: Error) => {
      console.error(`claude-agent failed: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
