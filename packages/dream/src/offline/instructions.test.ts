import { describe, expect, it } from "vitest";
import { parseInstructions } from "./instructions.js";
import { offlineConsolidator } from "./offline-consolidator.js";
import { note } from "./test-support.js";

describe("parseInstructions", () => {
  it("applies what it understands and returns the rest verbatim", () => {
    const { policy, ignored } = parseInstructions(
      ["Leave decisions/ alone.", "- don't touch type: preference", "no verify", "Never retire anything", "Make the memory more concise", "", "Focus on the auth service"].join("\n"),
    );
    expect({ ...policy, kinds: [...policy.kinds] }).toEqual({
      kinds: ["dedup", "stale", "pattern", "learn", "reorganize"],
      protectedPrefixes: ["decisions/"],
      protectedTypes: ["preference"],
      allowRetire: false,
    });
    expect(ignored).toEqual(["Make the memory more concise", "Focus on the auth service"]);
  });

  it("reads 'only dedup' as every other kind switched off", () => {
    expect([...parseInstructions("only dedup").policy.kinds]).toEqual(["dedup"]);
    expect([...parseInstructions("just dedup and verify").policy.kinds]).toEqual(["dedup", "verify"]);
  });

  it("keeps protected memories out of every operation", async () => {
    const memories = [
      note("decisions/port.md", { id: "mem_a" }, "The API server listens on port 8080.\n"),
      note("notes/port.md", { id: "mem_b" }, "The API server listens on port 8080.\n"),
      note("prefs/pm.md", { id: "mem_c", type: "preference" }, "Use pnpm for installs.\n"),
      note("prefs/pm-2.md", { id: "mem_d", type: "preference" }, "Use pnpm for installs.\n"),
    ];
    const out = await offlineConsolidator().consolidate({ memories, sessions: [], now: "2026-03-01T00:00:00Z", instructions: "leave decisions/ alone\ndon't touch type: preference" });
    expect(out).toEqual({ operations: [], ignoredInstructions: [] });
    const unsteered = await offlineConsolidator().consolidate({ memories, sessions: [], now: "2026-03-01T00:00:00Z" });
    expect(unsteered.operations.map((op) => op.kind)).toEqual(["dedup", "dedup"]);
  });
});
