import { spawnSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { initMemory } from "@reverie/core";
import { dream, serializeSession, sessionsDir, type ConsolidateInput, type Consolidator, type DreamOperation, type Session } from "@reverie/dream";
import { fakeCredentials, tempDir } from "@reverie/test-utils";

const CLOCK = () => new Date("2026-11-21T08:00:00.000Z");
const CREDS = fakeCredentials(31);
const cred = (kind: string) => CREDS.find((c) => c.kind === kind)!;
const leaked = (text: string) => CREDS.filter((c) => text.includes(c.secret)).map((c) => c.kind);

function git(dir: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** One session that carries a credential in every place a consolidator reads. */
function sessionWithSecrets(): Session {
  const id = "ses_0000000000000000000000a1";
  return {
    header: { type: "session", id, title: `deploy with ${cred("github-token").secret}`, cwd: "/home/dev/app", source: { format: "reverie", path: "/tmp/a.jsonl", sha256: "a".repeat(64) } },
    events: [
      { type: "message", turn: 1, role: "user", text: `use ${cred("aws-access-key").line}` },
      { type: "message", turn: 2, role: "assistant", text: `I will run ${cred("database-url").line}` },
      { type: "tool_use", turn: 3, id: "t1", name: "Bash", input: { command: cred("basic-auth").line, env: [cred("openai-key").secret], [cred("npm-token").secret]: true } },
      { type: "tool_result", turn: 4, tool_use_id: "t1", is_error: false, text: cred("private-key").line },
      { type: "tool_use", turn: 5, id: "t2", name: "memory", input: {}, memory: { command: "create", path: `keys/${cred("slack-token").secret}.md`, text: cred("jwt").line } },
      { type: "summary", turn: 6, kind: "summary", text: cred("password-assignment").line },
    ],
  };
}

/** A consolidator that keeps what it was given and proposes `operations`. */
function spy(operations: (input: ConsolidateInput) => DreamOperation[] = () => []): Consolidator & { seen: ConsolidateInput[] } {
  const seen: ConsolidateInput[] = [];
  return { name: "scripted", seen, consolidate: async (input) => (seen.push(input), { operations: operations(input), ignoredInstructions: [] }) };
}

let dir: string;
beforeEach(async () => {
  dir = join(await tempDir(), "memory");
  const memory = await initMemory(dir);
  // A pulled memory that already holds a key (written before reverie refused them).
  await memory.write("infra/ci.md", `---\ntitle: CI\n---\nThe CI uses ${cred("anthropic-key").line}.\n`, { allowSecrets: true });
  const session = sessionWithSecrets();
  await mkdir(sessionsDir(dir), { recursive: true });
  await writeFile(join(sessionsDir(dir), `${session.header.id}.jsonl`), serializeSession(session));
});

describe("a dream's inputs are redacted before any consolidator reads them", () => {
  it("gives the consolidator sessions and memories holding <redacted:kind> only, and records kinds and a count", async () => {
    const consolidator = spy();
    const run = await dream({ memory: dir, consolidator, clock: CLOCK, instructions: `focus on deploys; ${cred("aws-secret-key").line}` });
    const input = consolidator.seen[0]!;
    expect(leaked(JSON.stringify(input))).toEqual([]);
    const s = input.sessions[0]!;
    expect(s.header.title).toBe("deploy with <redacted:github-token>");
    expect(s.events.map((e) => e.turn)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(s.events[1]).toMatchObject({ text: "I will run psql postgres://app:<redacted:database-url>@db.internal:5432/app -c 'select 1'" });
    expect(s.events[2]).toMatchObject({ input: { command: "curl https://deploy:<redacted:basic-auth>@ci.example.com/hooks/release", env: ["<redacted:openai-key>"], "<redacted:npm-token>": true } });
    expect(s.events[4]).toMatchObject({ memory: { path: "keys/<redacted:slack-token>.md" } });
    expect(input.memories.find((m) => m.path === "infra/ci.md")!.body).toBe("The CI uses export ANTHROPIC_API_KEY=<redacted:anthropic-key>.\n");
    expect(input.instructions).toBe("focus on deploys; aws_secret_access_key = <redacted:aws-secret-key>");

    expect(run.redacted).toEqual({
      count: 12,
      kinds: {
        "anthropic-key": 1,
        "aws-access-key": 1,
        "aws-secret-key": 1,
        "basic-auth": 1,
        "database-url": 1,
        "github-token": 1,
        jwt: 1,
        "npm-token": 1,
        "openai-key": 1,
        "password-assignment": 1,
        "private-key": 1,
        "slack-token": 1,
      },
    });
    const record = await readFile(join(dir, ".reverie/runs", `${run.id}.json`), "utf8");
    expect(leaked(record)).toEqual([]);
  });

  it("fails the blocking secrets gate for an operation that still writes a credential, and never auto-adopts it", async () => {
    const token = cred("github-token").secret;
    const consolidator = spy((input) => [
      {
        kind: "pattern",
        path: `playbooks/push-${token}.md`,
        title: "Pushing",
        type: "playbook",
        body: `Push with https://${token}@github.com/acme/app.git`,
        trust: "normal",
        reason: "recurs",
        evidence: [{ session: input.sessions[0]!.header.id, turn: 1 }],
      },
      { kind: "verify", path: "infra/ci.md", note: "still used", reason: "the CI ran", evidence: [{ session: input.sessions[0]!.header.id, turn: 2 }] },
    ]);
    const head = git(dir, "rev-parse", "HEAD");
    const run = await dream({ memory: dir, consolidator, clock: CLOCK, autoAdopt: true });
    const gate = run.gates.find((g) => g.name === "secrets")!;
    expect(gate).toEqual({
      name: "secrets",
      passed: false,
      detail:
        "operation 1 (pattern) writes github-token in its commit message; github-token in the file name playbooks/push-<redacted:github-token>.md; github-token in playbooks/push-<redacted:github-token>.md; discard the dream, or adopt with --skip for those operations",
    });
    // The key infra/ci.md already held is not new: verifying that memory does not fail the gate.
    expect(run.adopted).toBeNull();
    expect(run.warnings).toContain("not adopted automatically: gate(s) secrets failed");
    expect(git(dir, "rev-parse", "HEAD")).toBe(head);
  });
});
