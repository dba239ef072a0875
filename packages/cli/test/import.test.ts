import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeEach, describe, expect, it } from "vitest";
import { initializedMemory, reverie } from "./support.js";

const SESSIONS = fileURLToPath(new URL("../../../examples/quickstart/sample/sessions/", import.meta.url));

let dir: string;
beforeEach(async () => {
  ({ dir } = await initializedMemory());
});

describe("reverie import", () => {
  it("imports a folder of Claude Code sessions with per-session counts, and a second import changes nothing", async () => {
    const first = reverie(["import", SESSIONS, "--dir", dir, "--json"]);
    expect(first.code).toBe(0);
    const result = JSON.parse(first.stdout);
    expect(result.sessions.map((s: { status: string; format: string; counts: { messages: number; toolCalls: number; toolErrors: number } }) => [s.status, s.format, s.counts.messages, s.counts.toolCalls, s.counts.toolErrors])).toEqual([
      ["created", "claude-code", 3, 3, 1],
      ["created", "claude-code", 5, 4, 1],
      ["created", "claude-code", 5, 6, 2],
      ["created", "claude-code", 2, 3, 1],
    ]);
    expect((await readdir(join(dir, ".reverie/sessions"))).length).toBe(4);
    const again = JSON.parse(reverie(["import", SESSIONS, "--dir", dir, "--json"]).stdout);
    expect(again.sessions.map((s: { status: string }) => s.status)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"]);
    expect(reverie(["import", SESSIONS, "--dir", dir]).stdout.split("\n").at(-2)).toBe("4 sessions from 1 input.");
  });

  it("with --strict, fails on a line cut short, naming file and line, and writes no session", async () => {
    const text = await readFile(join(SESSIONS, "2026-11-10-tests.jsonl"), "utf8");
    const cut = join(dir, "..", "cut.jsonl");
    await writeFile(cut, text.slice(0, text.length - 40));
    const strict = reverie(["import", cut, "--strict", "--dir", dir]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(new RegExp(`^reverie: .*${cut.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:9`));
    expect(await readdir(join(dir, ".reverie/sessions")).catch(() => [])).toEqual([]);

    const lenient = reverie(["import", cut, "--dir", dir]);
    expect(lenient.code).toBe(0);
    expect(lenient.stderr).toMatch(new RegExp(`^${cut.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:9: skipped: `));
    expect((await readdir(join(dir, ".reverie/sessions"))).length).toBe(1);
  });

  it("says what it tried when a file is no transcript", async () => {
    const notes = join(dir, "..", "notes.json");
    await writeFile(notes, JSON.stringify({ hello: "world" }));
    const run = reverie(["import", notes, "--dir", dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("claude-code");
    expect(run.stderr).toContain("openai");
  });
});
