import { spawnSync } from "node:child_process";
import { mkdir, readFile, realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { CLAUDE_CODE_MEMORY, setupDefaults, setupQuestions } from "../src/commands/setup.js";
import { BIN, git, reverie } from "./support.js";

let base: string;
let home: string;
let app: string;

const encode = (path: string) => path.replace(/[^a-zA-Z0-9]/g, "-");

beforeEach(async () => {
  base = await realpath(await tempDir("reverie-setup-"));
  home = join(base, "home");
  app = join(base, "src", "app");
  await mkdir(home);
  await mkdir(app, { recursive: true });
  git(app, "init", "-q");
});

const env = () => ({ HOME: home, CLAUDE_CONFIG_DIR: "" });
const hookOf = (settings: string) => JSON.parse(settings).hooks.SessionEnd[0].hooks[0].command as string;

describe("reverie setup --yes (the built binary)", () => {
  it("adopts the project's Claude Code auto memory, wires hooks and MCP into the project, dreams after N sessions", { timeout: 120_000 }, async () => {
    const auto = join(home, ".claude", "projects", encode(app), "memory");
    await mkdir(auto, { recursive: true });
    await writeFile(join(auto, "MEMORY.md"), "- [Build](build.md) — how to build\n");
    await writeFile(join(auto, "build.md"), "Build with `make all`.\n");
    const result = reverie(["setup", "--project", app, "--dream-after", "3", "--yes"], { env: env(), cwd: base });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`Memory: Adopted ${auto} as a memory: 2 files committed as they are`);
    expect(lines.at(-2)).toBe("Dreams: one starts by itself after every 3 new sessions; nothing changes in the memory until you adopt it.");
    expect(lines.at(-1)).toBe(`Review dreams with: reverie dream list --dir ${auto}`);
    expect(hookOf(await readFile(join(app, ".claude/settings.json"), "utf8"))).toBe(`${process.execPath} ${BIN} claude-code hook --memory ${auto} --dream-after 3`);
    expect(JSON.parse(await readFile(join(app, ".mcp.json"), "utf8"))).toEqual({ mcpServers: { reverie: { command: process.execPath, args: [BIN, "mcp", "--dir", auto] } } });
    expect(await readFile(join(auto, "build.md"), "utf8")).toBe("Build with `make all`.\n");

    // Run again: the memory is used as it is and the settings are already there.
    const again = reverie(["setup", "--project", app, "--dream-after", "3", "--yes"], { env: env(), cwd: base });
    expect(again.code).toBe(0);
    expect(again.stdout.split("\n").slice(0, 3)).toEqual([
      `Memory: ${auto} (already a reverie memory; used as it is)`,
      expect.stringMatching(/^Claude Code: Already there: /),
      expect.stringMatching(/^Claude Code: Already there: /),
    ]);
  });

  it("with --user and --memory, makes one memory folder for every project; stdin that is not a terminal asks nothing", { timeout: 60_000 }, async () => {
    const memory = join(base, "memory");
    const result = reverie(["setup", "--user", "--memory", memory, "--dream-after", "0"], { env: env(), cwd: app });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        `Memory: Created memory ${memory}`,
        `Claude Code: Wrote ${home}/.claude/settings.json: SessionEnd and PreCompact hooks run: ${process.execPath} ${BIN} claude-code hook --memory ${memory}`,
        `Claude Code: Wrote ${home}/.claude.json: MCP server "reverie" on ${memory}`,
        `Claude Code: Transcripts are imported into ${memory} when a session ends. Problems are logged in ${memory}/.reverie/claude-code/hook.log.`,
        "Claude Code: Undo with: reverie claude-code uninstall --user",
        `Dreams: none by themselves; run one with: reverie dream --dir ${memory}`,
        `Review dreams with: reverie dream list --dir ${memory}`,
        "",
      ].join("\n"),
    );
    expect(git(memory, "log", "--format=%s").trim()).toBe("memory: init");
  });

  it("refuses flags that contradict each other, changing nothing", async () => {
    expect(reverie(["setup", "--user", "--memory", "claude-code", "--yes"], { env: env(), cwd: app })).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "reverie: --memory claude-code is a project's own auto memory: give --project <dir> instead of --user, or a memory folder for every project (e.g. --memory ~/memory).\n",
    });
    expect(reverie(["setup", "--dream-after", "often", "--yes"], { env: env(), cwd: app }).stderr).toBe(
      'reverie: --dream-after must be a whole number of at least 1 (e.g. --dream-after 20), got "often".\n',
    );
    expect(spawnSync("ls", ["-A", app], { encoding: "utf8" }).stdout).toBe(".git\n");
  });
});

describe("the walkthrough's questions", () => {
  it("asks only what no flag answered, each starting at its default", () => {
    const ctx = { env: { HOME: "/home/u" } };
    const defaults = setupDefaults(ctx, {}, "/home/u/src/app");
    expect(defaults).toEqual({ memory: CLAUDE_CODE_MEMORY, project: "/home/u/src/app", dreamAfter: 5 });
    expect(setupQuestions(ctx, {}, defaults).map((q) => [q.key, q.kind, q.initial])).toEqual([
      ["project", "select", "/home/u/src/app"],
      ["memory", "select", CLAUDE_CODE_MEMORY],
      ["dreamAfter", "text", "5"],
    ]);
    expect(setupQuestions(ctx, {}, defaults)[1]).toMatchObject({ options: [{ value: CLAUDE_CODE_MEMORY }, { value: "/home/u/memory" }] });
    const flags = { project: "web", dreamAfter: "2" };
    expect(setupQuestions(ctx, flags, setupDefaults(ctx, flags, "/home/u/src")).map((q) => q.key)).toEqual(["memory"]);
    expect(setupDefaults({ env: { HOME: "/home/u", REVERIE_DIR: "/data/mem" } }, { user: true }, "/x")).toEqual({ memory: "/data/mem", project: null, dreamAfter: 5 });
    expect(setupQuestions(ctx, { user: true, memory: "m", dreamAfter: "0" }, setupDefaults(ctx, { user: true, memory: "m", dreamAfter: "0" }, "/x"))).toEqual([]);
  });
});

const tmux = spawnSync("tmux", ["-V"]).status === 0;

describe.skipIf(!tmux)("reverie setup on a terminal (driven through tmux)", () => {
  it("asks with @clack/prompts and does what was chosen", { timeout: 120_000 }, async () => {
    const socket = join(base, "tmux.sock");
    const session = "setup";
    const t = (...args: string[]) => spawnSync("tmux", ["-S", socket, ...args], { encoding: "utf8" });
    const screen = () => t("capture-pane", "-p", "-t", session).stdout;
    const waitFor = async (text: string) => {
      for (let i = 0; i < 300; i++) {
        if (screen().includes(text)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`never saw ${JSON.stringify(text)} on the terminal:\n${screen()}`);
    };
    const done = join(base, "done");
    const command = `cd ${app} && env HOME=${home} CLAUDE_CONFIG_DIR= REVERIE_DIR= ${process.execPath} ${BIN} setup; echo "exit=$?" > ${done}`;
    expect(t("new-session", "-d", "-s", session, "-x", "160", "-y", "50", command).status).toBe(0);
    try {
      await waitFor("Which Claude Code sessions should reverie remember?");
      t("send-keys", "-t", session, "Enter"); // this project
      await waitFor("Where should the memory live?");
      t("send-keys", "-t", session, "Down", "Enter"); // a folder of its own: ~/memory
      await waitFor("Dream after how many new sessions?");
      t("send-keys", "-t", session, "BSpace", "2", "Enter");
      await waitFor("Set up: memory");
      t("send-keys", "-t", session, "Enter"); // yes
      for (let i = 0; i < 300 && !(await readFile(done, "utf8").catch(() => "")); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await readFile(done, "utf8")).toBe("exit=0\n");
    } finally {
      t("kill-server");
    }
    const memory = join(home, "memory");
    expect(hookOf(await readFile(join(app, ".claude/settings.json"), "utf8"))).toBe(`${process.execPath} ${BIN} claude-code hook --memory ${memory} --dream-after 2`);
    expect(git(memory, "log", "--format=%s").trim()).toBe("memory: init");
  });
});
