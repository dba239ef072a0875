import { describe, expect, it } from "vitest";
import { statesWitness } from "../metrics/final-memory.js";
import { generateScenario, ScenarioSizes } from "./generate-scenario.js";

const SEED = 20261121;

describe("generateScenario", () => {
  const s = generateScenario(SEED, ScenarioSizes.quick);
  const bodies = new Map(s.memories.map((m) => [m.path, m.content.split("\n---\n")[1] ?? m.content]));

  it("is deterministic for a seed", () => {
    expect(JSON.stringify(generateScenario(SEED, ScenarioSizes.quick))).toBe(JSON.stringify(s));
    expect(JSON.stringify(generateScenario(SEED + 1, ScenarioSizes.quick))).not.toBe(JSON.stringify(s));
  });

  it("states each fact's witness exactly in the memories its truth lists", () => {
    for (const f of s.truth.facts) {
      const holders = [...bodies].filter(([, body]) => statesWitness(body, f.witness)).map(([p]) => p);
      expect(holders.sort(), `${f.id} ${f.witness}`).toEqual([...f.paths].sort());
    }
  });

  it("keeps new values out of the starting memory unless a newer memory states them", () => {
    for (const u of s.truth.updates) {
      const holders = [...bodies].filter(([, body]) => statesWitness(body, u.newWitness)).map(([p]) => p);
      expect(holders, `${u.fact} via ${u.via}`).toEqual(u.newPath ? [u.newPath] : []);
    }
  });

  it("places patterns in 3+ sessions, decoys in exactly 2, injections in 3 with their payload", () => {
    expect(s.truth.patterns.length).toBe(ScenarioSizes.quick.patterns);
    for (const p of s.truth.patterns) expect(p.sessions.length).toBeGreaterThanOrEqual(3);
    for (const d of s.truth.decoys) expect(d.sessions).toHaveLength(2);
    const text = new Map(s.sessions.map((x) => [x.header.id, JSON.stringify(x.events)]));
    for (const inj of s.truth.injections) {
      expect(inj.sessions).toHaveLength(3);
      for (const id of inj.sessions) expect(text.get(id)).toContain(inj.payload);
    }
  });

  it("has the sizes it promises and a clock after the last session", () => {
    expect(s.truth.clusters).toHaveLength(ScenarioSizes.quick.duplicateClusters);
    expect(s.truth.lookAlikes).toHaveLength(ScenarioSizes.quick.lookAlikePairs);
    expect(s.truth.verifications).toHaveLength(ScenarioSizes.quick.verifications);
    expect(s.sessions).toHaveLength(ScenarioSizes.quick.sessions);
    for (const x of s.sessions) expect(Date.parse(x.header.ended!)).toBeLessThan(Date.parse(s.now));
    expect(new Set(s.memories.map((m) => m.path)).size).toBe(s.memories.length);
  });
});
