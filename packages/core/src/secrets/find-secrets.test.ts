import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fakeChars, fakeCredentials } from "@reverie/test-utils";
import { findSecrets, redactSecrets, redactSecretsInTexts } from "./find-secrets.js";
import { looksLikeCredential } from "./assignment-rules.js";

describe("findSecrets", () => {
  const credentials = [...fakeCredentials(1), ...fakeCredentials(2)];

  it.each(credentials.map((c) => [c.kind, c] as const))("finds a %s and names its kind", async (_kind, credential) => {
    const text = `ran:\n  ${credential.line}\nthen the tests passed`;
    const found = await findSecrets(text);
    expect(found.map((m) => m.kind)).toEqual([credential.kind]);
    const { text: redacted, kinds } = await redactSecrets(text);
    expect(kinds).toEqual([credential.kind]);
    expect(redacted).not.toContain(credential.secret);
    expect(redacted).toContain(`<redacted:${credential.kind}>`);
    expect(redacted.startsWith("ran:\n  ")).toBe(true);
    expect(redacted.endsWith("\nthen the tests passed")).toBe(true);
  });

  it("redacts only the password of a connection string, so the memory stays useful", async () => {
    const db = fakeCredentials(3).find((c) => c.kind === "database-url")!;
    expect((await redactSecrets(db.line)).text).toBe("psql postgres://app:<redacted:database-url>@db.internal:5432/app -c 'select 1'");
  });

  it("keeps the key name of an assignment and the AWS secret's key", async () => {
    const [, aws] = fakeCredentials(4);
    expect((await redactSecrets(aws!.line)).text).toBe("aws_secret_access_key = <redacted:aws-secret-key>");
    const pw = fakeCredentials(4).find((c) => c.kind === "password-assignment")!;
    expect((await redactSecrets(pw.line)).text).toBe("mysql --user=root password=<redacted:password-assignment> -h 127.0.0.1");
  });

  it("finds every credential of a text that holds them all, in order", async () => {
    const all = fakeCredentials(5);
    const text = all.map((c) => c.line).join("\n");
    const { text: redacted, kinds } = await redactSecrets(text);
    expect(kinds).toEqual(all.map((c) => c.kind));
    for (const c of all) expect(redacted).not.toContain(c.secret);
  });

  it("cannot be switched off by a secretlint-disable comment in the text", async () => {
    const gh = fakeCredentials(6).find((c) => c.kind === "github-token")!;
    const text = `// secretlint-disable\n${gh.line}\n// secretlint-enable`;
    expect((await findSecrets(text)).map((m) => m.kind)).toEqual(["github-token"]);
  });

  it("leaves ordinary text, references and placeholders alone", async () => {
    const clean = [
      "psql needs the password from DATABASE_URL",
      "password=$DB_PASSWORD",
      "token: ${GITHUB_TOKEN}",
      "password = process.env.DB_PASSWORD",
      "api_key: <your key here>",
      "postgres://app:${PGPASSWORD}@db:5432/app",
      "https://user:***@example.com",
      "\"input_tokens\": 12345, \"output_tokens\": 678",
      "const token = config.auth.token;",
      "password: required",
      "git push origin main && pnpm test",
    ];
    for (const text of clean) expect(await findSecrets(text), text).toEqual([]);
  });

  it("is idempotent: redacting a redacted text changes nothing", async () => {
    const text = fakeCredentials(7).map((c) => c.line).join("\n");
    const once = await redactSecrets(text);
    const twice = await redactSecrets(once.text);
    expect(twice).toEqual({ text: once.text, kinds: [] });
  });

  it("redaction is deterministic and leaves the text around a secret byte for byte (property)", async () => {
    const pool = fakeCredentials(8);
    const filler = fc.string({ unit: fc.constantFrom(..."abcdef ghij\n-_.,:"), maxLength: 40 }).map((s) => ` ${s} `);
    await fc.assert(
      fc.asyncProperty(filler, fc.integer({ min: 0, max: pool.length - 1 }), filler, async (before, i, after) => {
        const c = pool[i]!;
        const text = `${before}\n${c.line}\n${after}`;
        const a = await redactSecrets(text);
        expect(a).toEqual(await redactSecrets(text));
        expect(a.text).not.toContain(c.secret);
        expect(a.text.startsWith(`${before}\n`)).toBe(true);
        expect(a.text.endsWith(`\n${after}`)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe("redactSecretsInTexts", () => {
  it("gives each text what redactSecrets gives it alone, in one scan", async () => {
    const texts = ["", "nothing here", ...fakeCredentials(9).map((c) => c.line), "tail text"];
    const together = await redactSecretsInTexts(texts);
    const alone = await Promise.all(texts.map((t) => redactSecrets(t)));
    expect(together.texts).toEqual(alone.map((a) => a.text));
    expect(together.kinds).toEqual(alone.flatMap((a) => a.kinds));
  });

  it("redacts in both texts a key block split across them, so neither keeps a part", async () => {
    const key = fakeCredentials(10).find((c) => c.kind === "private-key")!;
    const lines = key.line.split("\n");
    const texts = [lines.slice(0, 2).join("\n"), lines.slice(2).join("\n")];
    const { texts: out, kinds } = await redactSecretsInTexts(texts);
    expect(kinds).toEqual(["private-key"]);
    expect(out).toEqual(["<redacted:private-key>", "<redacted:private-key>"]);
  });

  it("returns the texts unchanged (a copy) when none holds a secret", async () => {
    const texts = ["a", "b c"];
    const out = await redactSecretsInTexts(texts);
    expect(out).toEqual({ texts, kinds: [] });
    expect(out.texts).not.toBe(texts);
  });
});

describe("looksLikeCredential (the stated entropy rule)", () => {
  it("takes mixed, high-entropy values and refuses words, references and placeholders", () => {
    expect(looksLikeCredential(fakeChars(16, 1))).toBe(true);
    expect(looksLikeCredential("Tr0ub4dor&3x")).toBe(true);
    for (const v of ["required", "hunter", "see-vault", "hunter22", "12345678", "$PASSWORD", "${TOKEN}", "changeme123", "your-token-here", "aaaaaaa1", "config.db.password", "<redacted:jwt>"]) {
      expect(looksLikeCredential(v), v).toBe(false);
    }
  });
});
