import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { initMemory, openMemory, parseNote, runGit } from "@reverie/core";
import { tempDir } from "@reverie/test-utils";
import { dreamNotesCacheFile, readMemoriesAt } from "./snapshot.js";

const FILES: Record<string, string> = {
  "prefs/pm.md": "---\ntitle: Use pnpm\ntags: [tooling]\n---\nUse pnpm, not npm.\n",
  "notes/plain.md": "No front-matter at all.\n",
  "notes/inf.md": "---\nlimit: .inf\n---\nA value JSON cannot hold.\n",
  "notes/bad.md": "---\ntitle: [unclosed\n---\nBroken YAML.\n",
};

async function seeded(): Promise<{ dir: string; repo: Awaited<ReturnType<typeof initMemory>>["repo"]; head: string }> {
  const dir = join(await tempDir(), "memory");
  await (await initMemory(dir)).close();
  // Written by hand: the store refuses the broken YAML a person may still commit.
  for (const [path, content] of Object.entries(FILES)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await runGit(dir, ["add", "-A"]);
  await runGit(dir, ["commit", "-q", "-m", "by hand"], { env: { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t.invalid" } });
  const memory = await openMemory(dir);
  const head = (await memory.repo.head())!;
  await memory.close();
  return { dir, repo: memory.repo, head };
}

const expected = (path: string) => parseNote(path, FILES[path]!);

describe("readMemoriesAt", () => {
  it("gives the same notes from the blob cache as from parsing, and parses only blobs it has not seen", async () => {
    const { dir, repo, head } = await seeded();
    const first = await readMemoriesAt(repo, head);
    const wanted = ["notes/inf.md", "notes/plain.md", "prefs/pm.md"].map(expected);
    expect(first.sort((a, b) => a.path.localeCompare(b.path))).toEqual(wanted);
    const cache = JSON.parse(await readFile(dreamNotesCacheFile(dir), "utf8")) as { blobs: Record<string, unknown> };
    const entries = Object.values(cache.blobs);
    expect(entries).toHaveLength(4);
    expect(entries).toContainEqual({ unreadable: true });
    expect(entries).toContainEqual({ reparse: true });
    expect(entries).toContainEqual({ frontmatter: { title: "Use pnpm", tags: ["tooling"] }, sha256: expected("prefs/pm.md").sha256 });

    // A cached entry is used as it is: tamper with one and the next read shows it.
    const pm = Object.keys(cache.blobs).find((sha) => (cache.blobs[sha] as { frontmatter?: { title?: string } }).frontmatter?.title === "Use pnpm")!;
    (cache.blobs[pm] as { frontmatter: { title: string } }).frontmatter.title = "from the cache";
    await writeFile(dreamNotesCacheFile(dir), JSON.stringify(cache));
    const second = await readMemoriesAt(repo, head);
    expect(second.find((n) => n.path === "prefs/pm.md")?.frontmatter.title).toBe("from the cache");
    expect(second.find((n) => n.path === "notes/inf.md")?.frontmatter.limit).toBe(Number.POSITIVE_INFINITY);
  });

  it("parses again when the cache is not JSON, and rewrites it", async () => {
    const { dir, repo, head } = await seeded();
    await readMemoriesAt(repo, head);
    await writeFile(dreamNotesCacheFile(dir), "{ not json");
    const notes = await readMemoriesAt(repo, head);
    expect(notes.find((n) => n.path === "prefs/pm.md")).toEqual(expected("prefs/pm.md"));
    expect(Object.keys((JSON.parse(await readFile(dreamNotesCacheFile(dir), "utf8")) as { blobs: object }).blobs)).toHaveLength(4);
  });
});
