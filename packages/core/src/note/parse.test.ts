import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeUtf8, noteTitle, parseNote, renderNote, updateNote } from "./parse.js";
import type { MemoryFrontmatter } from "./types.js";

const SAMPLE = `---
id: mem_01JD3Q9W6T8ZP4M2K7X5B1C0RA   # stable
title: Use pnpm, not npm
type: preference
x-owner:   "team-a"   # someone else's key, odd spacing kept
tags: [tooling]
sources:
  - { session: ses_7f3a, turn: 14, at: 2026-11-20T10:30:00Z, agent: coder-1 }
---
Body in Markdown.
`;

describe("parseNote", () => {
  it("reads front-matter fields and the body", () => {
    const note = parseNote("prefs/pm.md", SAMPLE);
    expect(note.hasFrontmatter).toBe(true);
    expect(note.frontmatter).toEqual({
      id: "mem_01JD3Q9W6T8ZP4M2K7X5B1C0RA",
      title: "Use pnpm, not npm",
      type: "preference",
      "x-owner": "team-a",
      tags: ["tooling"],
      sources: [{ session: "ses_7f3a", turn: 14, at: "2026-11-20T10:30:00Z", agent: "coder-1" }],
    });
    expect(note.body).toBe("Body in Markdown.\n");
    expect(note.sha256).toBe(createHash("sha256").update(Buffer.from(SAMPLE, "utf8")).digest("hex"));
  });

  it("treats a file without front-matter as a memory with none", () => {
    const note = parseNote("a.md", "# Title\n\nplain\n");
    expect(note).toMatchObject({ hasFrontmatter: false, frontmatter: {}, body: "# Title\n\nplain\n" });
  });

  it("reports malformed YAML with the file's line number", () => {
    expect(() => parseNote("bad.md", "---\ntitle: ok\ntags: [a, b\n---\nbody\n")).toThrowError(
      expect.objectContaining({ code: "PARSE_ERROR", data: expect.objectContaining({ path: "bad.md", line: 3 }) }),
    );
  });

  it("reports an unclosed block at line 1", () => {
    expect(() => parseNote("open.md", "---\ntitle: x\nno end\n")).toThrowError(
      expect.objectContaining({ code: "PARSE_ERROR", data: { path: "open.md", line: 1 } }),
    );
  });

  it("rejects front-matter that is not a mapping", () => {
    expect(() => parseNote("list.md", "---\n- a\n- b\n---\n")).toThrowError(expect.objectContaining({ code: "PARSE_ERROR" }));
  });

  it("rejects duplicate keys instead of silently keeping one", () => {
    expect(() => parseNote("dup.md", "---\ntitle: a\ntitle: b\n---\n")).toThrowError(expect.objectContaining({ code: "PARSE_ERROR" }));
  });
});

describe("updateNote", () => {
  it("keeps unknown keys, comments and spacing byte-for-byte", () => {
    const out = updateNote(SAMPLE, { frontmatter: { updated: "2026-11-21T08:02:00Z", type: "fact" } });
    expect(out).toBe(`---
id: mem_01JD3Q9W6T8ZP4M2K7X5B1C0RA   # stable
title: Use pnpm, not npm
type: fact
x-owner:   "team-a"   # someone else's key, odd spacing kept
tags: [tooling]
sources:
  - { session: ses_7f3a, turn: 14, at: 2026-11-20T10:30:00Z, agent: coder-1 }
updated: 2026-11-21T08:02:00Z
---
Body in Markdown.
`);
  });

  it("removes a key set to undefined and replaces the body", () => {
    const out = updateNote(SAMPLE, { frontmatter: { tags: undefined, sources: undefined }, body: "New.\n" });
    expect(out).toBe(`---
id: mem_01JD3Q9W6T8ZP4M2K7X5B1C0RA   # stable
title: Use pnpm, not npm
type: preference
x-owner:   "team-a"   # someone else's key, odd spacing kept
---
New.
`);
  });

  it("writes provenance lists one flow map per line", () => {
    const out = updateNote("plain\n", {
      frontmatter: { id: "mem_1", sources: [{ session: "ses_1", turn: 3 }, { session: "ses_2", turn: 9, agent: "a" }] },
    });
    expect(out).toBe("---\nid: mem_1\nsources:\n  - { session: ses_1, turn: 3 }\n  - { session: ses_2, turn: 9, agent: a }\n---\nplain\n");
  });

  it("is the identity with an empty patch", () => {
    expect(updateNote(SAMPLE, {})).toBe(SAMPLE);
    expect(updateNote(SAMPLE, { frontmatter: {} })).toBe(SAMPLE);
  });
});

describe("noteTitle", () => {
  it("prefers the front-matter title, then the first heading, then the first line, then the file name", () => {
    expect(noteTitle(parseNote("a/b.md", SAMPLE))).toBe("Use pnpm, not npm");
    expect(noteTitle(parseNote("a/b.md", "intro\n## Deploy steps ##\n"))).toBe("Deploy steps");
    expect(noteTitle(parseNote("a/b.md", "\n- Use port 8080 for the API.\nmore\n"))).toBe("Use port 8080 for the API.");
    expect(noteTitle(parseNote("a/b.md", "x".repeat(100)))).toBe(`${"x".repeat(79)}…`);
    expect(noteTitle(parseNote("a/deploy-notes.md", "---\ntags: [a]\n---\n\n"))).toBe("deploy-notes");
  });
});

describe("decodeUtf8", () => {
  it("names the line and byte of invalid UTF-8", () => {
    const bytes = new Uint8Array([0x61, 0x0a, 0x62, 0xe9, 0x0a]);
    expect(() => decodeUtf8(bytes, "latin1.md")).toThrowError(
      expect.objectContaining({ code: "INVALID_INPUT", data: { path: "latin1.md", line: 2, offset: 3 } }),
    );
    expect(decodeUtf8(new TextEncoder().encode("héllo ✓"), "ok.md")).toBe("héllo ✓");
  });
});

// Front-matter values as YAML can carry them back unchanged: plain JSON-like data.
const scalar = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.boolean(),
  fc.constantFrom("2026-11-20T10:31:00Z", "null", "yes", "0x1F", "- dash", "a: b", "#hash", "  padded "),
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 4 }),
  fc.array(fc.dictionary(fc.constantFrom("session", "turn", "at", "note"), scalar, { maxKeys: 3 }), { maxLength: 3 }),
);
const key = fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/);
const frontmatter = fc.dictionary(key, value, { minKeys: 1, maxKeys: 6 }) as fc.Arbitrary<MemoryFrontmatter>;
const body = fc.string({ maxLength: 60 }).map((s) => s.replace(/^---/gm, "- --"));

describe("laws", () => {
  it("parse ∘ render is the identity on front-matter and body", () => {
    fc.assert(
      fc.property(frontmatter, body, (fm, text) => {
        const note = parseNote("p.md", renderNote(fm, text));
        expect(note.frontmatter).toEqual(fm);
        expect(note.body).toBe(text);
      }),
    );
  });

  it("patching some keys leaves every other entry's bytes unchanged", () => {
    fc.assert(
      fc.property(frontmatter, fc.dictionary(key, value, { maxKeys: 3 }), body, (fm, patch, text) => {
        const original = renderNote(fm, text);
        const updated = updateNote(original, { frontmatter: patch });
        const note = parseNote("p.md", updated);
        expect(note.frontmatter).toEqual({ ...fm, ...patch });
        expect(note.body).toBe(text);
        for (const k of Object.keys(fm).filter((k) => !(k in patch))) {
          const entry = renderNote({ [k]: fm[k] }, "").slice(4, -4);
          expect(updated).toContain(entry);
        }
      }),
    );
  });
});
