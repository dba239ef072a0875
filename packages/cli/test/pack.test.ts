import { spawnSync } from "node:child_process";
import { readFile, realpath, stat } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";

/**
 * `pnpm pack:cli` and `npm install -g` of its tarball, as a new user does it: the installed
 * `reverie` runs from a folder that has nothing to do with this clone. Needs the npm registry
 * (for the third-party dependencies) and the build that `pnpm test` runs first.
 */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SAMPLE_SESSIONS = join(ROOT, "examples/quickstart/sample/sessions");
const VERSION = (JSON.parse(await readFile(join(ROOT, "packages/cli/package.json"), "utf8")) as { version: string }).version;

let tarball: string;
let prefix: string;
/** A folder outside the clone, where the user runs `reverie`. */
let elsewhere: string;
/** PATH with the install's bin first, as after `npm install -g` with that prefix. */
let env: Record<string, string>;

/** The environment without the npm_* variables pnpm sets for its scripts, which would steer npm. */
function plainEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !/^npm_/i.test(e[0])));
}

function installed(args: string[], input = ""): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync("reverie", args, { cwd: elsewhere, env, input, encoding: "utf8" });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  const out = await tempDir("reverie-pack-out-");
  const packed = spawnSync(process.execPath, [join(ROOT, "scripts/pack-cli.mjs"), "--out", out], { cwd: ROOT, env: plainEnv(), encoding: "utf8" });
  expect(packed.stderr).toBe("");
  expect(packed.status).toBe(0);
  tarball = join(out, "reverie-cli.tgz");
  expect(packed.stdout).toBe(`${tarball}\nInstall it with: npm install -g ${tarball}\n`);

  prefix = await tempDir("reverie-prefix-");
  const npm = spawnSync("npm", ["install", "-g", tarball, "--prefix", prefix, "--no-audit", "--no-fund", "--prefer-offline"], { env: plainEnv(), encoding: "utf8" });
  expect(npm.stderr.replace(/^npm warn .*\n/gim, "")).toBe("");
  expect(npm.status).toBe(0);

  elsewhere = await tempDir("reverie-elsewhere-");
  env = { ...plainEnv(), PATH: [join(prefix, "bin"), dirname(process.execPath), process.env.PATH ?? ""].join(delimiter), REVERIE_DIR: "", REVERIE_AGENT: "" };
}, 240_000);

describe("pnpm pack:cli", () => {
  it("makes one tarball holding the CLI with core, dream and mcp bundled, and the memory template", () => {
    const entries = spawnSync("tar", ["-tzf", tarball], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    const bundled = [...new Set(entries.filter((e) => e.startsWith("package/node_modules/")).map((e) => e.split("/").slice(2, 4).join("/")))].sort();
    expect(bundled).toEqual(["@reverie/core", "@reverie/dream", "@reverie/mcp"]);
    expect(entries.filter((e) => e.includes("memory-template/")).sort()).toEqual([
      "package/node_modules/@reverie/core/memory-template/.reverie/config.yaml",
      "package/node_modules/@reverie/core/memory-template/README.md",
      "package/node_modules/@reverie/core/memory-template/gitignore",
    ]);
    const manifest = JSON.parse(spawnSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }).stdout) as {
      name: string;
      bin: Record<string, string>;
      dependencies: Record<string, string>;
      bundleDependencies: string[];
    };
    expect(manifest.name).toBe("@reverie/cli");
    expect(manifest.bin).toEqual({ reverie: "./bin/reverie.js" });
    expect(manifest.bundleDependencies).toEqual(["@reverie/core", "@reverie/dream", "@reverie/mcp"]);
    // Every dependency is an exact registry version: nothing points back into this clone.
    for (const [name, version] of Object.entries(manifest.dependencies)) expect([name, version]).toEqual([name, expect.stringMatching(/^\d+\.\d+\.\d+$/)]);
    for (const name of ["core", "dream", "mcp"]) {
      const inner = JSON.parse(spawnSync("tar", ["-xzOf", tarball, `package/node_modules/@reverie/${name}/package.json`], { encoding: "utf8" }).stdout) as { dependencies?: Record<string, string> };
      expect(Object.keys(inner.dependencies ?? {}).filter((d) => !d.startsWith("@reverie/"))).toEqual([]);
    }
  });
});

describe("npm install -g <tarball>", () => {
  it("puts a working reverie on PATH, run from a folder outside the clone", async () => {
    expect((await stat(join(prefix, "bin", "reverie"))).isFile()).toBe(true);
    expect(installed(["--version"])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
    expect(installed(["--help"]).stdout).toContain("Usage: reverie [options] [command]");
  });

  it("init, write, search and dream work, and init commits the template's .gitignore", async () => {
    expect(installed(["init", "memory"])).toMatchObject({ code: 0, stderr: "" });
    const dir = join(elsewhere, "memory");
    expect(spawnSync("git", ["ls-files"], { cwd: dir, encoding: "utf8" }).stdout).toBe(".gitattributes\n.gitignore\n.reverie/config.yaml\nREADME.md\n");
    expect(await readFile(join(dir, ".gitignore"), "utf8")).toBe(await readFile(join(ROOT, "memory-template/.gitignore"), "utf8"));
    expect(installed(["write", "prefs/pm.md", "--dir", "memory", "--agent", "me"], "# Package manager\nUse pnpm, not npm.\n").code).toBe(0);
    expect(installed(["search", "pnpm", "--dir", "memory"]).stdout).toBe(" 1. prefs/pm.md  Package manager\n");
    const dreamed = installed(["dream", "--dir", "memory", "--sessions", SAMPLE_SESSIONS]);
    expect(dreamed.code).toBe(0);
    expect(dreamed.stdout).toMatch(/\n {2}next: reverie dream review drm_\w+ --dir memory {3}\| {3}reverie dream diff drm_\w+ --dir memory {3}\| {3}reverie dream adopt drm_\w+ --dir memory \[--skip N\]/);
    // The review page's diff renderer and its stylesheet ship inside the tarball.
    expect(installed(["dream", "review", "--out", "review.html", "--dir", "memory"]).code).toBe(0);
    expect(await readFile(join(elsewhere, "review.html"), "utf8")).toMatch(/\.d2h-file-wrapper\{[\s\S]*class="d2h-file-wrapper"/);
  }, 90_000);

  it("init registers the installed merge driver by absolute path: git merges memory files with it from any folder", async () => {
    expect(installed(["init", "merging"]).code).toBe(0);
    const dir = join(elsewhere, "merging");
    const driver = spawnSync("git", ["-C", dir, "config", "--get", "merge.reverie.driver"], { encoding: "utf8" }).stdout;
    const script = /\[ -f '([^']+)' \]/.exec(driver)?.[1];
    expect(script).toBe(join(await realpath(prefix), "lib/node_modules/@reverie/cli/node_modules/@reverie/core/dist/git/merge-driver-main.js"));
    expect((await stat(script!)).isFile()).toBe(true);
    expect(installed(["write", "n.md", "--dir", "merging", "--session", "ses_0"], "one\ntwo\nthree\n").code).toBe(0);
    const g = (...args: string[]) => spawnSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@x", ...args], { cwd: elsewhere, env, encoding: "utf8" });
    g("switch", "-q", "-c", "other");
    const text = await readFile(join(dir, "n.md"), "utf8");
    expect(installed(["write", "n.md", "--dir", "merging", "--session", "ses_1"], text.replace("one\n", "ONE\n")).code).toBe(0);
    g("switch", "-q", "main");
    expect(installed(["write", "n.md", "--dir", "merging", "--session", "ses_2"], text.replace("three\n", "THREE\n")).code).toBe(0);
    const merge = g("merge", "-q", "--no-edit", "other");
    expect(merge.stderr).toBe("");
    expect(merge.status).toBe(0);
    const merged = await readFile(join(dir, "n.md"), "utf8");
    expect(merged.endsWith("---\nONE\ntwo\nTHREE\n")).toBe(true);
    for (const session of ["ses_0", "ses_1", "ses_2"]) expect(merged).toContain(`{ session: ${session}, at: `);
  });

  it("claude-code install points Claude Code at the installed reverie, and its hook imports a session", async () => {
    expect(installed(["init", "cc-memory"]).code).toBe(0);
    const memory = join(elsewhere, "cc-memory");
    const project = join(elsewhere, "cc-project");
    const result = spawnSync("reverie", ["claude-code", "install", "--project", project, "--memory", memory], { cwd: elsewhere, env: { ...env, HOME: elsewhere }, encoding: "utf8" });
    expect(result.status).toBe(0);
    const bin = join(await realpath(prefix), "lib/node_modules/@reverie/cli/bin/reverie.js");
    expect(JSON.parse(await readFile(join(project, ".mcp.json"), "utf8"))).toEqual({ mcpServers: { reverie: { command: process.execPath, args: [bin, "mcp", "--dir", memory] } } });
    const command = (JSON.parse(await readFile(join(project, ".claude/settings.json"), "utf8")) as { hooks: { SessionEnd: Array<{ hooks: Array<{ command: string }> }> } }).hooks.SessionEnd[0]!.hooks[0]!.command;
    expect(command).toBe(`${process.execPath} ${bin} claude-code hook --memory ${memory}`);
    const transcript = join(SAMPLE_SESSIONS, "2026-11-10-tests.jsonl");
    const hook = spawnSync("sh", ["-c", command], { cwd: project, env, input: JSON.stringify({ session_id: "s1", transcript_path: transcript, cwd: project, hook_event_name: "SessionEnd" }), encoding: "utf8" });
    expect(hook).toMatchObject({ status: 0, stdout: "", stderr: "" });
    const log = join(memory, ".reverie/claude-code/hook.log");
    for (let i = 0; i < 300 && !(await readFile(log, "utf8").catch(() => "")).includes("import: "); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await readFile(log, "utf8")).toMatch(new RegExp(`import: created ses_\\w+ from ${transcript}: \\d+ messages`));
  });

  it("serves MCP: the real SDK client lists the tools, creates a memory and finds it", async () => {
    expect(installed(["init", "mcp-memory"]).code).toBe(0);
    const dir = join(elsewhere, "mcp-memory");
    const transport = new StdioClientTransport({ command: "reverie", args: ["mcp", "--dir", dir], env, cwd: elsewhere, stderr: "pipe" });
    const client = new Client({ name: "pack-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual([
        "memory_view",
        "memory_create",
        "memory_str_replace",
        "memory_insert",
        "memory_delete",
        "memory_rename",
        "memory_search",
        "memory_history",
        "dream_start",
        "dream_status",
      ]);
      const text = (result: unknown) => (result as { content: Array<{ text?: string }> }).content.map((c) => c.text ?? "").join("");
      expect(text(await client.callTool({ name: "memory_create", arguments: { path: "/memories/infra/port.md", file_text: "# API port\nThe API listens on 9090.\n" } }))).toBe(
        "File created successfully at: /memories/infra/port.md",
      );
      const hits = JSON.parse(text(await client.callTool({ name: "memory_search", arguments: { query: "api port" } }))) as Array<{ path: string; title: string }>;
      expect(hits.map((h) => [h.path, h.title])).toEqual([["/memories/infra/port.md", "API port"]]);
    } finally {
      await client.close();
    }
    expect(spawnSync("git", ["log", "-1", "--format=%an %s"], { cwd: dir, encoding: "utf8" }).stdout).toBe("pack-test memory: create infra/port.md\n");
  });
});
