import { mkdir, readFile, realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";
import { git, reverie } from "./support.js";

let config: string;
let app: string;
let memory: string;
let sessions: string;

/** Claude Code's name for a project folder. */
const encode = (path: string) => path.replace(/[^a-zA-Z0-9]/g, "-");

/** A folder shaped like Claude Code's auto memory: the MEMORY.md index and topic files, some with Claude Code's front-matter, some bare. */
const FILES: Record<string, string> = {
  "MEMORY.md": "# Memory\n\n- [Debugging](debugging.md) — how to debug the server\n- [API conventions](api-conventions.md)\n",
  "debugging.md": "---\nname: Debugging\ndescription: how to debug the server\ntype: feedback\n---\nStart the server with DEBUG=server:* to see the request log.\n",
  "api-conventions.md": "# API conventions\n\nEvery endpoint returns JSON errors as { error: { code, message } }.\n",
  "deploy.md": "Deploys go through `make deploy ENV=staging` first, never straight to prod.\n",
};

/** A Claude Code session (the JSONL lines it writes) in which the agent reads `files` of the auto memory. */
function transcript(id: string, day: number, files: string[]): string {
  const at = (s: number) => `2026-11-${String(day).padStart(2, "0")}T10:00:${String(s).padStart(2, "0")}.000Z`;
  const base = { isSidechain: false, userType: "external", cwd: app, sessionId: id, version: "2.1.38", gitBranch: "main" };
  const lines: object[] = [{ ...base, parentUuid: null, type: "user", message: { role: "user", content: "Why does the server return 500 on /users?" }, uuid: `${id}-u0`, timestamp: at(0) }];
  files.forEach((file, i) => {
    lines.push({
      ...base,
      parentUuid: `${id}-u${i}`,
      type: "assistant",
      message: { role: "assistant", model: "claude-opus-4-6", content: [{ type: "tool_use", id: `toolu_${id}_${i}`, name: "Read", input: { file_path: join(memory, file) } }] },
      uuid: `${id}-a${i}`,
      timestamp: at(2 * i + 1),
    });
    lines.push({
      ...base,
      parentUuid: `${id}-a${i}`,
      type: "user",
      message: { role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${id}_${i}`, content: "(the file)" }] },
      uuid: `${id}-u${i + 1}`,
      timestamp: at(2 * i + 2),
    });
  });
  return lines.map((l) => JSON.stringify(l)).join("\n") + "\n";
}

beforeEach(async () => {
  const base = await realpath(await tempDir("reverie-claude-"));
  config = join(base, "claude-config");
  app = join(base, "src", "app");
  await mkdir(join(app, "packages", "web"), { recursive: true });
  git(app, "init", "-q");
  sessions = join(config, "projects", encode(app));
  memory = join(sessions, "memory");
  await mkdir(memory, { recursive: true });
  for (const [path, text] of Object.entries(FILES)) await writeFile(join(memory, path), text);
  await writeFile(join(sessions, "0b5e1c1e-0000-4000-8000-000000000001.jsonl"), transcript("0b5e1c1e-0000-4000-8000-000000000001", 20, ["debugging.md"]));
  await writeFile(join(sessions, "0b5e1c1e-0000-4000-8000-000000000002.jsonl"), transcript("0b5e1c1e-0000-4000-8000-000000000002", 21, ["debugging.md", "deploy.md"]));
});

const env = () => ({ CLAUDE_CONFIG_DIR: config, HOME: join(config, "..") });
const run = (args: string[], cwd = app) => reverie(args, { env: env(), cwd });

/** The memory paths MEMORY.md links to, in order. */
const linked = (text: string) => [...text.matchAll(/^- \[[^\]]*\]\(([^)]+)\)/gm)].map((m) => m[1]!);

describe("Claude Code auto memory as a reverie memory", () => {
  it("is adopted in place, dreamed with MEMORY.md rebuilt as the index, and adopted again after Claude Code edits it", { timeout: 240_000 }, async () => {
    // From a sub-folder of the repository: auto memory belongs to the repository's root.
    const init = run(["init", "--claude-code"], join(app, "packages", "web"));
    expect(init.stderr).toBe("");
    expect(init.stdout).toBe(
      `Adopted ${memory} as a memory: 4 files committed as they are (git repository, first commit ${git(memory, "rev-parse", "HEAD").slice(0, 7)}).\nNext: reverie claude-code install --memory ${memory}   (dreams keep its MEMORY.md the index Claude Code loads)\n`,
    );
    for (const [path, text] of Object.entries(FILES)) expect(await readFile(join(memory, path), "utf8")).toBe(text);
    expect(git(memory, "ls-files").trim().split("\n")).toEqual([".gitattributes", ".gitignore", ".reverie/config.yaml", "MEMORY.md", "api-conventions.md", "debugging.md", "deploy.md"]);
    expect(run(["--dir", memory, "read", "deploy.md"]).stdout).toBe(FILES["deploy.md"]);
    expect(run(["--dir", memory, "search", "staging"]).stdout).toContain("deploy.md");
    expect(run(["--dir", memory, "search", "debug", "server"]).stdout).toContain("debugging.md");

    const first = run(["--dir", memory, "--json", "dream", "--sessions", "claude-code"]);
    expect(first.code).toBe(0);
    const record = JSON.parse(first.stdout);
    expect(record.inputs.sessions).toHaveLength(2);
    expect(record.outputs.index).toMatchObject({ path: "MEMORY.md", listed: 3, left_out: [], quarantined: [], notes_left_out: 0 });
    expect(record.outputs.index.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(record.outputs.index.uses).toEqual({
      "debugging.md": { sessions: 2, last: "2026-11-21T10:00:01.000Z" },
      "deploy.md": { sessions: 1, last: "2026-11-21T10:00:03.000Z" },
    });
    // `--dir claude-code`: the project's auto memory, from anywhere in the repository.
    expect(run(["--dir", "claude-code", "dream", "show", record.id], join(app, "packages", "web")).stdout).toContain("  index MEMORY.md: lists 3 of 3 memories\n");
    expect(git(memory, "log", "-1", "--format=%s%n%(trailers:only,unfold)", record.outputs.branch)).toBe(`dream: index MEMORY.md (3 of 3 memories)\nDream: ${record.id}\nMemory-Op: index\n\n`);
    expect(await readFile(join(memory, "MEMORY.md"), "utf8")).toBe(FILES["MEMORY.md"]); // nothing changes before adopt
    expect(run(["--dir", memory, "dream", "adopt", record.id]).code).toBe(0);
    // Most used first (debugging.md: 2 sessions, deploy.md: 1), then the rest.
    expect(await readFile(join(memory, "MEMORY.md"), "utf8")).toBe(
      [
        "# Memory",
        "",
        "- [Debugging](debugging.md) — how to debug the server",
        "- [Deploys go through `make deploy ENV=staging` first, never straight to prod.](deploy.md)",
        "- [API conventions](api-conventions.md) — Every endpoint returns JSON errors as { error: { code, message } }.",
        "",
      ].join("\n"),
    );

    // Claude Code goes on writing its folder directly: a new topic file and its index line, no commit.
    await writeFile(join(memory, "testing.md"), "---\nname: Testing\ndescription: run the tests with pnpm test -- --run\ntype: project\n---\nUse `pnpm test -- --run`; watch mode hangs CI.\n");
    await writeFile(join(memory, "MEMORY.md"), `${await readFile(join(memory, "MEMORY.md"), "utf8")}- [Testing](testing.md) — how to run the tests\n`);
    const id3 = "0b5e1c1e-0000-4000-8000-000000000003";
    await writeFile(join(sessions, `${id3}.jsonl`), transcript(id3, 22, ["testing.md", "deploy.md"]));

    const second = JSON.parse(run(["--dir", memory, "--json", "dream", "--sessions", "claude-code"]).stdout);
    expect(second.warnings[0]).toMatch(/^committed edits made in the folder outside reverie \(by Claude Code\) as [0-9a-f]{7} before dreaming$/);
    expect(git(memory, "log", "-1", "--format=%an|%s|%(trailers:only,unfold)", second.inputs.base_commit)).toBe(
      "claude-code|memory: commit 2 files edited in the folder before dreaming|Memory-Op: update\nAgent: claude-code\n\n",
    );
    expect(second.outputs.index).toMatchObject({ listed: 4, left_out: [] });
    // Before the review, Claude Code rewrites MEMORY.md again and saves one more memory: adopt takes both in.
    await writeFile(join(memory, "ports.md"), "The dev server listens on port 5173.\n");
    await writeFile(join(memory, "MEMORY.md"), "# Project memory\n\nKeep entries short.\n\n- [Ports](ports.md)\n");
    const adopted = run(["--dir", memory, "dream", "adopt", second.id]);
    expect(adopted.stderr).toBe("");
    expect(adopted.code).toBe(0);
    const index = await readFile(join(memory, "MEMORY.md"), "utf8");
    expect(index.split("\n").slice(0, 4)).toEqual(["# Project memory", "", "Keep entries short.", ""]);
    // Used by 2, 2 and 1 sessions, then the unused by recency (the tests' commits share one fixed date) and path.
    expect(linked(index)).toEqual(["deploy.md", "debugging.md", "testing.md", "api-conventions.md", "ports.md"]);
    expect(index).toContain("- [Testing](testing.md) — run the tests with pnpm test -- --run\n");
    expect(git(memory, "log", "-3", "--format=%an|%s").split("\n").slice(0, 3)).toEqual([
      `reverie-dream|dream: index MEMORY.md after adopting ${second.id} (5 of 5 memories)`,
      expect.stringMatching(new RegExp(`\\|dream: adopt ${second.id} \\(\\d+ operations?\\)$`)),
      "claude-code|memory: commit 2 files edited in the folder before dreaming",
    ]);
    expect(git(memory, "status", "--porcelain")).toBe("");

    const again = run(["init", "--claude-code"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`reverie: ${memory} is already a reverie memory (.reverie/config.yaml exists). Use it as it is, e.g. reverie ls --dir ${memory}\n`);
  });

  it("--sessions claude-code names the folder it expected when Claude Code never ran here", async () => {
    const elsewhere = join(app, "packages", "web");
    expect(run(["init", "--claude-code"]).code).toBe(0);
    const result = run(["--dir", memory, "dream", "--sessions", "claude-code"], elsewhere);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `reverie: --sessions claude-code: Claude Code has no transcripts for ${elsewhere} (expected the folder ${join(config, "projects", encode(elsewhere))}). Run this from the folder you start Claude Code in, set CLAUDE_CONFIG_DIR if Claude Code uses another one, or give the transcripts folder itself.\n`,
    );
  });

  it("init --claude-code in a project with no auto memory yet makes the folder with an empty index", async () => {
    const fresh = join(app, "..", "fresh");
    await mkdir(fresh);
    const result = run(["init", "--claude-code", fresh]);
    expect(result.code).toBe(0);
    const folder = join(config, "projects", encode(fresh), "memory");
    expect(await readFile(join(folder, "MEMORY.md"), "utf8")).toBe("# Memory\n");
    expect(git(folder, "ls-files").trim().split("\n")).toEqual([".gitattributes", ".gitignore", ".reverie/config.yaml", "MEMORY.md"]);
  });
});
