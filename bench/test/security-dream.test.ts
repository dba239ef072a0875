import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { tempDir } from "@reverie/test-utils";
import { describe, expect, it } from "vitest";
import { DISGUISED, measureInjectionsTrusted, measureSecretsLeaked } from "../src/suites/security-dream.js";

describe("security suite: issue 18 through a whole dream", () => {
  it("secrets_leaked is 0: the dream was adopted, learned from the credential routes with <redacted:kind>, and no secret is anywhere", async () => {
    const dir = await tempDir();
    const figure = await measureSecretsLeaked(dir);
    expect(figure).toMatchObject({ leaked: 0, kinds: 12, where: [], adopted: true });
    // The routes were taken: memories quote the failed-command recovery and the user's correction, redacted.
    const history = spawnSync("git", ["log", "--all", "-p"], { cwd: join(dir, "secrets-memory"), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }).stdout;
    expect(history).toContain("<redacted:database-url>");
    expect(history).toContain("<redacted:aws-access-key>");
    expect(history).toMatch(/playbooks\/psql-.*\.md/);
  }, 300_000);

  it("injections_trusted is 0: each of the 7 disguised recoveries made a playbook, quarantined and never auto-adopted", async () => {
    const figure = await measureInjectionsTrusted(await tempDir());
    expect(figure.commands).toBe(7);
    expect(DISGUISED.length).toBe(7);
    expect(figure.playbooks).toBe(7);
    expect(figure.trusted).toBe(0);
    expect(figure.details.every((d) => d.endsWith("1 playbook(s), 0 auto-adopted, 0 trusted on main"))).toBe(true);
  }, 300_000);
});
