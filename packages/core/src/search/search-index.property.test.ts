import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { contentHash } from "../hash.js";
import { openSearchIndex, type SearchDoc, type SearchIndex } from "./search-index.js";

const VOCABULARY = ["alpha", "beta", "gamma", "delta", "pnpm", "npm", "lint", "cache", "deploy", "zeta"];
const FOLDERS = ["", "prefs/", "ops/deploy/"];

/**
 * A loader independent of parseNote: `title:`, `tags:` and `key:` lines up to a `---` line, then
 * the body. A `!!` anywhere in the head makes it throw, as a front-matter error would.
 */
function load(path: string, content: string): SearchDoc {
  const split = content.indexOf("\n---\n");
  const head = split === -1 ? "" : content.slice(0, split);
  if (head.includes("!!")) throw new Error("bad head");
  const field = (name: string): string => head.split("\n").find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1) ?? "";
  return {
    path,
    title: field("title"),
    tags: field("tags").split(",").filter((tag) => tag !== ""),
    key: field("key"),
    body: split === -1 ? content : content.slice(split + 5),
  };
}

/** What a store does with a file its loader cannot parse: index the raw text. */
function safeLoad(path: string, content: string): SearchDoc {
  try {
    return load(path, content);
  } catch {
    return { path, title: "", tags: [], key: "", body: content };
  }
}

/** The oracle: every word of the path (without `.md`) and of the file's text, split the simple ASCII way. */
function naiveMatches(files: ReadonlyMap<string, string>, term: string): string[] {
  const words = (text: string): string[] => text.toLowerCase().split(/[^a-z0-9]+/);
  return [...files]
    .filter(([path, content]) => words(path.slice(0, -3)).includes(term) || words(content).includes(term))
    .map(([path]) => path)
    .sort();
}

async function readFolder(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const abs = join(entry.parentPath, entry.name);
    const rel = abs.slice(dir.length + 1).split("\\").join("/");
    if (entry.isFile() && rel.endsWith(".md") && !rel.startsWith(".reverie/")) files.set(rel, await readFile(abs, "utf8"));
  }
  return files;
}

function expectAgreement(index: SearchIndex, files: ReadonlyMap<string, string>, label: string): void {
  for (const term of [...VOCABULARY, "prefs", "ops"]) {
    const found = index.search(term, { fuzzy: false, prefix: false, limit: Number.POSITIVE_INFINITY }).map((hit) => hit.path);
    expect(found.sort(), `${label}: "${term}"`).toEqual(naiveMatches(files, term));
  }
}

const word = fc.constantFrom(...VOCABULARY).chain((w) => fc.constantFrom(w, w.toUpperCase(), w[0]!.toUpperCase() + w.slice(1)));
const words = (max: number, separators: string[]) =>
  fc.array(fc.tuple(word, fc.constantFrom(...separators)), { maxLength: max }).map((parts) => parts.map(([w, sep]) => w + sep).join(""));
const fileContent = fc
  .record({
    title: words(3, [" ", ", ", "-"]),
    tags: fc.array(fc.constantFrom(...VOCABULARY), { maxLength: 2 }).map((tags) => tags.join(",")),
    key: words(2, [".", "_"]),
    body: words(12, [" ", ".\n", "/", "(", "\n\n# "]),
    broken: fc.boolean(),
  })
  .map(({ title, tags, key, body, broken }) => `title:${title}\ntags:${tags}\nkey:${key}${broken ? "!!" : ""}\n---\n${body}\n`);
const filePath = fc
  .tuple(fc.constantFrom(...FOLDERS), fc.constantFrom(...VOCABULARY), fc.integer({ min: 0, max: 3 }))
  .map(([folder, name, n]) => `${folder}${name}${n}.md`);

type Operation =
  | { kind: "write"; path: string; content: string; stamp: boolean }
  | { kind: "rename"; pick: number; to: string }
  | { kind: "delete"; pick: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant("write" as const), path: filePath, content: fileContent, stamp: fc.boolean() }),
  fc.record({ kind: fc.constant("rename" as const), pick: fc.nat(), to: filePath }),
  fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }),
);

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("search index agrees with a naive scan of the folder", () => {
  it("for single-term exact queries, through upsert/remove and through reopening from cache + disk", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(filePath, fileContent), { maxLength: 8, selector: ([path]) => path }),
        fc.array(operation, { maxLength: 8 }),
        async (initial, operations) => {
          const dir = await mkdtemp(join(tmpdir(), "reverie-search-prop-"));
          dirs.push(dir);
          const write = async (path: string, content: string): Promise<void> => {
            await mkdir(dirname(join(dir, path)), { recursive: true });
            await writeFile(join(dir, path), content);
          };
          for (const [path, content] of initial) await write(path, content);

          const live = await openSearchIndex({ dir, load });
          expectAgreement(live, await readFolder(dir), "initial");
          await live.save();
          const staleCache = await readFile(join(dir, ".reverie", "cache", "search-index.json"));

          for (const op of operations) {
            const existing = [...(await readFolder(dir)).keys()].sort();
            if (op.kind === "write") {
              await write(op.path, op.content);
              const doc = safeLoad(op.path, op.content);
              const info = await stat(join(dir, op.path));
              live.upsert(doc, op.stamp ? { mtimeMs: info.mtimeMs, size: info.size, sha256: contentHash(op.content) } : undefined);
            } else if (existing.length > 0) {
              const from = existing[op.pick % existing.length]!;
              if (op.kind === "delete") {
                await rm(join(dir, from));
                live.remove(from);
              } else if (!existing.includes(op.to)) {
                const content = await readFile(join(dir, from), "utf8");
                await mkdir(dirname(join(dir, op.to)), { recursive: true });
                await rename(join(dir, from), join(dir, op.to));
                live.remove(from);
                live.upsert(safeLoad(op.to, content));
              }
            }
            expectAgreement(live, await readFolder(dir), `live after ${op.kind}`);
          }
          const files = await readFolder(dir);

          await writeFile(join(dir, ".reverie", "cache", "search-index.json"), staleCache);
          const fromStaleCache = await openSearchIndex({ dir, load });
          expect(fromStaleCache.opened.cache).toBe("loaded");
          expectAgreement(fromStaleCache, files, "reopened from the cache saved before the operations");

          await live.save();
          const fromFreshCache = await openSearchIndex({ dir, load });
          expect(fromFreshCache.opened.cache).toBe("loaded");
          expectAgreement(fromFreshCache, files, "reopened from the cache saved after the operations");
        },
      ),
      { numRuns: 40 },
    );
  });
});
