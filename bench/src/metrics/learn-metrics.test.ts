import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderNote, type MemoryFrontmatter } from "@reverie/core";
import { cleanupTempDirs, tempDir } from "@reverie/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { containsToken, learnMetrics, parseGoldList, readGoldList, readLearnFolder, type GoldList } from "./learn-metrics.js";

afterEach(cleanupTempDirs);

/** A folder of hand-written memory files. */
async function folder(files: Record<string, { fm: MemoryFrontmatter; body: string }>): Promise<string> {
  const dir = await tempDir();
  for (const [path, { fm, body }] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), renderNote(fm, `${body}\n`));
  }
  return dir;
}

const gold: GoldList = {
  series: "tiny",
  description: "hand-made",
  dataset: { folder: "x", prefix: "", ext: ".jsonl" },
  items: [
    { id: "lint", kind: "workflow", statement: "Run fmt and lint before finishing.", tokens: ["mise run fmt", "mise run lint"], support: ["a.jsonl#3"] },
    { id: "agent-dir", kind: "layout", statement: "Agent code is under cmd/entire/cli/agent/.", tokens: ["cmd/entire/cli/agent"], support: ["a.jsonl#7"] },
    { id: "module", kind: "stale", statement: "The module is github.com/entireio/cli (was entire.io/cli).", tokens: ["github.com/entireio/cli"], old_tokens: ["entire.io/cli"], support: ["b.jsonl#9"] },
    { id: "iso", kind: "preference", statement: "Dates in ISO YYYY-MM-DD.", tokens: ["yyyy-mm-dd"], support: ["c.txt#108"] },
  ],
};

describe("containsToken", () => {
  it("matches whole words and path segments only", () => {
    expect(containsToken("run `mise run test` before you push", "mise run test")).toBe(true);
    expect(containsToken("run mise run test:ci in CI", "mise run test")).toBe(false);
    expect(containsToken("ends with mise run test.", "mise run test")).toBe(true);
    expect(containsToken("mise  run\ntest", "mise run test")).toBe(true);
    expect(containsToken("read it in a thread", "read")).toBe(true);
    expect(containsToken("a thread", "read")).toBe(false);
    expect(containsToken("list the walkers", "walker")).toBe(false);
    expect(containsToken("/users/x/cli/cmd/entire/cli/agent/gemini.go", "cmd/entire/cli/agent")).toBe(true);
    expect(containsToken("cmd/entire/cli/agents/x.go", "cmd/entire/cli/agent")).toBe(false);
    expect(containsToken("checkpointid.generate() returns an error", "generate()")).toBe(true);
    expect(containsToken("pnpm-lock.yaml", "pnpm")).toBe(false);
    expect(containsToken("licence: mit", "mit")).toBe(true);
    expect(containsToken("commit often", "mit")).toBe(false);
    expect(containsToken("entire.io/cli/cmd/entire", "entire.io/cli")).toBe(true);
    expect(containsToken("github.com/entireio/cli", "entire.io/cli")).toBe(false);
    expect(containsToken("the pattern [0-9a-f]{12}(?:\\s|$)", "[0-9a-f]{12}")).toBe(true);
    expect(containsToken("port 18080", "8080")).toBe(false);
    expect(containsToken("re-read the file, then retry", "read")).toBe(false);
    expect(containsToken("re-read the file, then retry", "read|re-read")).toBe(true);
    expect(containsToken("list the walkers", "walker|walkers")).toBe(true);
    expect(containsToken("list the walkersx", "walker|walkers")).toBe(false);
  });
});

describe("learnMetrics on a hand-made adopted folder", () => {
  it("counts an item once one normal-trust memory states all its tokens, and names every memory", async () => {
    const dir = await folder({
      "README.md": { fm: {}, body: "# Memory\nHow to use this folder." },
      "workflows/lint.md": { fm: { id: "a", type: "workflow", support: 6, confidence: "observed" }, body: "# Before finishing\nRun `mise run fmt && mise run lint`." },
      "layout/agent.md": { fm: { id: "b", trust: "low" }, body: "Agent code lives in cmd/entire/cli/agent/." },
      "facts/module.md": { fm: { id: "c" }, body: "The Go module moved from entire.io/cli to github.com/entireio/cli." },
      "facts/old-module.md": { fm: { id: "d" }, body: "Imports start with entire.io/cli/cmd/entire." },
      "playbooks/error-exit-code-1.md": { fm: { id: "e" }, body: "Exit code 1 was fixed by running the command again." },
      "notes/paste.md": { fm: { id: "f" }, body: `Dates are YYYY-MM-DD.\n${"x".repeat(2000)}` },
    });
    const final = await readLearnFolder(dir);
    const r = learnMetrics(final, new Set(["README.md"]), gold);
    expect(r.items).toEqual([
      { id: "lint", kind: "workflow", recalled: true, memories: ["workflows/lint.md"], lowTrust: [], statingOld: [] },
      { id: "agent-dir", kind: "layout", recalled: false, memories: [], lowTrust: ["layout/agent.md"], statingOld: [] },
      { id: "module", kind: "stale", recalled: true, memories: ["facts/module.md"], lowTrust: [], statingOld: ["facts/old-module.md"] },
      { id: "iso", kind: "preference", recalled: false, memories: [], lowTrust: [], statingOld: [] },
    ]);
    expect(r.metrics.learn_recall).toEqual({ value: 2 / 4 });
    expect(r.written).toEqual([
      { path: "facts/module.md", items: ["module"], old: [], noise: false },
      { path: "facts/old-module.md", items: [], old: ["module"], noise: true, reason: "states the old value of module as current" },
      { path: "layout/agent.md", items: ["agent-dir"], old: [], noise: false },
      { path: "notes/paste.md", items: [], old: [], noise: true, reason: "body of 2023 chars (over 2000): states nothing" },
      { path: "playbooks/error-exit-code-1.md", items: [], old: [], noise: true, reason: "matches no gold item" },
      { path: "workflows/lint.md", items: ["lint"], old: [], noise: false },
    ]);
    expect(r.metrics.learn_noise).toEqual({ value: 3 / 6 });
  });

  it("counts a memory that existed before as written when its front-matter is a learn operation's", async () => {
    const dir = await folder({
      "prefs/dates.md": { fm: { id: "a", type: "preference", support: 1, confidence: "stated" }, body: "Use ISO dates (YYYY-MM-DD)." },
      "prefs/pm.md": { fm: { id: "b" }, body: "Use pnpm, not npm." },
    });
    const r = learnMetrics(await readLearnFolder(dir), new Set(["prefs/dates.md", "prefs/pm.md"]), gold);
    expect(r.written).toEqual([{ path: "prefs/dates.md", items: ["iso"], old: [], noise: false }]);
    expect(r.metrics).toEqual({ learn_recall: { value: 1 / 4 }, learn_noise: { value: 0 } });
  });

  it("reports noise as missing, never 0, when the dream wrote nothing, and recall 0 of the items", async () => {
    const dir = await folder({ "README.md": { fm: {}, body: "# Memory" } });
    const r = learnMetrics(await readLearnFolder(dir), new Set(["README.md"]), gold);
    expect(r.metrics.learn_recall).toEqual({ value: 0 });
    expect(r.metrics.learn_noise).toEqual({ value: null, reason: "the dream wrote no memory" });
    expect(r.written).toEqual([]);
  });
});

describe("parseGoldList", () => {
  const base = { series: "s", description: "d", dataset: { folder: "f", prefix: "", ext: ".txt" } };
  const item = { id: "a", kind: "fact", statement: "x", tokens: ["x"], support: ["f.txt#1"] };

  it("names the file, the item and what was expected", () => {
    expect(() => parseGoldList("{", "g.json")).toThrow(/^g\.json: not valid JSON/);
    expect(() => parseGoldList(JSON.stringify({ ...base, items: [{ ...item, tokens: ["Mise"] }] }), "g.json")).toThrow('g.json: items[0] (a).tokens[0] must be lowercase (tokens are matched case-insensitively), got "Mise"; write "mise"');
    expect(() => parseGoldList(JSON.stringify({ ...base, items: [{ ...item, kind: "rule" }] }), "g.json")).toThrow("g.json: items[0] (a).kind must be one of preference, prohibition, workflow, layout, lesson, fact, stale");
    expect(() => parseGoldList(JSON.stringify({ ...base, items: [{ ...item, support: ["f.txt"] }] }), "g.json")).toThrow('g.json: items[0] (a).support "f.txt" must be "<session file>#<turn>"');
    expect(() => parseGoldList(JSON.stringify({ ...base, items: [{ ...item, tokens: ["read|"] }] }), "g.json")).toThrow('g.json: items[0] (a).tokens[0] must be a non-empty string (and no empty alternative around |), got "read|"');
    expect(() => parseGoldList(JSON.stringify({ ...base, items: [item, item] }), "g.json")).toThrow('g.json: items[1] (a).id "a" is used twice');
  });

  it("reads every gold list of bench/gold, each item supported by a session of its own series", async () => {
    const goldDir = fileURLToPath(new URL("../../gold/", import.meta.url));
    const names = (await readdir(goldDir)).filter((n) => n.endsWith(".json")).sort();
    expect(names).toEqual(["claude-code-viewer.json", "entireio.json", "trap.json"]);
    for (const name of names) {
      const list = await readGoldList(join(goldDir, name));
      expect(list.series).toBe(name.replace(/\.json$/, ""));
      for (const it of list.items) for (const ref of it.support) expect(ref.startsWith(list.dataset.prefix) && ref.split("#")[0]!.endsWith(list.dataset.ext)).toBe(true);
      // A memory per item stating just its statement is what a careful person would write:
      // each must be recalled by its own tokens and state no old value of any item.
      const perfect = list.items.map((it) => ({ path: `${it.id}.md`, text: it.statement.toLowerCase(), bodyChars: it.statement.length, trust: "normal" as const, learned: true }));
      const r = learnMetrics(perfect, new Set(), list);
      expect(r.items.filter((i) => !i.recalled).map((i) => i.id)).toEqual([]);
      expect(r.written.filter((w) => w.noise).map((w) => `${w.path}: ${w.reason}`)).toEqual([]);
      // The same JSON, so nothing was dropped while parsing.
      expect(list.items.length).toBe((JSON.parse(await readFile(join(goldDir, name), "utf8")) as { items: unknown[] }).items.length);
    }
  });
});
