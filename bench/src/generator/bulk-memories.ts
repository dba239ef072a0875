import { renderNote } from "@reverie/core";
import { UntouchedKinds } from "./fact-kinds.js";
import { mulberry32 } from "./prng.js";
import type { ScenarioMemory } from "./scenario.js";

const WORDS = ["amber", "basalt", "cobalt", "delta", "ember", "fjord", "granite", "harbor", "indigo", "juniper", "kestrel", "lumen", "meadow", "nimbus", "onyx", "pylon"];
const NOUNS = ["ledger", "billing", "auth", "search", "catalog", "checkout", "invoice", "notify", "profile", "report", "gateway", "payments"];

/**
 * `count` memories worded like real project facts, for speed runs where only volume matters
 * (values may repeat; there is no ground truth).
 */
export function bulkMemories(count: number, seed: number): ScenarioMemory[] {
  const rng = mulberry32(seed);
  const out: ScenarioMemory[] = [];
  for (let i = 0; i < count; i++) {
    const svc = `${rng.pick(WORDS)}-${rng.pick(NOUNS)}-${i}`;
    const [kind] = rng.pick(UntouchedKinds);
    const value = kind.value(rng, new Set(), svc) ?? String(rng.int(6000, 9899));
    const phrasing = rng.pick(kind.phrasings)(svc, value);
    const id = `mem_bulk${seed}_${String(i).padStart(6, "0")}`;
    const created = new Date(Date.parse("2026-09-01T00:00:00Z") + i * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const fm = { id, ...(phrasing.title ? { title: phrasing.title } : {}), type: "fact", created, updated: created };
    out.push({ path: `bulk/${String(Math.floor(i / 500)).padStart(3, "0")}/${svc}.md`, id, content: renderNote(fm, `${phrasing.body}\n`) });
  }
  return out;
}
