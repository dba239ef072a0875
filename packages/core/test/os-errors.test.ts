import { spawnSync } from "node:child_process";
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { initMemory, openMemory } from "@reverie/core";
import { tempDir } from "@reverie/test-utils";

function run(command: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(command, args, { encoding: "utf8" });
}

function git(dir: string, ...args: string[]): string {
  return run("git", "-C", dir, ...args).stdout;
}

/** Everything a failed command must leave untouched: files, index, refs. */
function snapshot(dir: string): string {
  return [git(dir, "status", "--porcelain", "--untracked-files=all"), git(dir, "rev-parse", "HEAD"), git(dir, "ls-files", "-s")].join("\n");
}

/** A real small file system, so the kernel itself says ENOSPC or EROFS; null where mounting is not allowed. */
async function smallDisk(size: string): Promise<string | null> {
  const mnt = join(await tempDir(), "disk");
  await mkdir(mnt);
  if (run("mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", mnt).status !== 0) return null;
  mounted.push(mnt);
  return mnt;
}

const mounted: string[] = [];
afterEach(() => {
  for (const mnt of mounted.splice(0)) run("umount", "-l", mnt);
});

/** Fills the file system under `dir` until it refuses, leaving the filler file in place. */
async function fill(dir: string): Promise<string> {
  const filler = join(dir, ".reverie", "tmp-filler");
  const handle = await open(filler, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    await handle.close().catch(() => undefined);
  }
  return filler;
}

const canMount = process.getuid?.() === 0;

describe.skipIf(!canMount)("OS errors name their cause and what was kept (a real tmpfs; skipped unless run as root, which mount needs)", () => {
  it("a full disk: the write is refused as IO_ERROR ENOSPC, the folder is as it was, and the next write after freeing space works", async (ctx) => {
    const disk = await smallDisk("4m");
    if (disk === null) return ctx.skip();
    const dir = join(disk, "memory");
    const memory = await initMemory(dir);
    await memory.write("prefs/pm.md", "Use pnpm.\n", { stamp: false });
    const filler = await fill(dir);
    const before = snapshot(dir);
    const error = await memory.write("prefs/pm.md", `Use pnpm, never npm.\n${"x".repeat(200_000)}\n`, { stamp: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "IO_ERROR", data: { errno: "ENOSPC", kept: "nothing was written: the memory folder is as it was" } });
    expect((error as Error).message).toMatch(/^Could not write prefs\/pm\.md: the disk is full.*Nothing was written: the memory folder is as it was\. Free some space/);
    expect(snapshot(dir)).toBe(before);
    expect(await readFile(join(dir, "prefs/pm.md"), "utf8")).toBe("Use pnpm.\n");
    await expect(memory.write("new.md", "x\n")).rejects.toMatchObject({ code: "IO_ERROR", data: { errno: "ENOSPC" } });
    await rm(filler);
    expect((await memory.write("prefs/pm.md", "Use pnpm, never npm.\n", { stamp: false })).op).toBe("update");
  });

  it("a read-only file system: IO_ERROR EROFS, nothing written, reads still work", async (ctx) => {
    const disk = await smallDisk("8m");
    if (disk === null) return ctx.skip();
    const dir = join(disk, "memory");
    const memory = await initMemory(dir);
    await memory.write("a.md", "alpha\n", { stamp: false });
    await memory.close();
    expect(run("mount", "-o", "remount,ro", disk).status).toBe(0);
    const reopened = await openMemory(dir);
    const before = snapshot(dir);
    await expect(reopened.write("a.md", "beta\n")).rejects.toMatchObject({ code: "IO_ERROR", data: { errno: "EROFS" }, message: expect.stringContaining("the file system is read-only") });
    await expect(reopened.remove("a.md")).rejects.toMatchObject({ code: "IO_ERROR", data: { errno: "EROFS" } });
    expect(snapshot(dir)).toBe(before);
    expect((await reopened.read("a.md")).content).toBe("alpha\n");
  });
});
