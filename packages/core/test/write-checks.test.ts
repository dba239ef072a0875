import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { initMemory, memoryToolHandlers } from "@reverie/core";
import { tempDir } from "@reverie/test-utils";

describe("write checks apply to every writer, the memory tool included", () => {
  it("refuses duplicate ids, unknown types, NUL bytes, empty files and case collisions with INVALID_INPUT / INVALID_PATH", async () => {
    const memory = await initMemory(join(await tempDir(), "memory"));
    const tool = memoryToolHandlers(memory, { agent: "a" });
    await tool.create({ command: "create", path: "/memories/a.md", file_text: "---\nid: mem_x\n---\nA\n" });
    const create = (path: string, file_text: string) => tool.create({ command: "create", path, file_text });
    await expect(create("/memories/b.md", "---\nid: mem_x\n---\nB\n")).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("its id mem_x is already the id of a.md") });
    await expect(create("/memories/c.md", "---\ntype: banana\n---\nC\n")).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining('type "banana" is not a memory type') });
    await expect(create("/memories/d.md", "a\u0000b\n")).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("NUL byte (line 1)") });
    await expect(create("/memories/e.md", "")).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("the memory has no text") });
    await expect(create("/memories/A.md", "A\n")).rejects.toMatchObject({ code: "INVALID_PATH", message: expect.stringContaining("a.md already exists and differs only in letter case") });
    // An edit that empties a memory is refused too; the file stays as it was.
    await expect(tool.str_replace({ command: "str_replace", path: "/memories/a.md", old_str: "A\n", new_str: "" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect((await memory.read("a.md")).content).toBe("---\nid: mem_x\n---\nA\n");
    // The library can still write an empty memory on purpose.
    expect((await memory.write("e.md", "", { allowEmpty: true, stamp: false })).op).toBe("create");
    expect((await memory.list()).map((e) => e.path)).toEqual(["a.md", "e.md"]);
  });
});
