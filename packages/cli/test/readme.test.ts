import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { reverie } from "./support.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DOCS = ["README.md", "docs/agents.md", "examples/claude-code/README.md", "examples/claude-agent/README.md", "memory-template/README.md"];

describe("the README and docs", () => {
  it('"With Claude Code" is at most five commands, each a reverie command that exists', async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## With Claude Code"), readme.indexOf("\n## ", readme.indexOf("## With Claude Code") + 1));
    const commands = /```sh\n([\s\S]*?)```/.exec(section)![1]!.trim().split("\n").map((line) => line.replace(/\s+#.*$/, ""));
    expect(commands.length).toBeLessThanOrEqual(5);
    for (const command of commands) {
      const words = command.split(" ");
      expect(words[0]).toBe("reverie");
      const sub = words.slice(1).filter((w) => !w.startsWith("-") && !w.startsWith("~") && !w.startsWith("<"));
      expect(reverie([...sub.slice(0, 2), "--help"]).code, command).toBe(0);
    }
  });

  it("never tell anyone to run npx reverie (npm has no such package) and link no npm page", async () => {
    for (const doc of DOCS) {
      const text = await readFile(join(ROOT, doc), "utf8");
      const uses = text.split("\n").filter((line) => /npx reverie|npmjs\.com/.test(line) && !line.includes("does not work"));
      expect([doc, uses]).toEqual([doc, []]);
    }
  });
});
