import { spawnSync } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { git, initializedMemory, reverie } from "./support.js";

let base: string;
let dir: string;

beforeEach(async () => {
  ({ base, dir } = await initializedMemory());
});

describe("reverie mcp", () => {
  it("is listed in the help and starts the MCP server's own binary", () => {
    expect(reverie(["--help"]).stdout).toMatch(/\n {2}mcp \[options\] +serve the memory to an MCP client over stdio/);
    const missing = reverie(["mcp", "--dir", join(base, "nowhere")], "");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`reverie mcp: No memory folder at ${join(base, "nowhere")}. Create one with: reverie init ${join(base, "nowhere")}\n`);
  });

  it("repairs what a crash left when it starts, saying what in one stderr line, then serves", async () => {
    await writeFile(join(dir, ".git", "index.lock"), "");
    await writeFile(join(dir, ".git", "HEAD.lock"), "");
    await mkdir(join(dir, ".reverie", "tmp"), { recursive: true });
    await writeFile(join(dir, ".reverie", "tmp", `write.${hostname().replace(/[^A-Za-z0-9-]/g, "-")}.${spawnSync(process.execPath, ["-e", ""]).pid}.0a1b2c.tmp`), "half");
    const result = reverie(["mcp", "--dir", dir], "");
    expect(result).toMatchObject({ code: 0, stdout: "" });
    const gitDir = join(dir, ".git");
    expect(result.stderr).toBe(
      `reverie mcp: recovered from a crash: removed HEAD.lock from ${gitDir}: left by a git process that is no longer running (a crash or a kill); removed index.lock from ${gitDir}: left by a git process that is no longer running (a crash or a kill); removed 1 temp file(s) (4 B) in ${join(dir, ".reverie", "tmp")} left by processes that are no longer running.\nreverie mcp: serving ${dir} over stdio\n`,
    );
    expect(await readdir(join(dir, ".git")).then((names) => names.filter((n) => n.endsWith(".lock")))).toEqual([]);
  });

  it("ends cleanly when the client closes stdin", () => {
    const result = reverie(["mcp", "--dir", dir], "");
    expect(result).toMatchObject({ code: 0, stdout: "" });
    expect(result.stderr).toBe(`reverie mcp: serving ${dir} over stdio\n`);
  });
});

describe("the CLI refuses traversal and read-only mounts too", () => {
  it.each(["../outside.md", "/etc/passwd.md", "a/../../outside.md", "..\\outside.md"])("write %j exits 1 with INVALID_PATH, writing nothing", async (path) => {
    const result = reverie(["write", path, "--dir", dir, "--json"], "pwned\n");
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).error.code).toBe("INVALID_PATH");
    expect(await readdir(base)).toEqual(["memory"]);
    expect(git(dir, "log", "--format=%s")).toBe("memory: init\n");
  });

  it("keeps a percent-encoded name literal, inside the folder", async () => {
    expect(reverie(["write", "%2e%2e/x.md", "--raw", "--dir", dir], "x\n").code).toBe(0);
    expect(await readdir(join(dir, "%2e%2e"))).toEqual(["x.md"]);
    expect(await readdir(base)).toEqual(["memory"]);
  });

  it("refuses writes to a read-only mount with exit 1", async () => {
    const org = join(base, "org");
    reverie(["init", org]);
    await writeFile(join(dir, ".reverie/config.yaml"), "store: main\nmounts:\n  - path: org\n    dir: ../org\n    access: read_only\n");
    for (const args of [["write", "org/x.md"], ["rm", "org/README.md"], ["mv", "org/README.md", "org/y.md"]]) {
      const result = reverie([...args, "--dir", dir, "--json"], "x\n");
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout).error.code).toBe("READ_ONLY");
    }
  });
});
