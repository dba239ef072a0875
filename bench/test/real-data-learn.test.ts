import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { serializeSession, type Session } from "@reverie/dream";
import { cleanupTempDirs, tempDir } from "@reverie/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { learnOnSeries } from "../src/suites/learn-real-data.js";
import { realDataSuite } from "../src/suites/real-data-suite.js";
import type { SuiteContext } from "../src/suites/suite.js";

afterEach(cleanupTempDirs);

async function context(datasetsDir: string): Promise<SuiteContext> {
  return { quick: true, workDir: await tempDir(), datasetsDir, log: () => {} };
}

/** A small session with nothing a person would keep: a greeting and one listing. */
const chitChat: Session = {
  header: { type: "session", id: "ses_chitchat0000000000000001", agent: "claude-code", started: "2025-09-03T00:00:00Z", ended: "2025-09-03T00:01:00Z", source: { format: "reverie", path: "fake.jsonl", sha256: "0".repeat(64) } },
  events: [
    { type: "message", turn: 1, role: "user", text: "hello there", at: "2025-09-03T00:00:00Z" },
    { type: "tool_use", turn: 2, id: "toolu_1", name: "Bash", input: { command: "ls" }, at: "2025-09-03T00:00:10Z" },
    { type: "tool_result", turn: 3, tool_use_id: "toolu_1", is_error: false, text: "README.md", at: "2025-09-03T00:00:11Z" },
    { type: "message", turn: 4, role: "assistant", text: "The folder holds a README.", at: "2025-09-03T00:00:20Z" },
  ],
};

describe("real-data learn rows", () => {
  it("reports every learn figure missing with the skip reason when the datasets folder is absent", async () => {
    const datasetsDir = join(await tempDir(), "no-such-datasets");
    const { rows } = await realDataSuite(await context(datasetsDir));
    const learn = rows.filter((r) => r.metric.startsWith("learn_"));
    expect(learn.map((r) => [r.metric, r.subject, r.value, r.budget])).toEqual([
      ["learn_recall", "offline · entireio", null, { min: 0.6 }],
      ["learn_noise", "offline · entireio", null, { max: 0.2 }],
      ["learn_recall", "offline · trap", null, { min: 0.6 }],
      ["learn_noise", "offline · trap", null, { max: 0.2 }],
      ["learn_recall", "offline · claude-code-viewer", null, { min: 0.6 }],
      ["learn_noise", "offline · claude-code-viewer", null, { max: 0.2 }],
    ]);
    expect(learn.every((r) => r.reason === `skipped: no datasets folder at ${datasetsDir} (the real-data suite needs ../shared/datasets)`)).toBe(true);
  });

  it("imports a series, dreams, adopts and scores it: nothing learned is recall 0 and noise missing, never 0", async () => {
    const datasetsDir = await tempDir();
    await mkdir(join(datasetsDir, "claude-code"));
    await writeFile(join(datasetsDir, "claude-code", "d-kimuson__claude-code-viewer__fake.jsonl"), serializeSession(chitChat));
    await writeFile(join(datasetsDir, "claude-code", "other__project__x.jsonl"), serializeSession({ ...chitChat, header: { ...chitChat.header, id: "ses_other00000000000000000001" } }));
    const ctx = await context(datasetsDir);
    const { rows, notes } = await learnOnSeries(ctx, join(ctx.workDir, "ccv"), "claude-code-viewer");
    expect(rows.slice(0, 3)).toEqual([
      { suite: "real-data", metric: "learn_recall", value: 0, unit: "ratio", budget: { min: 0.6 }, pass: false, subject: "offline · claude-code-viewer" },
      { suite: "real-data", metric: "learn_noise", value: null, unit: "ratio", budget: { max: 0.2 }, pass: null, reason: "the dream wrote no memory", subject: "offline · claude-code-viewer" },
      // The gold list cites turns of sessions this folder does not hold: none reaches a request.
      { suite: "real-data", metric: "anthropic_evidence_recall", value: 0, unit: "ratio", budget: { min: 0.95 }, pass: false, subject: "anthropic · claude-code-viewer" },
    ]);
    expect(rows[3]).toMatchObject({ suite: "real-data", metric: "anthropic_prompt_ratio", unit: "ratio", budget: { max: 0.4 }, subject: "anthropic · claude-code-viewer" });
    expect(rows).toHaveLength(4);
    expect(rows[3]!.value).toBeGreaterThan(0);
    expect(notes).toContain("claude-code-viewer anthropic (fake server, 1 requests): every supporting turn of 0/9 gold items reached a request (0.0% of item-turn pairs); prompt " + `${(rows[3]!.value! * 100).toFixed(1)}% of the naive single prompt`);
    expect(notes[0]).toMatch(/^claude-code-viewer: 1 sessions imported, dream completed, the dream proposed no change in [\d.]+ s, .*; learn_recall 0\/9, learn_noise 0\/0 written memories$/);
  });

  it("reports a series with no sessions in its folder as missing, naming the folder", async () => {
    const datasetsDir = await tempDir();
    await mkdir(join(datasetsDir, "claude-code"));
    const ctx = await context(datasetsDir);
    const { rows } = await learnOnSeries(ctx, join(ctx.workDir, "eio"), "entireio");
    const reason = `no entireio__cli__*.jsonl sessions in ${join(datasetsDir, "claude-code")}`;
    expect(rows.map((r) => [r.metric, r.value, r.reason])).toEqual([
      ["learn_recall", null, reason],
      ["learn_noise", null, reason],
      ["anthropic_evidence_recall", null, reason],
      ["anthropic_prompt_ratio", null, reason],
    ]);
  });
});
