import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseNote } from "@reverie/core";
import { anthropicConsolidator, costOf, loadTranscript, naiveDreamPrompt, priceFor, type ConsolidateInput, type ModelOperation, type Session } from "@reverie/dream";
import { firstUserText, reply, startFakeAnthropic, type FakeAnthropic, type FakeRequest } from "@reverie/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The datasets live next to the repo (never copied into it): <repo>/../shared.
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const DATASET = resolve(REPO, "../shared/datasets/claude-code");
const SERIES_A = ["ab8c5aa0", "375d5d79", "1ed1f046", "34de7f83", "0a0314fb", "b8c1e7e5", "94e68429"];
const present = existsSync(DATASET);

const m = (path: string, fm: string, body: string) => parseNote(path, `---\n${fm}\n---\n${body}\n`);
const MEMORIES = [
  m("project/lint.md", "title: Format and lint before committing\ntype: playbook", "Run `mise run fmt && mise run lint` before committing."),
  m("project/lint-2.md", "title: Lint with mise\ntype: note", "Before committing, format and lint the code: `mise run fmt && mise run lint`."),
  m("project/tests.md", "title: Running tests\ntype: fact", "Run the test suite with `mise run test`."),
  m("project/checkpoint-id.md", "title: Checkpoint ids\ntype: fact\nkey: checkpoint.id.generate", "`id.Generate()` in cmd/entire/cli/checkpoint/id/id.go panics when random bytes cannot be read."),
  m("project/agent-names.md", "title: Agent names\ntype: fact", 'Agent names such as "Gemini CLI" and "Claude Code" are string literals in each agent package.'),
  m("project/layout.md", "title: Where agent code lives\ntype: fact", "Agent integrations live in cmd/entire/cli/agent/ (geminicli, claudecode)."),
];

const S = {
  parseCheckpoint: "ses_3797f0238148e6ea7546d1f0",
  idGenerate: "ses_0c515564432ad7762f1fad43",
  geminiLogging: "ses_1bfe0cb0296f2260ee17bd7c",
  testCi: "ses_41f962c2bcaecedd9779f61f",
  chunking: "ses_7c133ca100ebcdfa7d34cab3",
  geminiTests: "ses_44d787053c26999bb718990b",
  constants: "ses_782ec433b2a334ff24cdee86",
};

/**
 * Answers recorded for this input: what a model proposes, citing real turns of the Series A
 * sessions (plus one made-up citation the gates must drop). The fake serves each request the
 * operations whose evidence lies in the sessions that request shows.
 */
const RECORDED: { memories: ModelOperation[]; sessions: ModelOperation[] } = {
  memories: [{ kind: "dedup", keep: "project/lint.md", remove: ["project/lint-2.md"], reason: "both say to run mise fmt and lint before committing", evidence: [] }],
  sessions: [
    { kind: "verify", path: "project/tests.md", note: "`mise run test` succeeded", reason: "the suite ran green", evidence: [{ session: S.idGenerate, turn: 43 }] },
    { kind: "verify", path: "project/tests.md", note: "`mise run test` succeeded", reason: "the suite ran green", evidence: [{ session: S.constants, turn: 36 }] },
    { kind: "verify", path: "project/lint.md", note: "`mise run fmt && mise run lint` reported 0 issues", reason: "lint ran clean", evidence: [{ session: S.chunking, turn: 26 }] },
    { kind: "stale", path: "project/checkpoint-id.md", action: "update", body: "`id.Generate()` in cmd/entire/cli/checkpoint/id/id.go returns `(CheckpointID, error)` instead of panicking.", reason: "the user had the panic replaced by an error return", evidence: [{ session: S.idGenerate, turn: 4 }] },
    { kind: "stale", path: "project/agent-names.md", action: "update", body: 'Agent names ("Gemini CLI", "Claude Code") are AgentType constants in cmd/entire/cli/agent/registry.go.', reason: "the user asked for both names to become constants", evidence: [{ session: S.constants, turn: 13 }] },
    { kind: "verify", path: "project/layout.md", note: "agent/geminicli read", reason: "made-up turn", evidence: [{ session: S.parseCheckpoint, turn: 999 }] },
  ],
};

function sessionsShown(req: FakeRequest): Set<string> {
  return new Set([...firstUserText(req.body).matchAll(/<session id="(ses_\w+)">/g)].map((x) => x[1]!));
}

function recordedReply(req: FakeRequest) {
  const task = firstUserText(req.body);
  if (task.startsWith("Task: candidate duplicates")) return reply.toolUse("propose_operations", { operations: RECORDED.memories });
  const shown = sessionsShown(req);
  // A dream that fits one request asks about the duplicate groups in the sessions request.
  const groups = task.includes("<group ") ? RECORDED.memories : [];
  return reply.toolUse("propose_operations", { operations: [...groups, ...RECORDED.sessions.filter((op) => op.evidence.every((e) => shown.has(e.session)))] });
}

describe.skipIf(!present)(`recorded anthropic dream over the real Series A sessions${present ? "" : " (skipped: ../shared/datasets/claude-code is not present)"}`, () => {
  let input: ConsolidateInput;
  let fake: FakeAnthropic;
  beforeAll(async () => {
    const files = readdirSync(DATASET).filter((f) => SERIES_A.some((id) => f.startsWith(`entireio__cli__${id}`)));
    expect(files).toHaveLength(7);
    const sessions: Session[] = [];
    for (const f of files.sort()) sessions.push((await loadTranscript(join(DATASET, f))).session);
    input = { memories: MEMORIES, sessions, now: "2026-01-23T00:00:00Z" };
    fake = await startFakeAnthropic({ responder: recordedReply });
  });
  afterAll(async () => {
    await fake.close();
  });

  it.each([
    ["default batches", {}],
    // Compressed, the seven sessions fit one 4k-token batch; 2k-token batches still split them.
    ["2k-token batches", { maxBatchTokens: 2000 }],
  ])("sends at most 0.4 of a naive single-prompt dream (%s), with gated operations", async (name, plan) => {
    const before = fake.messageRequests().length;
    fake.clearCache();
    const out = await anthropicConsolidator({ model: "claude-sonnet-4-6", apiKey: "test-key", baseURL: fake.url, local: false, ...plan }).consolidate(input);
    const sent = fake.messageRequests().slice(before);
    const naive = naiveDreamPrompt(input);
    const sentChars = sent.reduce((n, r) => n + r.promptChars, 0);
    const sentTokens = out.usage.input_tokens + out.usage.cache_creation_input_tokens + out.usage.cache_read_input_tokens;
    const sonnet = out.costUsd;
    const haiku = costOf({ ...out.usage }, priceFor("claude-haiku-4-5"));
    const report = {
      run: name,
      requests: sent.map((r) => ({ chars: r.promptChars, tokens: r.tokens, body_chars: r.chars, ...r.usage })),
      naive: { chars: naive.chars, tokens: naive.tokens },
      sent: { chars: sentChars, tokens: sentTokens },
      prompt_ratio_chars: sentChars / naive.chars,
      anthropic_prompt_ratio: sentTokens / naive.tokens,
      cache_read_share: out.sent.cacheReadShare,
      transcript_compression: out.sent.compressedSessionChars / out.sent.rawSessionChars,
      cost_per_session_usd: { "claude-sonnet-4-6": sonnet / 7, "claude-haiku-4-5": haiku / 7 },
    };
    console.log(JSON.stringify(report, null, 2));

    expect(sent.length).toBe(out.requests.length);
    expect(sentChars).toBe(out.sent.promptChars);
    expect(report.anthropic_prompt_ratio).toBeLessThanOrEqual(0.4);
    expect(report.prompt_ratio_chars).toBeLessThanOrEqual(0.4);
    expect(out.operations.map((o) => `${o.kind} ${"path" in o ? o.path : "keep" in o ? o.keep : ""}`)).toEqual([
      "dedup project/lint.md",
      "stale project/agent-names.md",
      "stale project/checkpoint-id.md",
      "verify project/lint.md",
      "verify project/tests.md",
    ]);
    const tests = out.operations.find((o) => o.kind === "verify" && o.path === "project/tests.md")!;
    expect(tests.evidence.map((e) => `${e.session}#${e.turn}`)).toEqual([`${S.idGenerate}#43`, `${S.constants}#36`]);
    expect(out.dropped).toEqual([expect.objectContaining({ kind: "verify", path: "project/layout.md", reason: `cites turns that do not exist in the dream's sessions: ${S.parseCheckpoint}#999` })]);
  });
});
