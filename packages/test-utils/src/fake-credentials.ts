/**
 * Realistic-looking fake credentials for secret-scrubbing tests. Each is built at run time by
 * string concatenation from a seed, so this repository holds no literal that a secret scanner
 * (GitHub push protection, secretlint, gitleaks) would flag, and none of them is a real key.
 */

/** One fake credential, as it would appear in a session. */
export interface FakeCredential {
  /** The `<redacted:kind>` reverie should give it. */
  kind: string;
  /** The credential itself: the text that must never reach a memory. */
  secret: string;
  /** A realistic line carrying it (a command, an env line, a config snippet). */
  line: string;
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;

/** A deterministic pseudo-random string over `alphabet` (a Park–Miller generator seeded with `seed`). */
export function fakeChars(length: number, seed: number, alphabet = ALNUM): string {
  let x = (seed * 7919 + 104729) % 2147483647 || 1;
  let out = "";
  for (let i = 0; i < length; i++) {
    x = (x * 48271) % 2147483647;
    out += alphabet[x % alphabet.length];
  }
  return out;
}

const join = (...parts: string[]) => parts.join("");

/**
 * Twelve kinds of fake credentials, different for each `seed`: AWS access key id and secret key,
 * GitHub token, Anthropic key, OpenAI key, Slack token, npm token, a private key block, basic auth
 * in a URL, a postgres URL with its password, a JWT, and a `password=` assignment.
 */
export function fakeCredentials(seed = 1): FakeCredential[] {
  const s = (n: number) => seed * 100 + n;
  const awsId = join("AK", "IA", fakeChars(16, s(1), UPPER + "234567"));
  const awsSecret = fakeChars(40, s(2), ALNUM + "/+");
  const github = join("gh", "p_", fakeChars(36, s(3)));
  const anthropic = join("sk-", "ant-", "api03-", fakeChars(93, s(4), ALNUM + "-_"), "AA");
  const openai = join("sk-", "proj-", fakeChars(58, s(5)), "T3Blbk", "FJ", fakeChars(58, s(6)));
  const slack = join("xo", "xb-", fakeChars(11, s(7), DIGITS), "-", fakeChars(13, s(8), DIGITS), "-", fakeChars(24, s(9)));
  const npm = join("np", "m_", fakeChars(36, s(10)));
  const keyBody = join("MI", "IEow", "IBAAKCAQEA", fakeChars(200, s(11), ALNUM + "+/"));
  const dash = "-----";
  const privateKey = join(dash, "BEGIN RSA PRIV", "ATE KEY", dash, "\n", keyBody.slice(0, 64), "\n", keyBody.slice(64, 128), "\n", keyBody.slice(128), "\n", dash, "END RSA PRIV", "ATE KEY", dash);
  const basicPassword = join("Dp", fakeChars(14, s(12)), "9x");
  const pgPassword = join("Pg", fakeChars(16, s(13)), "7q");
  const jwt = join("ey", "J", b64url(`{"alg":"HS256","typ":"JWT","kid":"${fakeChars(6, s(14))}"}`), ".", "ey", "J", b64url(`{"sub":"${fakeChars(10, s(15))}","role":"admin"}`), ".", fakeChars(43, s(16), ALNUM + "-_"));
  const password = join("Hx", fakeChars(12, s(17)), "!4");
  return [
    { kind: "aws-access-key", secret: awsId, line: `export AWS_ACCESS_KEY_ID=${awsId}` },
    { kind: "aws-secret-key", secret: awsSecret, line: `aws_secret_access_key = ${awsSecret}` },
    { kind: "github-token", secret: github, line: `git push https://${github}@github.com/acme/app.git main` },
    { kind: "anthropic-key", secret: anthropic, line: `export ANTHROPIC_API_KEY=${anthropic}` },
    { kind: "openai-key", secret: openai, line: `OPENAI_API_KEY=${openai} node scripts/eval.js` },
    { kind: "slack-token", secret: slack, line: `curl -H "Authorization: Bearer ${slack}" https://slack.com/api/chat.postMessage` },
    { kind: "npm-token", secret: npm, line: `echo "//registry.npmjs.org/:_authToken=${npm}" > .npmrc` },
    { kind: "private-key", secret: keyBody.slice(0, 64), line: privateKey },
    { kind: "basic-auth", secret: basicPassword, line: `curl https://deploy:${basicPassword}@ci.example.com/hooks/release` },
    { kind: "database-url", secret: pgPassword, line: `psql postgres://app:${pgPassword}@db.internal:5432/app -c 'select 1'` },
    { kind: "jwt", secret: jwt, line: `curl -H "Authorization: Bearer ${jwt}" http://localhost:8080/api/me` },
    { kind: "password-assignment", secret: password, line: `mysql --user=root password=${password} -h 127.0.0.1` },
  ];
}

function b64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url").replace(/^eyJ/, "");
}
