import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ReverieError } from "../errors.js";
import { contentHash } from "../hash.js";
import { noteTitle, parseNote } from "../note/parse.js";
import { loadSearchDoc } from "../memory/search-docs.js";
import { SEARCH_CACHE_VERSION } from "./cache-file.js";
import { openSearchIndex, type SearchDoc, type SearchIndex, type SearchIndexOptions } from "./search-index.js";

const dirs: string[] = [];
const opened: SearchIndex[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((index) => index.close().catch(() => undefined)));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "reverie-search-"));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) await put(dir, path, content);
  return dir;
}

async function put(dir: string, path: string, content: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), content);
}

const old = new Date("2020-01-01T00:00:00Z");

/** A folder whose files look untouched for years, so that their stamps are trusted without re-hashing. */
async function settledFolder(files: Record<string, string>): Promise<string> {
  const dir = await folder(files);
  for (const path of Object.keys(files)) await utimes(join(dir, path), old, old);
  return dir;
}

/** The loader the store uses in production, built on parseNote. */
function loadNote(path: string, content: string): SearchDoc {
  const note = parseNote(path, content);
  const fm = note.frontmatter;
  return {
    path,
    title: noteTitle(note),
    tags: Array.isArray(fm.tags) ? fm.tags : [],
    key: typeof fm.key === "string" ? fm.key : "",
    body: note.body,
  };
}

async function open(dir: string, options: Partial<SearchIndexOptions> = {}): Promise<SearchIndex> {
  const index = await openSearchIndex({ dir, load: loadNote, ...options });
  opened.push(index);
  return index;
}

const paths = (index: SearchIndex, query: string, options?: Parameters<SearchIndex["search"]>[1]): string[] =>
  index.search(query, options).map((hit) => hit.path);

const memory = (fields: { title?: string; key?: string; tags?: string[] }, body: string): string => {
  const lines = ["---"];
  if (fields.title !== undefined) lines.push(`title: ${fields.title}`);
  if (fields.key !== undefined) lines.push(`key: ${fields.key}`);
  if (fields.tags !== undefined) lines.push(`tags: [${fields.tags.join(", ")}]`);
  lines.push("---", body, "");
  return lines.join("\n");
};

describe("openSearchIndex", () => {
  it("indexes path, title, tags, key and body, and returns hits with their stored fields", async () => {
    const dir = await folder({
      "prefs/pm.md": memory({ title: "Use pnpm, not npm", key: "js.package-manager", tags: ["tooling"] }, "Run pnpm install in every repo."),
      "ops/deploy.md": memory({ title: "Deploy on Fridays" }, "## Steps\n\nTag the release,   then push."),
      "notes/plain.md": "No front-matter here, just zebra text.\n",
      "README.txt": "not a memory: pnpm",
      ".git/x.md": "pnpm inside git",
      ".reverie/y.md": "pnpm inside reverie state",
    });
    const index = await open(dir);

    expect(index.size).toBe(3);
    expect(index.opened.cache).toBe("missing");
    expect(index.search("pnpm")).toEqual([
      {
        path: "prefs/pm.md",
        title: "Use pnpm, not npm",
        score: expect.any(Number),
        key: "js.package-manager",
        tags: ["tooling"],
        snippet: "Run pnpm install in every repo.",
      },
    ]);
    expect(paths(index, "package")).toEqual(["prefs/pm.md"]); // key
    expect(paths(index, "tooling")).toEqual(["prefs/pm.md"]); // tag
    expect(paths(index, "deploy")).toEqual(["ops/deploy.md"]); // path and title
    expect(paths(index, "ops")).toEqual(["ops/deploy.md"]); // path only
    expect(paths(index, "zebra")).toEqual(["notes/plain.md"]); // body
    expect(paths(index, "md")).toEqual([]); // the extension is not a word of the path
    expect(index.search("deploy")[0]?.snippet).toBe("Tag the release, then push.");
  });

  it("ranks title and key above tags, above body, above path; ties by path", async () => {
    const dir = await folder({
      "b-body.md": memory({ title: "One" }, "about lint here"),
      "a-body.md": memory({ title: "Two" }, "about lint here"),
      "c-tag.md": memory({ title: "Three", tags: ["lint"] }, "nothing"),
      "d-title.md": memory({ title: "Lint rules" }, "nothing"),
      "e-key.md": memory({ title: "Four", key: "lint" }, "nothing"),
      "lint/f-path.md": memory({ title: "Five" }, "nothing"),
    });
    const index = await open(dir);
    const hits = index.search("lint", { fuzzy: false, prefix: false });
    expect(hits.map((hit) => hit.path)).toEqual(["d-title.md", "e-key.md", "c-tag.md", "a-body.md", "b-body.md", "lint/f-path.md"]);
    expect(hits[3]?.score).toBe(hits[4]?.score);
  });

  it("returns memories with all terms first, then those with some; combine: and keeps only the first", async () => {
    const dir = await folder({
      "both.md": memory({ title: "Cache" }, "the build cache is warm"),
      "build.md": memory({ title: "Build" }, "build build build"),
      "cache.md": memory({ title: "Cache" }, "cache cache cache"),
    });
    const index = await open(dir);
    expect(paths(index, "build cache")).toEqual(["both.md", "build.md", "cache.md"]);
    expect(paths(index, "build cache", { combine: "and" })).toEqual(["both.md"]);
    expect(paths(index, "build cache", { limit: 1 })).toEqual(["both.md"]);
    expect(paths(index, "build zeppelin")).toEqual(["build.md", "both.md"]);
    expect(paths(index, "build zeppelin", { combine: "and" })).toEqual([]);
  });

  it("completes the last term as a prefix, tolerates typos in long terms, and both can be turned off", async () => {
    const dir = await folder({
      "a.md": memory({ title: "Kubernetes deployment" }, "rollout"),
      "b.md": memory({ title: "Kubectl tips" }, "contexts"),
    });
    const index = await open(dir);
    expect(paths(index, "kube")).toEqual(["b.md", "a.md"]); // the closer completion ranks first
    expect(paths(index, "kube", { prefix: false })).toEqual([]);
    expect(paths(index, "kubernetse")).toEqual(["a.md"]);
    expect(paths(index, "kubernetse", { fuzzy: false })).toEqual([]);
    expect(paths(index, "rollout kube")).toEqual(["a.md", "b.md"]);
    expect(paths(index, "rollout kube", { combine: "and" })).toEqual(["a.md"]);
  });

  it("finds a short word with two letters swapped or one letter wrong, unless fuzzy is off or the word exists", async () => {
    const dir = await folder({
      "prefs/pm.md": memory({}, "Use pnpm, not npm, in this repo."),
      "tools/yarn.md": memory({}, "Yarn is not installed."),
      "tools/typo.md": memory({}, "yarm is a typo someone saved"),
    });
    const index = await open(dir, { load: loadSearchDoc });
    expect(paths(index, "pnmp")).toEqual(["prefs/pm.md"]);
    expect(paths(index, "ppnm")).toEqual(["prefs/pm.md"]);
    expect(paths(index, "pnpx")).toEqual(["prefs/pm.md"]);
    expect(paths(index, "yran")).toEqual(["tools/yarn.md"]);
    // "yarm" is a word of the memory: it is not read as a typo of "yarn".
    expect(paths(index, "yarm")).toEqual(["tools/typo.md"]);
    expect(paths(index, "pnmp", { fuzzy: false })).toEqual([]);
    // An exact match outranks the same word reached through a swap.
    expect(index.search("pnpm")[0]!.score).toBeGreaterThan(index.search("pnmp")[0]!.score);
  });

  it("stems words and drops stop words from queries, unless the query has nothing else", async () => {
    const dir = await folder({
      "ci/listener.md": memory({}, "The queue worker listens on port 7001."),
      "tools/make.md": memory({}, "make builds the docs"),
      "notes/what.md": memory({}, "what did we do"),
    });
    const index = await open(dir, { load: loadSearchDoc });
    expect(paths(index, "listening")).toEqual(["ci/listener.md"]);
    expect(paths(index, "what did we decide about the listener port?")).toEqual(["ci/listener.md"]);
    // A command that is also an English word stays in the query.
    expect(paths(index, "how to make the docs")).toEqual(["tools/make.md"]);
    expect(paths(index, "what did we")).toEqual(["notes/what.md"]);
  });

  it("weights a written title, not one made up from the first line", async () => {
    const dir = await folder({
      "a-one-line.md": memory({}, "Deploys go through the staging cluster first and then production."),
      "b-long.md": memory({}, "Ask in the channel before any change.\n\nDeploys go through the staging cluster, then production."),
      "c-titled.md": memory({ title: "Deploys" }, "Ask first."),
    });
    const index = await open(dir, { load: loadSearchDoc });
    const hits = index.search("deploys staging", { combine: "or", fuzzy: false, prefix: false });
    // Weighted as a title, the one-line memory's first line would rank it above the titled one.
    expect(hits.map((hit) => hit.path)).toEqual(["c-titled.md", "a-one-line.md", "b-long.md"]);
    expect(hits[1]!.title).toBe("Deploys go through the staging cluster first and then production.");
  });

  it("lends a memory part of the score of the memories saved from the adjacent turns of its session", async () => {
    const turn = (session: string, n: number, body: string): string => `---\nsources:\n  - session: ${session}\n    turn: ${n}\n---\n${body}\n`;
    const dir = await folder({
      "t/1.md": turn("ses_a", 1, "Melanie: What did you paint last weekend?"),
      "t/2.md": turn("ses_a", 2, "Caroline: A sunrise over the lake."),
      "t/3.md": turn("ses_a", 3, "Melanie: Lovely."),
      "t/9.md": turn("ses_b", 2, "Caroline: The lake was cold."),
      "u/1.md": memory({}, "paint the fence"),
    });
    const index = await open(dir, { load: loadSearchDoc });
    // t/2 never says "paint": the question in the turn before it does.
    expect(paths(index, "paint", { limit: 3 })).toEqual(["u/1.md", "t/1.md", "t/2.md"]);
    expect(paths(index, "paint", { combine: "and" })).toEqual(["u/1.md", "t/1.md"]);
    expect(paths(index, "paint", { under: "u/" })).toEqual(["u/1.md"]);
    // Adjacent turns of another session lend nothing.
    const lake = index.search("lake");
    expect(lake.map((hit) => hit.path)).toEqual(["t/9.md", "t/2.md", "t/1.md", "t/3.md"]);
    // t/1 and t/3 get 0.4 of their own session's turn 2, not of the better turn 2 of ses_b.
    expect(lake[2]!.score).toBeCloseTo(0.4 * lake[1]!.score, 10);
    expect(lake[3]!.score).toBe(lake[2]!.score);
  });

  it("filters by path prefix and caps results with limit", async () => {
    const dir = await folder({
      "prefs/a.md": "alpha",
      "prefs/b.md": "alpha",
      "prefs-old/c.md": "alpha",
      "ops/d.md": "alpha",
    });
    const index = await open(dir);
    expect(paths(index, "alpha", { under: "prefs/" })).toEqual(["prefs/a.md", "prefs/b.md"]);
    expect(paths(index, "alpha", { limit: 2 })).toEqual(["ops/d.md", "prefs-old/c.md"]);
    expect(paths(index, "alpha", { limit: 0 })).toEqual([]);
    expect(paths(index, "  ,, ")).toEqual([]);
  });

  it("skips what the caller excludes, pruning excluded folders", async () => {
    const dir = await folder({ "keep.md": "omega", "drafts/x.md": "omega", "skip-me.md": "omega" });
    const seen: string[] = [];
    const index = await open(dir, {
      exclude: (path, kind) => {
        seen.push(`${kind}:${path}`);
        return path === "drafts" || path === "skip-me.md";
      },
    });
    expect(paths(index, "omega")).toEqual(["keep.md"]);
    expect(seen.sort()).toEqual(["dir:drafts", "file:keep.md", "file:skip-me.md"]);
    expect(index.ignores("drafts", "dir")).toBe(true);
    expect(index.ignores("keep.md", "file")).toBe(false);
    expect(index.ignores("notes.txt", "file")).toBe(true);
  });

  it("prefixes every path with the namespace of a mounted folder", async () => {
    const dir = await folder({ "rules/a.md": "sigma" });
    const index = await open(dir, { namespace: "org" });
    expect(paths(index, "sigma")).toEqual(["org/rules/a.md"]);
    index.upsert({ path: "org/rules/b.md", title: "B", tags: [], key: "", body: "sigma" });
    expect(paths(index, "sigma")).toEqual(["org/rules/a.md", "org/rules/b.md"]);
    expect(() => index.upsert({ path: "rules/c.md", title: "C", tags: [], key: "", body: "" })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
    expect(paths(index, "org")).toEqual(["org/rules/a.md", "org/rules/b.md"]);
  });

  it("is right as soon as upsert and remove return", async () => {
    const dir = await folder({ "a.md": "lorem" });
    const index = await open(dir);
    index.upsert({ path: "b.md", title: "Lorem too", tags: ["x"], key: "k", body: "" });
    expect(paths(index, "lorem")).toEqual(["a.md", "b.md"]); // a.md has it in its title (its first line) and body
    index.upsert({ path: "b.md", title: "Changed", tags: [], key: "", body: "" });
    expect(paths(index, "lorem")).toEqual(["a.md"]);
    expect(paths(index, "changed")).toEqual(["b.md"]);
    index.remove("a.md");
    index.remove("never-there.md");
    expect(paths(index, "lorem")).toEqual([]);
    expect(index.size).toBe(1);
  });

  it("rejects upserts of paths that are not relative .md paths", async () => {
    const index = await open(await folder({}));
    const doc = { title: "", tags: [], key: "", body: "" };
    for (const path of ["/abs.md", "../up.md", "a//b.md", "notes.txt", ".git/x.md", "a\\b.md", ""]) {
      expect(() => index.upsert({ ...doc, path }), path).toThrow(ReverieError);
    }
    expect(index.size).toBe(0);
  });

  it("indexes a file whose loader throws by path and raw text, and lists it in problems", async () => {
    const dir = await settledFolder({ "broken/bad.md": "---\ntitle: [unclosed\n---\nquasar body\n", "good.md": "fine" });
    const index = await open(dir);
    expect(index.problems).toEqual([{ path: "broken/bad.md", message: expect.stringMatching(/\S/) }]);
    expect(index.search("bad")).toEqual([{ path: "broken/bad.md", title: "bad", score: expect.any(Number), tags: [], snippet: "--- title: [unclosed --- quasar body" }]);
    expect(paths(index, "quasar")).toEqual(["broken/bad.md"]);

    await index.close();
    const reopened = await open(dir);
    expect(reopened.opened.stats.read).toBe(0);
    expect(reopened.problems.map((problem) => problem.path)).toEqual(["broken/bad.md"]);

    await put(dir, "broken/bad.md", "---\ntitle: Fixed now\n---\nquasar body\n");
    await reopened.refresh();
    expect(reopened.problems).toEqual([]);
    expect(reopened.search("quasar")[0]?.title).toBe("Fixed now");
  });
});

describe("incremental refresh", () => {

  it("reopens from the cache without reading unchanged files", async () => {
    const dir = await settledFolder({ "a.md": "apple", "b.md": "banana", "c/d.md": "cherry" });
    await (await open(dir)).close();
    const index = await open(dir);
    expect(index.opened).toEqual({
      cache: "loaded",
      stats: { files: 3, added: 0, updated: 0, removed: 0, unchanged: 3, read: 0, durationMs: expect.any(Number) },
    });
    expect(paths(index, "cherry")).toEqual(["c/d.md"]);
  });

  it("finds edits, additions and deletions made behind the index's back", async () => {
    const dir = await settledFolder({ "a.md": "apple", "b.md": "banana", "c.md": "cherry" });
    await (await open(dir)).close();

    await put(dir, "a.md", "apricot"); // same size as before
    await utimes(join(dir, "a.md"), old, new Date("2021-01-01T00:00:00Z"));
    await utimes(join(dir, "b.md"), old, new Date("2021-01-01T00:00:00Z")); // touched, content unchanged
    await rm(join(dir, "c.md"));
    await put(dir, "new/d.md", "durian");

    const index = await open(dir);
    expect(index.opened.stats).toEqual({ files: 3, added: 1, updated: 1, removed: 1, unchanged: 1, read: 3, durationMs: expect.any(Number) });
    expect(paths(index, "apricot")).toEqual(["a.md"]);
    expect(paths(index, "apple")).toEqual([]);
    expect(paths(index, "banana")).toEqual(["b.md"]);
    expect(paths(index, "cherry")).toEqual([]);
    expect(paths(index, "durian")).toEqual(["new/d.md"]);
  });

  it("re-hashes files stamped within the racy window, catching a same-size rewrite with the same mtime", async () => {
    const dir = await folder({ "a.md": "apple" });
    const file = join(dir, "a.md");
    // Whole seconds, so that utimes can set exactly the same mtime again below.
    const second = Math.floor(Date.now() / 1000);
    await utimes(file, second, second);
    const before = await stat(file);
    const index = await open(dir);
    index.upsert({ path: "a.md", title: "", tags: [], key: "", body: "apple" }, { mtimeMs: before.mtimeMs, size: before.size, sha256: contentHash("apple") });
    await index.close();

    await put(dir, "a.md", "grape");
    await utimes(file, second, second);
    expect(await stat(file)).toMatchObject({ mtimeMs: before.mtimeMs, size: before.size });

    const reopened = await open(dir);
    expect(reopened.opened.stats).toMatchObject({ updated: 1, read: 1 });
    expect(paths(reopened, "grape")).toEqual(["a.md"]);
  });

  it("syncs only the given paths", async () => {
    const dir = await folder({ "a.md": "apple", "b.md": "banana" });
    const index = await open(dir);
    await put(dir, "a.md", "avocado");
    await rm(join(dir, "b.md"));
    await put(dir, "c.md", "cherry");
    await put(dir, "ignored.txt", "cherry");
    const stats = await index.sync(["a.md", "b.md", "c.md", "ignored.txt", "unknown.md"]);
    expect(stats).toEqual({ files: 2, added: 1, updated: 1, removed: 1, unchanged: 0, read: 2, durationMs: expect.any(Number) });
    expect(paths(index, "avocado")).toEqual(["a.md"]);
    expect(paths(index, "banana")).toEqual([]);
    expect(paths(index, "cherry")).toEqual(["c.md"]);
  });

  it("gives the same results after the cache is deleted and rebuilt", async () => {
    const dir = await settledFolder({
      "a.md": memory({ title: "Alpha beta" }, "gamma"),
      "b.md": memory({ title: "Beta" }, "gamma delta"),
      "c/c.md": memory({ title: "Gamma", tags: ["beta"] }, "alpha"),
    });
    const first = await open(dir);
    const queries = ["alpha", "beta", "gamma", "delta", "alpha gamma", "bet"];
    const before = queries.map((query) => first.search(query));
    await first.close();
    await rm(join(dir, ".reverie"), { recursive: true });

    const rebuilt = await open(dir);
    expect(rebuilt.opened.cache).toBe("missing");
    expect(queries.map((query) => rebuilt.search(query))).toEqual(before);
    expect(before[1]?.map((hit) => hit.path)).toEqual(["b.md", "a.md", "c/c.md"]);

    await rebuilt.rebuild();
    expect(queries.map((query) => rebuilt.search(query))).toEqual(before);
  });

  it.each([
    ["not JSON", () => "{ truncated"],
    ["another format", () => JSON.stringify({ hello: "world" })],
    ["a manifest entry of the wrong shape", (cache: string) => cache.replace('"racy":false', '"racy":"no"')],
    ["no postings", (cache: string) => cache.replace(/"postings":"[^"]*"/, '"postings":""')],
    ["a manifest that disagrees with the index", (cache: string) => cache.replace('"files":{', '"files":{"ghost.md":{"mtimeMs":1,"size":1,"sha256":"","racy":false},')],
  ])("rebuilds from the files when the cache holds %s", async (_, corrupt) => {
    const dir = await settledFolder({ "a.md": "apple", "b.md": "banana" });
    await (await open(dir)).close();
    const cacheFile = join(dir, ".reverie", "cache", "search-index.json");
    const broken = corrupt(await readFile(cacheFile, "utf8"));
    await writeFile(cacheFile, broken);

    const index = await open(dir);
    expect(index.opened.cache).toBe("corrupt");
    expect(index.opened.stats).toMatchObject({ added: 2, read: 2 });
    expect(paths(index, "banana")).toEqual(["b.md"]);
    await index.close();
    expect(await readFile(cacheFile, "utf8")).not.toBe(broken);
    expect((await open(dir)).opened.cache).toBe("loaded");
  });

  it("rebuilds a cache written by another version or for another namespace", async () => {
    const dir = await settledFolder({ "a.md": "apple" });
    await (await open(dir)).close();
    const cacheFile = join(dir, ".reverie", "cache", "search-index.json");
    const cache = await readFile(cacheFile, "utf8");
    await writeFile(cacheFile, cache.replace(`"version":${SEARCH_CACHE_VERSION}`, `"version":${SEARCH_CACHE_VERSION + 1}`));
    expect((await open(dir)).opened.cache).toBe("incompatible");

    await writeFile(cacheFile, cache);
    const mounted = await open(dir, { namespace: "org" });
    expect(mounted.opened.cache).toBe("incompatible");
    expect(paths(mounted, "apple")).toEqual(["org/a.md"]);
  });

  it("saves only when something changed, and persists through autosave", async () => {
    const dir = await settledFolder({ "a.md": "apple" });
    const cacheFile = join(dir, ".reverie", "cache", "search-index.json");
    const first = await open(dir);
    await first.save();
    const saved = await stat(cacheFile);
    await first.save();
    expect((await stat(cacheFile)).mtimeMs).toBe(saved.mtimeMs);

    const index = await open(dir, { autosaveMs: 5 });
    index.upsert({ path: "b.md", title: "Banana", tags: [], key: "", body: "" });
    await expect.poll(async () => (await readFile(cacheFile, "utf8")).includes('"b.md"'), { timeout: 5000, interval: 10 }).toBe(true);
  });

  it("fails with NOT_A_MEMORY when the folder does not exist", async () => {
    const dir = await folder({});
    await expect(openSearchIndex({ dir: join(dir, "missing"), load: loadNote })).rejects.toMatchObject({ code: "NOT_A_MEMORY" });
  });
});
