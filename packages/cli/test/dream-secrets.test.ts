import { spawnSync } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeCredentials, startFakeAnthropic, reply, tempDir, type FakeAnthropic, type FakeCredential } from "@reverie/test-utils";
import { initializedMemory, reverieAsync } from "./support.js";

/*
 * Credentials in sessions never reach a memory: five Claude Code sessions carry twelve kinds of
 * fake credentials along every route the dream takes from a session to a memory (a failed command
 * recovered by one carrying the credential, a user's correction, a stated rule, tool output), and
 * after an offline dream with --auto-adopt and an anthropic dream against a fake server, no
 * secret is in any commit of any branch, the work tree, the run records, `dream show`, search,
 * or any request the server received.
 */

/** The built binary, run asynchronously so the in-process fake server can answer it. */
const reverie = reverieAsync;

function git(dir: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

const CREDS = fakeCredentials(21);
const cred = (kind: string): FakeCredential => CREDS.find((c) => c.kind === kind)!;

type Step = { user: string } | { run: string; ok?: string; error?: string } | { read: string; content: string };

/** A Claude Code JSONL transcript of `steps`. */
function claudeCode(sessionId: string, day: number, steps: Step[]): string {
  const lines: unknown[] = [];
  let parent: string | null = null;
  let n = 0;
  const at = () => new Date(Date.UTC(2026, 10, day, 10, 0, n)).toISOString();
  const entry = (type: "user" | "assistant", message: unknown) => {
    const uuid = `${sessionId.slice(0, 8)}-0000-4000-8000-${String(++n).padStart(12, "0")}`;
    lines.push({ parentUuid: parent, isSidechain: false, userType: "external", cwd: "/home/dev/acme-api", sessionId, version: "2.1.38", gitBranch: "main", type, uuid, timestamp: at(), message });
    parent = uuid;
  };
  let call = 0;
  for (const step of steps) {
    if ("user" in step) {
      entry("user", { role: "user", content: step.user });
      continue;
    }
    const id = `toolu_${sessionId.slice(0, 8)}_${++call}`;
    const [name, input] = "run" in step ? ["Bash", { command: step.run, description: "run it" }] : ["Read", { file_path: step.read }];
    entry("assistant", { id: `msg_${id}`, type: "message", role: "assistant", model: "claude-sonnet-4-6", content: [{ type: "tool_use", id, name, input }], stop_reason: "tool_use", usage: { input_tokens: 10, output_tokens: 5 } });
    const text = "run" in step ? (step.error ?? step.ok ?? "") : step.content;
    const isError = "run" in step && step.error !== undefined;
    entry("user", { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: text, is_error: isError }] });
  }
  return `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
}

function sessionSteps(i: number): Step[] {
  return [
    { user: "Check the database is up, then push." },
    { run: "psql -h db.internal -U app -c 'select 1'", error: 'psql: error: connection to server at "db.internal" failed: FATAL:  password authentication failed for user "app"' },
    { run: cred("database-url").line, ok: " ?column? \n----------\n        1\n(1 row)" },
    { run: "git push origin main", error: "remote: Invalid username or password.\nfatal: Authentication failed for 'https://github.com/acme/app.git/'" },
    { run: cred("github-token").line, ok: `To https://github.com/acme/app.git\n   1a2b3c${i}..4d5e6f${i}  main -> main` },
    { user: `no, use ${cred("aws-access-key").secret} instead of the old key id` },
    { run: "cat ~/.aws/credentials", ok: `[default]\naws_access_key_id = ${cred("aws-access-key").secret}\n${cred("aws-secret-key").line}` },
    { user: `Remember: always run evals with ${cred("anthropic-key").line} set first.` },
    { read: "/home/dev/acme-api/deploy/id_rsa", content: cred("private-key").line },
    { run: cred("jwt").line, ok: '{"user":"admin"}' },
    { run: cred("basic-auth").line, ok: "queued release" },
    { run: cred("slack-token").line, ok: '{"ok":true}' },
    { run: cred("npm-token").line, ok: "" },
    { run: cred("openai-key").line, ok: "eval done: 0.91" },
    { run: cred("password-assignment").line, ok: "mysql> " },
    { run: "pnpm test", ok: "Test Files  4 passed (4)\n     Tests  31 passed (31)" },
    { user: "Thanks, that works." },
  ];
}

/** Every file under `dir`, except the git database and the imported transcripts (a local copy of the user's own transcript files). */
async function workTreeText(dir: string): Promise<string> {
  const out: string[] = [];
  const walk = async (at: string) => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      const rel = relative(dir, path);
      if (rel === ".git" || rel === join(".reverie", "sessions")) continue;
      if (entry.isDirectory()) await walk(path);
      else out.push(`== ${rel}\n${await readFile(path, "latin1")}`);
    }
  };
  await walk(dir);
  return out.join("\n");
}

function leaked(text: string): string[] {
  return CREDS.filter((c) => text.includes(c.secret)).map((c) => c.kind);
}

let dir: string;
let sessions: string;
let fake: FakeAnthropic | undefined;
beforeEach(async () => {
  ({ dir } = await initializedMemory());
  sessions = join(await tempDir(), "sessions");
  await mkdir(sessions);
  for (let i = 0; i < 5; i++) {
    const id = `${String(i + 1).repeat(8)}-1d6e-4c53-9d7e-0a1b2c3d4e0${i}`;
    await writeFile(join(sessions, `s${i}.jsonl`), claudeCode(id, 10 + i, sessionSteps(i)));
  }
  expect(leaked(await readFile(join(sessions, "s0.jsonl"), "utf8"))).toEqual(CREDS.map((c) => c.kind));
});
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe("a dream over sessions full of credentials", () => {
  it("offline with --auto-adopt: memories learned from them hold <redacted:kind>, and no secret is anywhere", async () => {
    const run = await reverie(["dream", "--sessions", sessions, "--auto-adopt", "--dir", dir, "--json"]);
    expect(run.stderr).not.toContain("reverie:");
    expect(leaked(run.stdout + run.stderr)).toEqual([]);
    const record = JSON.parse(run.stdout);
    expect(record.status).toBe("completed");
    expect(record.adopted).not.toBeNull();
    expect(record.gates.find((g: { name: string }) => g.name === "secrets")).toEqual({ name: "secrets", passed: true, detail: "no operation writes a credential" });
    // Every kind was found in the five sessions, none is named by value.
    expect(Object.keys(record.redacted.kinds)).toEqual([...CREDS.map((c) => c.kind)].sort());
    expect(record.redacted.count).toBeGreaterThanOrEqual(5 * CREDS.length);

    // The routes were taken: the adopted memories were built from the redacted text.
    const history = git(dir, "log", "--all", "-p", "--format=%H%n%B");
    // The lesson quotes the user's correction; the psql playbook keeps its recovery with the URL's password redacted;
    // the push retried with a token in its URL is the same call with another value, so no lesson.
    expect(history).toContain("<redacted:aws-access-key>");
    expect(history).toContain("<redacted:database-url>");
    expect(history).toMatch(/playbooks\/psql-.*\.md/);
    expect(leaked(history)).toEqual([]);
    expect(leaked(git(dir, "log", "--all", "--format=%an %ae %s %b %N"))).toEqual([]);
    expect(leaked(await workTreeText(dir))).toEqual([]);

    const show = await reverie(["dream", "show", record.id, "--dir", dir]);
    expect(show.stdout).toContain(`redacted ${record.redacted.count} secrets from the inputs before consolidating: `);
    expect(leaked(show.stdout + show.stderr)).toEqual([]);
    const diff = await reverie(["dream", "diff", record.id, "--dir", dir]);
    expect(leaked(diff.stdout + diff.stderr)).toEqual([]);
    for (const query of ["psql", "push", "aws", "evals"]) {
      const search = await reverie(["search", query, "--dir", dir, "--json"]);
      expect(leaked(search.stdout)).toEqual([]);
    }
  });

  it("anthropic: the model never receives a secret, only <redacted:kind>", async () => {
    fake = await startFakeAnthropic({ responder: () => reply.toolUse("propose_operations", { operations: [] }) });
    const run = await reverie(["dream", "--provider", "anthropic", "--model", "claude-haiku-4-5", "--sessions", sessions, "--dir", dir, "--json"], {
      ANTHROPIC_API_KEY: "sk-test",
      ANTHROPIC_BASE_URL: fake.url,
    });
    expect(run.stderr).not.toContain("reverie:");
    const record = JSON.parse(run.stdout);
    expect(record.status).toBe("completed");
    const sent = JSON.stringify(fake.log.map((e) => e.body));
    expect(fake.messageRequests().length).toBeGreaterThan(0);
    expect(sent).toContain("<redacted:");
    expect(leaked(sent)).toEqual([]);
    expect(leaked(await workTreeText(dir))).toEqual([]);
  });
});
