import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, readFile, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { initMemory, listMarkdownFiles } from "@reverie/core";
import type { DreamRecord, QuotedTurn } from "@reverie/dream";
import { tempDir } from "@reverie/test-utils";
import { BIN, git, reverieAsync as reverie } from "./support.js";

const SAMPLE = fileURLToPath(new URL("../../../examples/quickstart/sample/", import.meta.url));
/** Debian's chromium (CI installs it with apt-get); never a downloaded browser. */
const CHROMIUM = [process.env.REVERIE_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p): p is string => !!p && existsSync(p));
/** Set to a path to write the README's screenshot of the page there. */
const SCREENSHOT = process.env.REVERIE_SCREENSHOT;

let dir: string;
let record: DreamRecord;

/** A memory seeded with the bundled sample and an offline dream over its sessions, as `pnpm demo` makes. */
async function sampleDream(): Promise<{ dir: string; record: DreamRecord }> {
  const at = join(await tempDir(), "memory");
  const memory = await initMemory(at);
  for (const path of await listMarkdownFiles(join(SAMPLE, "memory"))) {
    await memory.write(path, await readFile(join(SAMPLE, "memory", path), "utf8"), { stamp: false });
  }
  const run = await reverie(["dream", "--sessions", join(SAMPLE, "sessions"), "--dir", at, "--json"]);
  expect(run.code).toBe(0);
  return { dir: at, record: JSON.parse(run.stdout) as DreamRecord };
}

const opIndex = (kind: string) => record.operations.find((op) => op.kind === kind)!.index;

/** `reverie dream review` running in its own process, once it has printed its address. */
async function startReview(memoryDir: string, id: string): Promise<{ url: string; done: Promise<{ code: number | null; stdout: string; stderr: string }>; stop(): void }> {
  const child = spawn(process.execPath, [BIN, "dream", "review", id, "--no-open", "--dir", memoryDir], { env: { ...process.env, REVERIE_DIR: "" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (d) => {
      stderr += d;
      const found = /at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(stderr);
      if (found) resolve(found[1]!);
    });
    child.on("close", () => reject(new Error(`dream review exited before serving: ${stderr}`)));
  });
  return { url, done, stop: () => child.kill("SIGINT") };
}

/** One HTTP request with a chosen Host header (fetch cannot set it). */
function raw(url: string, options: { method?: string; host?: string; token?: string; body?: string }): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: options.method ?? "GET", headers: { ...(options.host ? { host: options.host } : {}), ...(options.token ? { "x-reverie-token": options.token } : {}) } },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

// One dream for the file (the machine may be slow); each test gets its own copy of the memory.
let pristine: string;
beforeAll(async () => {
  ({ dir: pristine, record } = await sampleDream());
}, 120_000);
beforeEach(async () => {
  dir = join(await tempDir(), "memory");
  await cp(pristine, dir, { recursive: true });
});

describe("reverie dream show --evidence, dream list, and the hints", { timeout: 120_000 }, () => {
  it("quotes each cited turn under its operation, with date and source file, also in --json", async () => {
    const json = await reverie(["dream", "show", record.id, "--evidence", "--json", "--dir", dir]);
    expect(json.code).toBe(0);
    const ops = (JSON.parse(json.stdout) as { operations: Array<{ index: number; evidence: unknown[]; quotes: QuotedTurn[] }> }).operations;
    for (const op of ops) expect(op.quotes.map((q) => `${q.session}#${q.turn}`)).toEqual((op.evidence as Array<{ session: string; turn: number }>).map((e) => `${e.session}#${e.turn}`));
    const stale = ops[opIndex("stale") - 1]!.quotes;
    expect(stale).toEqual([
      {
        session: "ses_f14716cd21db8b8415d9be2c",
        turn: 10,
        at: "2026-11-14T10:10:00.000Z",
        source: join(SAMPLE, "sessions", "2026-11-14-port-change.jsonl"),
        stored: join(dir, ".reverie", "sessions", "ses_f14716cd21db8b8415d9be2c.jsonl"),
        lines: [{ label: "user", text: "From now on the API server uses port 9090, not 8080. I changed it in config.ts." }],
      },
    ]);
    // The failing command with its error, then the command that fixed it with its output.
    const pattern = ops[opIndex("pattern") - 1]!.quotes;
    expect(pattern.slice(0, 2).map((q) => q.lines)).toEqual([
      [
        { label: "ran", text: "pnpm test" },
        { label: "error", text: "Error: Cannot find module 'zod'\nRequire stack:\n- /home/dev/acme-api/src/config.ts\n…" },
      ],
      [
        { label: "ran", text: "pnpm install" },
        { label: "output", text: "Packages: +312\nDone in 4.1s" },
      ],
    ]);

    // Without an id: the newest dream, here the only one.
    const human = await reverie(["dream", "show", "--evidence", "--dir", dir]);
    expect(human.stdout).toContain(
      [
        "       evidence:",
        `         ses_f14716cd21db8b8415d9be2c#10  (2026-11-14 10:10 UTC, ${join(SAMPLE, "sessions", "2026-11-14-port-change.jsonl")})`,
        "           user:     From now on the API server uses port 9090, not 8080. I changed it in config.ts.",
      ].join("\n"),
    );
    expect(human.stdout).toContain(`  next: reverie dream review ${record.id} --dir ${dir}   |   reverie dream diff ${record.id} --dir ${dir}`);
  });

  it("lists each dream with its operations by kind, gates, cost and age; show without an id in an empty memory says how to start", async () => {
    const list = await reverie(["dream", "list", "--dir", dir]);
    expect(list.stdout).toMatch(new RegExp(`^${record.id}  completed  +\\d+[sm] ago  offline    gates ok            -   1 dedup, 1 stale, 1 pattern, 3 verify, 1 learn\\n$`));
    const empty = join(await tempDir(), "memory");
    await initMemory(empty);
    expect(await reverie(["dream", "show", "--dir", empty])).toMatchObject({ code: 1, stderr: `reverie: No dreams yet in ${empty}. Start one with: reverie dream --dir ${empty} --sessions <transcripts>\n` });
  });

  it("refuses every request without the token, or naming another host, and stops on Ctrl-C having changed nothing", async () => {
    const review = await startReview(dir, record.id);
    const token = new URL(review.url).searchParams.get("token")!;
    const origin = new URL(review.url).origin;
    expect((await fetch(`${origin}/`)).status).toBe(403);
    expect((await fetch(`${origin}/?token=${token.slice(1)}x`)).status).toBe(403);
    expect((await fetch(`${origin}/adopt`, { method: "POST", body: "{}" })).status).toBe(403);
    expect((await fetch(`${origin}/adopt?token=${token}`, { method: "POST", body: "{}" })).status).toBe(403);
    expect(await raw(review.url, { host: `evil.example:${new URL(review.url).port}` })).toBe(403);
    expect(await raw(`${origin}/discard`, { method: "POST", host: "rebound.example", token })).toBe(403);
    expect(await raw(review.url, {})).toBe(200);
    review.stop();
    expect(await review.done).toMatchObject({ code: 0, stdout: `stopped reviewing ${record.id}; nothing was changed\n` });
    const after = JSON.parse((await reverie(["dream", "show", record.id, "--json", "--dir", dir])).stdout) as DreamRecord;
    expect(after).toMatchObject({ adopted: null, archived_at: null, outputs: { branch: `dream/${record.id}` } });

    // Discard, as the page's button sends it: the same path as `dream discard`, then the server stops.
    const again = await startReview(dir, record.id);
    const discarded = await fetch(`${new URL(again.url).origin}/discard`, { method: "POST", headers: { "x-reverie-token": new URL(again.url).searchParams.get("token")! }, body: "{}" });
    expect(await discarded.json()).toMatchObject({ message: `discarded ${record.id}: branch deleted, the memory is unchanged`, record: { outputs: { branch: null } } });
    expect(await again.done).toMatchObject({ code: 0, stdout: `discarded ${record.id}: branch deleted, the memory is unchanged\n` });
    expect(git(dir, "branch", "--list", "dream/*")).toBe("");
  });
});

describe.skipIf(!CHROMIUM)(`dream review in headless Chromium${CHROMIUM ? "" : " (skipped: no /usr/bin/chromium; apt-get install chromium)"}`, { timeout: 120_000 }, () => {
  let browser: BrowserContext;
  beforeAll(async () => {
    browser = await chromium.launchPersistentContext(await tempDir(), {
      executablePath: CHROMIUM!,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1200, height: 900 },
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** Every card's number, kind, reason and cited turns with their quoted lines, as the page shows them. */
  async function cards(page: Page): Promise<Array<{ index: number; kind: string; reason: string; refs: string[]; quoted: string[] }>> {
    return page.$$eval(".op", (nodes) =>
      nodes.map((n) => ({
        index: Number(n.getAttribute("data-index")),
        kind: n.getAttribute("data-kind")!,
        reason: n.querySelector(".reason")!.textContent!,
        refs: [...n.querySelectorAll(".quote")].map((q) => q.getAttribute("data-ref")!),
        quoted: [...n.querySelectorAll(".quote .line pre")].map((p) => p.textContent!),
      })),
    );
  }

  function expectEveryOperation(shown: Awaited<ReturnType<typeof cards>>): void {
    expect(shown.map(({ index, kind, reason, refs }) => ({ index, kind, reason, refs }))).toEqual(
      record.operations.map((op) => ({ index: op.index, kind: op.kind, reason: op.reason, refs: op.evidence.map((e) => `${e.session}#${e.turn}`) })),
    );
    for (const card of shown) expect(card.quoted.length).toBeGreaterThanOrEqual(card.refs.length);
    expect(shown[opIndex("stale") - 1]!.quoted).toEqual(["From now on the API server uses port 9090, not 8080. I changed it in config.ts."]);
    expect(shown[opIndex("pattern") - 1]!.quoted.slice(0, 4)).toEqual(["pnpm test", "Error: Cannot find module 'zod'\nRequire stack:\n- /home/dev/acme-api/src/config.ts\n…", "pnpm install", "Packages: +312\nDone in 4.1s"]);
  }

  it("shows every operation with its diff and quoted evidence; skip one with the keyboard, Enter adopts: the history equals adopt --skip of it", async () => {
    const twin = join(await tempDir(), "memory");
    await cp(dir, twin, { recursive: true });
    const review = await startReview(dir, record.id);
    const page = await browser.newPage();
    try {
      await page.goto(review.url);
      expectEveryOperation(await cards(page));
      expect(await page.locator(`#op-${opIndex("stale")} .d2h-file-wrapper`).innerText()).toContain("The API server listens on port 9090.");
      expect(await page.locator("header").innerText()).toContain("pass loss_cap retires 1 of 6 memories (16.7%; cap 25%, so at most 1)");

      const stale = opIndex("stale");
      for (let i = 1; i < stale; i++) await page.keyboard.press("j");
      await page.keyboard.press("s");
      expect(await page.locator(`#op-${stale}`).getAttribute("data-state")).toBe("skip");
      expect(await page.locator("#command").innerText()).toBe(`reverie dream adopt ${record.id} --dir ${dir} --skip ${stale}`);
      expect(await page.locator("#adopt").innerText()).toBe(`Adopt ${record.operations.length - 1} of ${record.operations.length} operation(s)`);
      if (SCREENSHOT) {
        await page.setViewportSize({ width: 1200, height: 1200 });
        await page.evaluate(`document.getElementById("op-${opIndex("pattern")}").scrollIntoView()`);
        await page.screenshot({ path: SCREENSHOT });
      }
      await page.keyboard.press("Enter");
      await page.locator("#outcome.ok").waitFor();
      const outcome = await page.locator("#outcome").innerText();
      expect(outcome).toMatch(new RegExp(`^adopted ${record.id}: 6 operation\\(s\\) \\(skipped ${stale}\\) merged in commit [0-9a-f]{7}\\nThe review server has stopped`));
      expect(await review.done).toMatchObject({ code: 0, stdout: `${outcome.split("\n")[0]}\n` });
    } finally {
      await page.close();
    }
    expect(await reverie(["dream", "adopt", record.id, "--skip", String(opIndex("stale")), "--dir", twin])).toMatchObject({ code: 0 });
    const history = (memory: string) => git(memory, "log", "--format=%T %P%n%s%n%b", "main").replace(/[0-9a-f]{40}/g, (sha) => git(memory, "rev-parse", `${sha}^{tree}`).trim());
    expect(history(dir)).toBe(history(twin));
    expect(git(dir, "status", "--porcelain")).toBe("");
    const adopted = (memory: string) => reverie(["dream", "show", record.id, "--json", "--dir", memory]).then((r) => (JSON.parse(r.stdout) as DreamRecord).adopted!.skipped);
    expect(await adopted(dir)).toEqual(await adopted(twin));
  });

  it("shows a conflicting adopt's message and what to do, and adopts once the conflicting operation is skipped", async () => {
    await writeFile(join(dir, "..", "port.md"), "---\ntitle: API server port\ntype: fact\nkey: api.port\n---\nThe API server listens on port 7070.\n");
    expect(await reverie(["write", "infra/api-port.md", "--raw", "--file", join(dir, "..", "port.md"), "--dir", dir])).toMatchObject({ code: 0 });
    const review = await startReview(dir, record.id);
    const page = await browser.newPage();
    const stale = opIndex("stale");
    try {
      await page.goto(review.url);
      await page.locator("#adopt").click();
      await page.locator("#outcome.error").waitFor();
      expect(await page.locator("#outcome").innerText()).toBe(
        `Dream ${record.id} conflicts with changes made to the memory since it ran (in infra/api-port.md): operation(s) ${stale} (stale). Nothing was changed. Adopt without them (--skip ${stale}) or run a new dream.`,
      );
      expect(await page.locator(`#op-${stale}`).getAttribute("class")).toContain("conflict");
      await page.locator(`#op-${stale} .skip`).click();
      await page.locator("#adopt").click();
      await page.locator("#outcome.ok").waitFor();
      expect(await review.done).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^adopted ${record.id}: 6 operation\\(s\\) \\(skipped ${stale}\\)`)) });
    } finally {
      await page.close();
    }
    expect(await readFile(join(dir, "infra/api-port.md"), "utf8")).toContain("port 7070");
  });

  it("exports one static read-only file that opens from a file URL with no network and shows the same operations", async () => {
    const out = join(await tempDir(), "review.html");
    expect(await reverie(["dream", "review", record.id, "--out", out, "--dir", dir])).toMatchObject({ code: 0, stdout: `wrote the review of ${record.id} to ${out} (read-only; opens with no network)\n` });
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    await browser.setOffline(true);
    try {
      await page.goto(pathToFileURL(out).href);
      expectEveryOperation(await cards(page));
      expect(await page.locator("button").count()).toBe(0);
      expect(await page.locator("footer").innerText()).toBe(`Read-only copy. Adopt with: reverie dream adopt ${record.id} --dir ${dir} [--skip N], or review it live with: reverie dream review ${record.id} --dir ${dir}`);
      await page.keyboard.press("j");
      expect(await page.locator(".op.current").getAttribute("data-index")).toBe("2");
    } finally {
      await browser.setOffline(false);
      await page.close();
    }
    expect(requested).toEqual([pathToFileURL(out).href]);
  });
});
