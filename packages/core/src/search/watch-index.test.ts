import { EventEmitter } from "node:events";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSearchIndex, type SearchDoc, type SearchIndex } from "./search-index.js";
import { watchIndex, type ChokidarLib, type IndexWatcher } from "./watch-index.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const load = (path: string, content: string): SearchDoc => ({ path, title: content.split("\n")[0] ?? "", tags: [], key: "", body: content });

async function setup(files: Record<string, string> = {}): Promise<{ dir: string; index: SearchIndex; put(path: string, content: string): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "reverie-watch-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const put = async (path: string, content: string): Promise<void> => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  };
  for (const [path, content] of Object.entries(files)) await put(path, content);
  const index = await openSearchIndex({ dir, load });
  return { dir, index, put };
}

function watch(index: SearchIndex, options?: Parameters<typeof watchIndex>[1]): IndexWatcher {
  const watcher = watchIndex(index, options);
  cleanups.push(() => watcher.close());
  return watcher;
}

const found = (index: SearchIndex, query: string) => () => index.search(query, { fuzzy: false, prefix: false }).map((hit) => hit.path);
const POLL = { timeout: 10_000, interval: 20 };

describe("watchIndex with chokidar", () => {
  it("indexes files written, changed, moved and deleted while watching", async () => {
    const { dir, index, put } = await setup({ "old.md": "walrus" });
    const errors: unknown[] = [];
    const watcher = watch(index, { onError: (error) => errors.push(error) });
    await watcher.ready;

    await put("notes/new.md", "narwhal");
    await put("notes/ignored.txt", "narwhal");
    await put(".reverie/x.md", "narwhal");
    await expect.poll(found(index, "narwhal"), POLL).toEqual(["notes/new.md"]);

    await put("notes/new.md", "manatee");
    await expect.poll(found(index, "manatee"), POLL).toEqual(["notes/new.md"]);
    expect(found(index, "narwhal")()).toEqual([]);

    await rm(join(dir, "old.md"));
    await expect.poll(found(index, "walrus"), POLL).toEqual([]);

    await rename(join(dir, "notes"), join(dir, "archive"));
    await expect.poll(found(index, "manatee"), POLL).toEqual(["archive/new.md"]);
    expect(errors).toEqual([]);
  });

  it("catches up, when ready, with changes made after the index was opened", async () => {
    const { index, put } = await setup({ "a.md": "apple" });
    await put("b.md", "banana");
    const watcher = watch(index);
    await watcher.ready;
    expect(found(index, "banana")()).toEqual(["b.md"]);
  });

  it("can be closed before it is ready", async () => {
    const { index } = await setup();
    const watcher = watchIndex(index);
    await watcher.close();
    await expect(watcher.ready).resolves.toBeUndefined();
  });
});

describe("watchIndex with an injected watcher library", () => {
  /** A stand-in for chokidar that emits only what the test tells it to. */
  function fakeChokidar() {
    const emitter = new EventEmitter();
    const calls: Array<{ path: string; options: unknown }> = [];
    let closed = false;
    const lib = {
      watch(path: string, options: unknown) {
        calls.push({ path, options });
        return Object.assign(emitter, {
          close: async () => {
            closed = true;
          },
        });
      },
    } as unknown as ChokidarLib;
    return { lib, emitter, calls, isClosed: () => closed };
  }

  it("syncs the paths of a batch of events and skips what the index ignores", async () => {
    const { dir, index, put } = await setup();
    const fake = fakeChokidar();
    const watcher = watch(index, { lib: fake.lib, debounceMs: 5 });
    await expect.poll(() => fake.calls.length, POLL).toBe(1);
    fake.emitter.emit("ready");
    await watcher.ready;
    expect(fake.calls[0]?.path).toBe(dir);

    await put("a.md", "otter");
    await put("b.md", "otter");
    fake.emitter.emit("all", "add", join(dir, "a.md"));
    fake.emitter.emit("all", "add", join(dir, "b.md"));
    await expect.poll(found(index, "otter"), POLL).toEqual(["a.md", "b.md"]);

    const { ignored } = fake.calls[0]?.options as { ignored: (path: string, stats?: { isFile(): boolean; isDirectory(): boolean }) => boolean };
    const file = { isFile: () => true, isDirectory: () => false };
    const folder = { isFile: () => false, isDirectory: () => true };
    expect(ignored(join(dir, ".git"))).toBe(true);
    expect(ignored(join(dir, "x", ".reverie", "cache"))).toBe(true);
    expect(ignored(join(dir, "notes"))).toBe(false);
    expect(ignored(join(dir, "notes"), folder)).toBe(false);
    expect(ignored(join(dir, "notes", "a.md"), file)).toBe(false);
    expect(ignored(join(dir, "notes", "a.md.1f2e.tmp"), file)).toBe(true);

    await watcher.close();
    expect(fake.isClosed()).toBe(true);
  });

  it("reports sync errors and keeps watching", async () => {
    const { dir, index, put } = await setup();
    const fake = fakeChokidar();
    const errors: unknown[] = [];
    const watcher = watch(index, { lib: fake.lib, debounceMs: 5, onError: (error) => errors.push(error) });
    await expect.poll(() => fake.calls.length, POLL).toBe(1);
    fake.emitter.emit("ready");
    await watcher.ready;

    fake.emitter.emit("error", new Error("EMFILE: too many open files"));
    await put("c.md", "heron");
    fake.emitter.emit("all", "change", join(dir, "c.md"));
    await expect.poll(found(index, "heron"), POLL).toEqual(["c.md"]);
    expect(errors).toEqual([new Error("EMFILE: too many open files")]);
  });
});
