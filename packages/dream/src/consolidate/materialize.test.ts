import { parseNote, renderNote, type MemoryFrontmatter, type Note } from "@reverie/core";
import { describe, expect, it } from "vitest";
import { materialize } from "./materialize.js";
import type { DreamOperation } from "./operations.js";

const now = "2026-03-01T00:00:00Z";
const note = (path: string, fm: MemoryFrontmatter, body: string): Note => parseNote(path, renderNote(fm, body));
const ids = () => {
  let n = 0;
  return () => `mem_TEST${++n}`;
};

const base = [
  note(
    "infra/api.md",
    { id: "mem_a", title: "API port", sources: [{ session: "ses_1", turn: 3 }], verified: [{ session: "ses_2", turn: 4, note: "curl ok" }], owner: "ops" },
    "The API server listens on port 8080.\n",
  ),
  note("notes/api.md", { id: "mem_b", merged_ids: ["mem_z"], tags: ["infra"], sources: [{ session: "ses_1", turn: 3 }, { session: "ses_5", turn: 1 }], verified: [{ session: "ses_6", turn: 2 }] }, "Port 8080 is the API server's.\n"),
  note("tooling/node.md", { id: "mem_n" }, "Node 20.11.1.\n"),
];

describe("materialize", () => {
  it("merges ids, sources, verified stamps and tags into the kept memory and deletes the others", () => {
    const op: DreamOperation = { kind: "dedup", keep: "infra/api.md", remove: ["notes/api.md"], reason: "same fact", evidence: [] };
    const [result] = materialize([op], base, { now, newId: ids() });
    expect(result!.changes.map((c) => c.path)).toEqual(["infra/api.md", "notes/api.md"]);
    expect(result!.changes[1]!.content).toBeNull();
    const kept = parseNote("infra/api.md", result!.changes[0]!.content!);
    expect(kept.frontmatter).toEqual({
      id: "mem_a",
      title: "API port",
      sources: [{ session: "ses_1", turn: 3 }, { session: "ses_5", turn: 1 }],
      verified: [{ session: "ses_2", turn: 4, note: "curl ok" }, { session: "ses_6", turn: 2 }],
      owner: "ops",
      updated: now,
      merged_ids: ["mem_b", "mem_z"],
      tags: ["infra"],
    });
    expect(kept.body).toBe("The API server listens on port 8080.\n");
  });

  it("caps sources at 50 as every reverie write does: the first and the latest, sources_dropped counting the rest across a dedup", () => {
    const many = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => ({ session: `${prefix}_${i}`, turn: 1 }));
    const notes = [
      note("a.md", { id: "mem_a", sources: many("a", 40), sources_dropped: 2 }, "A.\n"),
      note("b.md", { id: "mem_b", sources: many("b", 30), sources_dropped: 5 }, "B.\n"),
    ];
    const [dedup, stale] = materialize(
      [
        { kind: "dedup", keep: "a.md", remove: ["b.md"], reason: "same", evidence: [] },
        { kind: "stale", path: "a.md", action: "update", body: "A2.\n", reason: "newer", evidence: [{ session: "ses_new", turn: 9, at: "2026-02-07T00:00:00Z" }] },
      ],
      notes,
      { now, newId: ids() },
    );
    const merged = parseNote("a.md", dedup!.changes[0]!.content!).frontmatter;
    expect(merged.sources).toEqual([{ session: "a_0", turn: 1 }, ...many("a", 40).slice(21), ...many("b", 30)]);
    expect(merged.sources_dropped).toBe(2 + 5 + 20);
    const updated = parseNote("a.md", stale!.changes[0]!.content!).frontmatter;
    expect(updated.sources).toHaveLength(50);
    expect(updated.sources![0]).toEqual({ session: "a_0", turn: 1 });
    expect(updated.sources![49]).toEqual({ session: "ses_new", turn: 9, at: "2026-02-07T00:00:00Z" });
    expect(updated.sources_dropped).toBe(28);
  });

  it("applies operations in sequence: a stale update of the kept memory starts from the merged file", () => {
    const ops: DreamOperation[] = [
      { kind: "dedup", keep: "infra/api.md", remove: ["notes/api.md"], reason: "same fact", evidence: [] },
      { kind: "stale", path: "infra/api.md", action: "update", body: "The API server listens on port 9090.\n", reason: "8080 → 9090", evidence: [{ session: "ses_7", turn: 2, at: "2026-02-07T00:00:00Z" }] },
      { kind: "stale", path: "tooling/node.md", action: "retire", supersededBy: "infra/api.md", reason: "old", evidence: [] },
    ];
    const [, update, retire] = materialize(ops, base, { now, newId: ids() });
    const updated = parseNote("infra/api.md", update!.changes[0]!.content!);
    expect(updated.body).toBe("The API server listens on port 9090.\n");
    expect(updated.frontmatter.merged_ids).toEqual(["mem_b", "mem_z"]);
    expect(updated.frontmatter.sources).toEqual([
      { session: "ses_1", turn: 3 },
      { session: "ses_5", turn: 1 },
      { session: "ses_7", turn: 2, at: "2026-02-07T00:00:00Z" },
    ]);
    expect(retire!.changes).toEqual([{ path: "tooling/node.md", content: null }]);
  });

  it("creates a pattern memory with an injected id and one source per cited session", () => {
    const op: DreamOperation = {
      kind: "pattern",
      path: "playbooks/missing-module.md",
      title: "Recover from a missing module",
      type: "playbook",
      body: "Run `pnpm install`.\n",
      trust: "normal",
      reason: "3 sessions",
      evidence: [
        { session: "ses_a", turn: 3, at: "2026-02-01T00:00:03Z" },
        { session: "ses_a", turn: 6 },
        { session: "ses_b", turn: 3 },
      ],
    };
    const [result] = materialize([op], base, { now, newId: ids() });
    expect(result!.changes).toEqual([
      {
        path: "playbooks/missing-module.md",
        content: [
          "---",
          "id: mem_TEST1",
          "title: Recover from a missing module",
          "type: playbook",
          `created: ${now}`,
          `updated: ${now}`,
          "sources:",
          "  - { session: ses_a, turn: 3, at: 2026-02-01T00:00:03Z }",
          `  - { session: ses_b, turn: 3, at: ${now} }`,
          "trust: normal",
          "---",
          "Run `pnpm install`.",
          "",
        ].join("\n"),
      },
    ]);
  });

  it("appends one verified stamp per cited session and leaves every other byte alone", () => {
    const op: DreamOperation = { kind: "verify", path: "infra/api.md", note: "port 8080 answered", reason: "curl", evidence: [{ session: "ses_8", turn: 5, at: "2026-02-08T00:00:05Z" }] };
    const [result] = materialize([op], base, { now });
    const content = result!.changes[0]!.content!;
    expect(parseNote("infra/api.md", content).frontmatter.verified).toEqual([
      { session: "ses_2", turn: 4, note: "curl ok" },
      { session: "ses_8", turn: 5, at: "2026-02-08T00:00:05Z", note: "port 8080 answered" },
    ]);
    expect(content.replace(/verified:\n(?:  - .*\n)+/, "")).toBe(base[0]!.content.replace(/verified:\n(?:  - .*\n)+/, ""));
  });

  it("renames without touching content, and rejects operations on missing memories", () => {
    const [moved] = materialize([{ kind: "reorganize", from: "tooling/node.md", to: "runtime/node.md", reason: "topic folder", evidence: [] }], base, { now });
    expect(moved!.changes).toEqual([{ path: "runtime/node.md", content: base[2]!.content, from: "tooling/node.md" }]);
    expect(() =>
      materialize(
        [
          { kind: "stale", path: "tooling/node.md", action: "retire", reason: "x", evidence: [] },
          { kind: "verify", path: "tooling/node.md", note: "x", reason: "x", evidence: [] },
        ],
        base,
        { now },
      ),
    ).toThrow(expect.objectContaining({ code: "INVALID_INPUT", data: { index: 1, kind: "verify", path: "tooling/node.md" } }));
  });
});
