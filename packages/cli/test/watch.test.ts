import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "@reverie/test-utils";

const BIN = fileURLToPath(new URL("../bin/reverie.js", import.meta.url));
const SAMPLE_SESSIONS = fileURLToPath(new URL("../../../examples/quickstart/sample/sessions", import.meta.url));

/** A running `reverie watch` whose stderr lines can be awaited. */
function startWatch(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [BIN, "watch", ...args], { env: { ...process.env, REVERIE_DIR: "", REVERIE_AGENT: "" }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const waiters: Array<{ pattern: RegExp; resolve: (match: RegExpExecArray) => void }> = [];
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(stderr);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    stderr: () => stderr,
    waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
      const match = pattern.exec(stderr);
      if (match) return Promise.resolve(match);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stderr so far:\n${stderr}`)), timeoutMs);
        waiters.push({ pattern, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
  };
}

let base: string;
let dir: string;
let running: ReturnType<typeof startWatch> | undefined;

beforeEach(async () => {
  base = await tempDir();
  dir = join(base, "memory");
  expect(spawnSync(process.execPath, [BIN, "init", dir]).status).toBe(0);
});

afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill("SIGKILL");
    await running.exited;
  }
  running = undefined;
});

describe("reverie watch", () => {
  it("indexes edits as they happen, one line per event, and saves the index on SIGTERM", async () => {
    running = startWatch(["--dir", dir, "--save-every-ms", "100"]);
    // The template's README.md describes the memory and is not indexed.
    await running.waitFor(/watch: watching .* \(0 memories indexed\)\n/);

    await mkdir(join(dir, "infra"));
    await writeFile(join(dir, "infra/port.md"), "# API port\nThe API listens on 8080.\n");
    await running.waitFor(/watch: (indexed infra\/port\.md \(1 added\)|re-indexed the memory \(1 added\))\n/);
    await writeFile(join(dir, "infra/port.md"), "# API port\nThe API listens on 9090.\n");
    await running.waitFor(/watch: indexed infra\/port\.md \(1 updated\)\n/);
    await writeFile(join(dir, "infra/old.md"), "# Old\nGone soon.\n");
    await running.waitFor(/watch: indexed infra\/old\.md \(1 added\)\n/);
    await rm(join(dir, "infra/old.md"));
    await running.waitFor(/watch: indexed infra\/old\.md \(1 removed\)\n/);

    running.child.kill("SIGTERM");
    expect(await running.exited).toBe(0);
    expect(running.stderr()).toMatch(/watch: SIGTERM: stopping\nwatch: index saved; stopped\n$/);
    const cache = await readFile(join(dir, ".reverie/cache/search-index.json"), "utf8");
    expect(cache).toContain("infra/port.md");
    expect(cache).toContain("9090");
    expect(cache).not.toContain("README.md");
    expect(cache).not.toContain("infra/old.md");
  });

  it("starts a dream once N new sessions have appeared", async () => {
    const sessions = join(base, "projects", "my-app");
    await mkdir(sessions, { recursive: true });
    await copyFile(join(SAMPLE_SESSIONS, "2026-11-10-tests.jsonl"), join(sessions, "already-there.jsonl"));
    running = startWatch(["--dir", dir, "--sessions", sessions, "--dream-after", "2", "--poll-ms", "100"]);
    await running.waitFor(/watch: watching .* for new sessions \(1 already there; dreaming after 2 new\)\n/);

    await copyFile(join(SAMPLE_SESSIONS, "2026-11-12-tests-admin.jsonl"), join(sessions, "s1.jsonl"));
    await running.waitFor(/watch: new session .*s1\.jsonl \(1\/2\)\n/);
    expect(running.stderr()).not.toContain("dreaming over");
    await copyFile(join(SAMPLE_SESSIONS, "2026-11-14-port-change.jsonl"), join(sessions, "s2.jsonl"));
    await running.waitFor(/watch: dreaming over 2 new sessions\n/);
    const done = await running.waitFor(/watch: dream (drm_\w+) completed: .*; review with: reverie dream show drm_\w+ --dir .*\n/);

    running.child.kill("SIGINT");
    expect(await running.exited).toBe(0);
    const record = JSON.parse(await readFile(join(dir, ".reverie/runs", `${done[1]}.json`), "utf8"));
    expect(record).toMatchObject({ status: "completed", inputs: { sessions: [expect.anything(), expect.anything()] } });
  });

  it("counts a session file as new only once its last line (or JSON document) is whole", async () => {
    const sessions = join(base, "projects", "my-app");
    await mkdir(sessions, { recursive: true });
    running = startWatch(["--dir", dir, "--sessions", sessions, "--poll-ms", "100"]);
    await running.waitFor(/watch: watching .* for new sessions \(0 already there\)\n/);

    const lines = (await readFile(join(SAMPLE_SESSIONS, "2026-11-10-tests.jsonl"), "utf8")).split("\n");
    const cut = lines[1]!.length >> 1;
    // An agent caught mid-append: one whole line and half of the next; a JSON export caught mid-copy.
    await writeFile(join(sessions, "live.jsonl"), `${lines[0]}\n${lines[1]!.slice(0, cut)}`);
    await writeFile(join(sessions, "export.json"), '[{"role": "user", "content": "Run the tests."}');
    await copyFile(join(SAMPLE_SESSIONS, "2026-11-12-tests-admin.jsonl"), join(sessions, "whole.jsonl"));
    await running.waitFor(/watch: new session .*whole\.jsonl\n/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(running.stderr()).not.toMatch(/new session .*(live\.jsonl|export\.json)/);

    await writeFile(join(sessions, "live.jsonl"), `${lines[0]}\n${lines[1]}\n`);
    await writeFile(join(sessions, "export.json"), '[{"role": "user", "content": "Run the tests."}]');
    await running.waitFor(/watch: new session .*live\.jsonl\n/);
    await running.waitFor(/watch: new session .*export\.json\n/);
  });

  it("refuses --dream-after without --sessions", () => {
    const result = spawnSync(process.execPath, [BIN, "watch", "--dir", dir, "--dream-after", "2"], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("--dream-after needs --sessions <dir>");
  });
});
