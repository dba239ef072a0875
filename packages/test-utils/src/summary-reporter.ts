import type { Reporter, TestModule } from "vitest/node";

/**
 * Ends a run with one plain line, `N passed, N failed, N skipped`, which any CI log reader
 * understands without knowing vitest's own summary format.
 */
export default class SummaryReporter implements Reporter {
  private line: string | undefined;

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    // Printed at exit so it is the very last line, after vitest's own summary.
    if (this.line === undefined) process.once("exit", () => process.stdout.write(`\n${this.line}\n`));
    this.line = `${passed} passed, ${failed} failed, ${skipped} skipped`;
  }
}
