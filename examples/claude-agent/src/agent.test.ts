import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initMemory } from "@reverie/core";
import { reply, startFakeAnthropic, tempDir, type FakeAnthropic } from "@reverie/test-utils";
import { MEMORY_BETA, runAgent } from "./agent.js";
import { commandsAreTheSdks, factoryFitsTheSdk, handlersFitTheSdk, sameCommands } from "./sdk-types.js";

function git(dir: string, ...args: string[]): string {
  return spawnSync("git", args, { cwd: dir, encoding: "utf8" }).stdout;
}

interface ToolResultBlock {
  type: "tool_result";
  tool_use_id: string;
  content: string | Array<{ type: string; text?: string }>;
  is_error?: boolean;
}

/** The tool results the runner sent back, in order. */
function toolResults(fake: FakeAnthropic): ToolResultBlock[] {
  return fake.messageRequests().flatMap((request) => {
    const messages = (request.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
    const last = messages[messages.length - 1];
    return Array.isArray(last?.content) ? (last.content as ToolResultBlock[]).filter((b) => b.type === "tool_result") : [];
  });
}

const resultText = (block: ToolResultBlock) => (typeof block.content === "string" ? block.content : block.content.map((c) => c.text ?? "").join(""));

let fake: FakeAnthropic;
let dir: string;

beforeEach(async () => {
  fake = await startFakeAnthropic();
  dir = join(await tempDir(), "memory");
  await initMemory(dir);
});

afterEach(async () => {
  await fake.close();
});

describe("a tool-runner agent with the memory tool on a reverie folder", () => {
  it("core's handler types are the SDK's (checked by tsc)", () => {
    expect([commandsAreTheSdks, handlersFitTheSdk, sameCommands, factoryFitsTheSdk]).toEqual([true, true, true, true]);
  });

  it("scripted memory-tool calls become attributed commits, and results follow the tool's documented text", async () => {
    fake.enqueue(
      reply.toolUse("memory", { command: "view", path: "/memories" }),
      reply.toolUse("memory", { command: "create", path: "/memories/deploy.md", file_text: "# Deploys\nWe deploy on Tuesdays.\n" }),
      reply.toolUse("memory", { command: "str_replace", path: "/memories/deploy.md", old_str: "Tuesdays", new_str: "Tuesdays and Thursdays" }),
      reply.toolUse("memory", { command: "view", path: "/memories/../../etc/passwd" }),
      reply.toolUse("memory", { command: "rename", old_path: "/memories/deploy.md", new_path: "/memories/ops/deploy.md" }),
      reply.text("Noted: deploys happen on Tuesdays and Thursdays."),
    );
    const answer = await runAgent({ memoryDir: dir, prompt: "We deploy on Tuesdays and Thursdays now.", baseURL: fake.url, apiKey: "test-key", agent: "ops-bot", session: "ses_agent_1" });
    expect(answer).toBe("Noted: deploys happen on Tuesdays and Thursdays.");

    const requests = fake.messageRequests();
    expect(requests).toHaveLength(6);
    expect(requests[0]!.headers["anthropic-beta"]).toContain(MEMORY_BETA);
    expect(requests[0]!.body?.tools).toEqual([{ type: "memory_20250818", name: "memory" }]);

    const results = toolResults(fake);
    expect(results.map((r) => [resultText(r).split("\n")[0], r.is_error ?? false])).toEqual([
      ["Here're the files and directories up to 2 levels deep in /memories, excluding hidden items and node_modules:", false],
      ["File created successfully at: /memories/deploy.md", false],
      ["The memory file has been edited. Here is the snippet showing the change (with line numbers):", false],
      ["Error: Path /memories/../../etc/passwd would escape /memories directory", true],
      ["Successfully renamed /memories/deploy.md to /memories/ops/deploy.md", false],
    ]);

    expect(await readFile(join(dir, "ops/deploy.md"), "utf8")).toBe("# Deploys\nWe deploy on Tuesdays and Thursdays.\n");
    expect(git(dir, "log", "-3", "--format=%an|%s|%(trailers:key=Agent,valueonly,separator=)|%(trailers:key=Session,valueonly,separator=)").trim().split("\n")).toEqual([
      "ops-bot|memory: rename deploy.md -> ops/deploy.md|ops-bot|ses_agent_1",
      "ops-bot|memory: update deploy.md|ops-bot|ses_agent_1",
      "ops-bot|memory: create deploy.md|ops-bot|ses_agent_1",
    ]);
    expect(git(dir, "status", "--porcelain")).toBe("");
  });
});

describe("the agent script", () => {
  const AGENT = fileURLToPath(new URL("../dist/agent.js", import.meta.url));
  const script = (args: string[], env: Record<string, string> = {}) => {
    const result = spawnSync(process.execPath, [AGENT, ...args], { encoding: "utf8", env: { ...process.env, ANTHROPIC_API_KEY: "", ANTHROPIC_AUTH_TOKEN: "", ANTHROPIC_BASE_URL: "", ...env } });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it("without a key says which variable to set, before any request, instead of the SDK's auth error", () => {
    const run = script([dir, "hello"], { ANTHROPIC_BASE_URL: fake.url });
    expect(run).toMatchObject({ code: 1, stdout: "" });
    expect(run.stderr).toBe("claude-agent failed: no Anthropic API key: set ANTHROPIC_API_KEY (from https://console.anthropic.com/settings/keys), or ANTHROPIC_AUTH_TOKEN, and run it again.\n");
    expect(fake.messageRequests()).toHaveLength(0);
  });

  it("answers --help with its usage and an option it does not know with a message", () => {
    expect(script(["--help"])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: ANTHROPIC_API_KEY=… node examples\/claude-agent\/dist\/agent\.js \[memory folder\] \[prompt…\]\n/) });
    expect(script(["--key", "x"])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^claude-agent: unknown option '--key'; it takes a memory folder and a prompt\.\n\nUsage: /) });
  });
});
