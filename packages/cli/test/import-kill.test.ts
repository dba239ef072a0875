import { spawn } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { serializeSession, serializeSessionLine, type Session, type SessionEvent } from "@reverie/dream";
import { tempDir } from "@reverie/test-utils";
import { BIN, git, leftovers, random, reverie, settle, spawnAndKill } from "./support.js";

const MiB = 1 << 20;
/** Kills per case: a few in `pnpm test` (the bench's crash suite kills many more); REVERIE_TEST_KILLS raises it. */
const KILLS = Number(process.env.REVERIE_TEST_KILLS ?? 4);

/** A normalized session of about `bytes` bytes: far past the import's memory bound, so it spools to disk. */
function bigSession(id: string, bytes: number): Session {
  const events: SessionEvent[] = [];
  for (let size = 0, turn = 1; size < bytes; turn++) {
    const event: SessionEvent =
      turn % 2 === 0
        ? { type: "tool_result", turn, tool_use_id: `t${turn - 1}`, is_error: false, text: `line ${turn}\n`.repeat(40) }
        : { type: "tool_use", turn, id: `t${turn}`, name: "Bash", input: { command: `echo ${turn}` }, at: "2026-01-01T00:00:00.000Z" };
    events.push(event);
    size += serializeSessionLine(event).length + 1;
  }
  return { header: { type: "session", id, agent: "coder-1", source: { format: "anthropic", path: "/x/c.json", sha256: "a".repeat(64) } }, events };
}

let input: string;

/** Runs `reverie import` and kill -9s it (its group, or node alone) `extraMs` after a spool temp appears. */
async function killWhileSpooling(dir: string, extraMs: number, group: boolean): Promise<void> {
  const child = spawn(process.execPath, [BIN, "import", input, "--dir", dir], { detached: true, stdio: "ignore", env: { ...process.env, REVERIE_DIR: "" } });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const sessions = join(dir, ".reverie", "sessions");
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    if ((await readdir(sessions).catch(() => [])).some((n) => n.endsWith(".tmp"))) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, extraMs));
  try {
    process.kill(group ? -child.pid! : child.pid!, "SIGKILL");
  } catch {
    // it had already finished
  }
  await exited;
}

beforeAll(async () => {
  input = join(await tempDir(), "input");
  await mkdir(input);
  for (const n of [1, 2, 3]) await writeFile(join(input, `big${n}.jsonl`), serializeSession(bigSession(`ses_0000000000000000000000000${n}`, 40 * MiB)));
}, 120_000);

describe("kill -9 of an import of 120 MB", () => {
  it(`leaves no spool temp after the next command, and a retried import brings every session in (${KILLS} kills)`, async () => {
    const seed = Date.now() % 100_000;
    console.log(`kill test (import) seed ${seed}`);
    const rand = random(seed);
    let swept = 0;
    for (let i = 0; i < KILLS; i++) {
      const dir = join(await tempDir(), "memory");
      expect(reverie(["init", dir]).code).toBe(0);
      // Half the kills at a random moment, half once a session is spooling to disk (tens of MB in a temp).
      if (i % 4 < 2) await spawnAndKill(["import", input, "--dir", dir], "", 300 + Math.floor(rand() * 3200), i % 2 === 0);
      else await killWhileSpooling(dir, Math.floor(rand() * 400), i % 2 === 0);
      await settle();
      const next = reverie(["ls", "--dir", dir]);
      expect(next.code, `after kill ${i} (seed ${seed}): ${next.stderr}`).toBe(0);
      if (/temp file\(s\) \([\d.]+ MB\) in .*\.reverie\/sessions left by processes/.test(next.stderr)) swept++;
      expect((await readdir(join(dir, ".reverie", "sessions")).catch(() => [])).filter((n) => n.endsWith(".tmp"))).toEqual([]);
      expect(await leftovers(dir)).toEqual([]);
      const retry = reverie(["import", input, "--dir", dir]);
      expect(retry.code, retry.stderr).toBe(0);
      expect((await readdir(join(dir, ".reverie", "sessions"))).sort()).toEqual([1, 2, 3].map((n) => `ses_0000000000000000000000000${n}.jsonl`));
      expect(git(dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
    }
    console.log(`kill test (import): ${swept} of ${KILLS} kills left spool temps, all swept`);
    expect(swept).toBeGreaterThan(0);
  }, 300_000);
});
