import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fakeCredentials, tempDir } from "@reverie/test-utils";
import { quoteEvidence, serializeSession, type DreamRecord, type Session } from "@reverie/dream";

const ID = "ses_0123456789abcdef01234567";

/** A memory folder holding only the stored session `session` (all `quoteEvidence` reads). */
async function memoryWith(session: Session): Promise<string> {
  const dir = await tempDir();
  await mkdir(join(dir, ".reverie", "sessions"), { recursive: true });
  await writeFile(join(dir, ".reverie", "sessions", `${session.header.id}.jsonl`), serializeSession(session));
  return dir;
}

/** A record with one operation citing `turns` (only the fields quoting reads). */
function citing(reason: string, refs: Array<[string, number]>): DreamRecord {
  return { operations: [{ index: 1, kind: "pattern", reason, paths: ["a.md"], commit: null, evidence: refs.map(([session, turn]) => ({ session, turn })) }] } as unknown as DreamRecord;
}

const longMessage =
  "Good morning, I hope the weekend went well for everyone on the team. " +
  "We had a long planning meeting on Friday and discussed a great many unrelated topics at length. " +
  "The important part: the staging database now lives on port 6543 instead of 5432. " +
  "Please also remember that lunch is provided on Thursdays in the big room on the third floor.";

describe("quoteEvidence", () => {
  it("quotes the sentence of a long message that matters, a command with its error, and says why a turn cannot be quoted", async () => {
    const [cred] = fakeCredentials(7);
    const session: Session = {
      header: { type: "session", id: ID, started: "2026-11-20T09:00:00.000Z", source: { format: "reverie", path: "/home/dev/export.jsonl", sha256: "0".repeat(64) } },
      events: [
        { type: "message", turn: 1, role: "user", text: longMessage },
        { type: "tool_use", turn: 2, id: "t1", name: "Bash", input: { command: `psql -p 5432 ${cred!.line}` }, at: "2026-11-20T09:01:00.000Z" },
        { type: "tool_result", turn: 3, tool_use_id: "t1", is_error: true, text: "connecting…\nretrying…\n\x1b[31mpsql: error:\x1b[0m connection refused on port 5432\nIs the server \x1b]0;pwned\x07running?\nhint 1\nhint 2" },
      ],
    };
    const dir = await memoryWith(session);
    const [quotes] = await quoteEvidence(dir, citing("the staging database port changed (5432 → 6543)", [[ID, 1], [ID, 3], [ID, 9], ["ses_ffffffffffffffffffffffff", 2]]));
    expect(quotes!.map((q) => q.lines)).toEqual([
      [{ label: "user", text: "… The important part: the staging database now lives on port 6543 instead of 5432. …" }],
      [
        { label: "ran", text: `psql -p 5432 ${cred!.line.replace(cred!.secret, `<redacted:${cred!.kind}>`)}` },
        { label: "error", text: "…\npsql: error: connection refused on port 5432\nIs the server \\x1b]0;pwned\\x07running?\nhint 1\n…" },
      ],
      [],
      [],
    ]);
    expect(JSON.stringify(quotes)).not.toContain(cred!.secret);
    expect(quotes!.map((q) => [q.at, q.source])).toEqual([
      ["2026-11-20T09:00:00.000Z", "/home/dev/export.jsonl"],
      ["2026-11-20T09:00:00.000Z", "/home/dev/export.jsonl"],
      ["2026-11-20T09:00:00.000Z", "/home/dev/export.jsonl"],
      [null, null],
    ]);
    expect(quotes![2]!.missing).toBe(`Session ${ID} has no turn 9 (it has 3).`);
    expect(quotes![3]!.missing).toBe(`No session ses_ffffffffffffffffffffffff in ${dir}; import it first (reverie import <file>)`);
  });
});
