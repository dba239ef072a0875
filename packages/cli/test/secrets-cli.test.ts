import { describe, expect, it } from "vitest";
import { fakeCredentials } from "@reverie/test-utils";
import { git, initializedMemory, reverie } from "./support.js";

describe("reverie write and mv refuse secrets", () => {
  const github = fakeCredentials(21).find((c) => c.kind === "github-token")!;

  it("write exits 1 naming the file, kind and line, and --allow-secrets writes it", async () => {
    const { dir } = await initializedMemory();
    const refused = reverie(["--dir", dir, "write", "ops/push.md"], `# Push\n${github.line}\n`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^reverie: Refused to write ops\/push\.md: line 2 holds a github-token\. .* --allow-secrets\)\.\n$/);
    expect(refused.stderr).not.toContain(github.secret);
    expect(git(dir, "log", "--all", "-p")).not.toContain(github.secret);
    const json = reverie(["--dir", dir, "--json", "write", "ops/push.md"], `${github.line}\n`);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: "SECRET_DETECTED", data: { path: "ops/push.md", kind: "github-token", line: 1 } });
    const allowed = reverie(["--dir", dir, "write", "ops/push.md", "--allow-secrets"], `# Push\n${github.line}\n`);
    expect(allowed.code).toBe(0);
    expect(git(dir, "show", "HEAD:ops/push.md")).toContain(github.secret);
  });

  it("mv refuses a destination path that holds a secret unless --allow-secrets", async () => {
    const { dir } = await initializedMemory();
    expect(reverie(["--dir", dir, "write", "a.md"], "plain\n").code).toBe(0);
    const aws = fakeCredentials(21).find((c) => c.kind === "aws-access-key")!;
    const refused = reverie(["--dir", dir, "mv", "a.md", `${aws.secret}.md`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Refused to write <redacted:aws-access-key>.md: its file name holds an aws-access-key.");
    expect(reverie(["--dir", dir, "mv", "a.md", `${aws.secret}.md`, "--allow-secrets"]).code).toBe(0);
  });

  it("doctor exits 1 naming the commit, file, line and kind of a secret in any branch's history, and how to purge it", async () => {
    const { dir } = await initializedMemory();
    expect(reverie(["--dir", dir, "write", "ops/push.md", "--allow-secrets"], `# Push\n${github.line}\n`).code).toBe(0);
    const commit = git(dir, "rev-parse", "HEAD").trim();
    expect(reverie(["--dir", dir, "rm", "ops/push.md"]).code).toBe(0);
    const doctor = reverie(["--dir", dir, "doctor"]);
    expect(doctor.code).toBe(1);
    const line = git(dir, "show", `${commit}:ops/push.md`).split("\n").findIndex((l) => l.includes(github.secret)) + 1;
    expect(line).toBeGreaterThan(0);
    expect(doctor.stdout).toContain(`error   SECRET_IN_HISTORY: commit ${commit.slice(0, 12)} put a github-token in ops/push.md line ${line} (history of main). `);
    expect(doctor.stdout).toContain("warning SECRET_PURGE: To purge a secret from history: 1. rotate it first");
    expect(doctor.stdout).toMatch(/1 error\(s\), 1 warning\(s\) in /);
    expect(doctor.stdout + doctor.stderr).not.toContain(github.secret);
  });
});
