import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { useHermeticGit } from "@reverie/test-utils";
import { renderSvgChart } from "./charts/svg-chart.js";
import { describeMachine } from "./report/machine.js";
import { renderMarkdown } from "./report/markdown.js";
import type { Row, Suite } from "./report/row.js";
import { costSuite } from "./suites/cost-suite.js";
import { crashSuite } from "./suites/crash-suite.js";
import { qualitySuite } from "./suites/quality-suite.js";
import { securitySuite } from "./suites/security-suite.js";
import { realDataSuite } from "./suites/real-data-suite.js";
import { searchSuite } from "./suites/search-suite.js";
import { speedSuite } from "./suites/speed-suite.js";
import type { Series, SuiteContext, SuiteResult } from "./suites/suite.js";
import { completeRows, suiteFailed } from "./suites/suite-failed.js";

const SUITES: ReadonlyArray<[Suite, (ctx: SuiteContext) => Promise<SuiteResult>]> = [
  // Speed first: the other suites create and delete thousands of files, and the disk's
  // background work after those deletions slowed every later timing (write p50 15 -> 35 ms).
  ["speed", speedSuite],
  // Right after speed, for the same reason: it times writes with and without fsync.
  ["crash", crashSuite],
  ["quality", qualitySuite],
  ["search", searchSuite],
  ["real-data", realDataSuite],
  ["cost", costSuite],
  ["security", securitySuite],
];

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = resolve(here, "..");
const repoDir = resolve(benchDir, "..");

/**
 * Where a run's figures go: `bench/out/` (ignored by git) unless `--record`, which writes the
 * tracked `bench/results/` — so trying the bench never rewrites files under version control.
 */
function outputDir(argv: readonly string[]): string {
  return join(benchDir, argv.includes("--record") ? "results" : "out");
}

async function main(argv: readonly string[]): Promise<void> {
  const quick = argv.includes("--quick");
  const only = argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
  const outDir = outputDir(argv);
  // Hermetic git: the user's hooks or signing must not slow or change what the bench measures.
  useHermeticGit();
  const started = performance.now();
  const root = await mkdtemp(join(tmpdir(), "reverie-bench-"));
  const rows: Row[] = [];
  const notes: Record<string, string[]> = {};
  const series: Series[] = [];
  try {
    for (const [name, run] of SUITES) {
      if (only && !only.includes(name)) continue;
      const workDir = join(root, name);
      await mkdir(workDir, { recursive: true });
      const ctx: SuiteContext = {
        quick,
        workDir,
        datasetsDir: resolve(repoDir, "..", "shared", "datasets"),
        log: (m) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${m}\n`),
      };
      ctx.log(`suite ${name}`);
      let result: SuiteResult;
      try {
        result = await run(ctx);
      } catch (error) {
        result = suiteFailed(name, error);
      }
      rows.push(...completeRows(name, result.rows));
      notes[name] = result.notes;
      series.push(...result.series);
    }
  } finally {
    // Removed only now, never between timings: on ext4 without a journal (this VM's disk), for
    // 60–300 s after a mass delete every file created in the same block group scans past each
    // recently deleted inode (ext4's recently_deleted()), which slowed writes and imports
    // measured after one suite's cleanup by up to 2×.
    await rm(root, { recursive: true, force: true });
  }
  await mkdir(outDir, { recursive: true });
  const charts: string[] = [];
  for (const chart of [...new Set(series.map((s) => s.chart))]) {
    const file = `${chart}.svg`;
    await writeFile(join(outDir, file), renderSvgChart(series.filter((s) => s.chart === chart)));
    charts.push(file);
  }
  const machine = describeMachine(repoDir);
  const seconds = (performance.now() - started) / 1000;
  await writeFile(join(outDir, "latest.json"), `${JSON.stringify(rows, null, 2)}\n`);
  await writeFile(join(outDir, "latest.md"), renderMarkdown(rows, machine, { quick, seconds, notes, charts }));
  const failed = rows.filter((r) => r.pass === false).length;
  const absent = rows.filter((r) => r.value === null).length;
  process.stdout.write(`${rows.length} figures (${failed} over budget, ${absent} missing) in ${seconds.toFixed(0)} s → ${relative(repoDir, join(outDir, "latest.md"))}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
