import type { Consolidator, DedupOperation } from "@reverie/dream";

/** No consolidation: what an agent with a memory tool and no dreams ends with. */
export function appendOnly(): Consolidator {
  return {
    name: "append-only",
    async consolidate() {
      return { operations: [], ignoredInstructions: [] };
    },
  };
}

/** Merges only memories whose bodies are byte-identical (Mem0 v3's dedup), keeping the first path. */
export function exactHashDedup(): Consolidator {
  return {
    name: "exact-hash",
    async consolidate({ memories }) {
      const byBody = new Map<string, string[]>();
      for (const note of [...memories].sort((a, b) => (a.path < b.path ? -1 : 1))) {
        if (note.frontmatter.trust === "low" || note.body.trim() === "") continue;
        const list = byBody.get(note.body);
        if (list) list.push(note.path);
        else byBody.set(note.body, [note.path]);
      }
      const operations: DedupOperation[] = [];
      for (const paths of byBody.values()) {
        if (paths.length < 2) continue;
        const [keep, ...remove] = paths as [string, ...string[]];
        operations.push({ kind: "dedup", keep, remove, reason: `byte-identical bodies: ${paths.join(", ")}`, evidence: [] });
      }
      return { operations, ignoredInstructions: [] };
    },
  };
}
