import type { Rng } from "./prng.js";
import type { SessionBuilder } from "./session-builder.js";

const AREAS = ["checkout", "catalog", "billing", "search", "profile", "orders", "reports", "settings", "inbox", "auth"] as const;
const FILES = ["handler", "service", "schema", "routes", "client", "store", "utils", "types", "mapper", "view"] as const;
const FEATURES = ["pagination", "sorting", "a retry on timeouts", "input validation", "an empty state", "caching", "a loading spinner", "rate limiting", "CSV export", "audit logging"] as const;
const WORDS = ["parses", "rejects", "merges", "sorts", "renders", "retries", "caches", "formats", "counts", "groups", "filters", "maps", "skips", "flags", "trims"] as const;
const OBJECTS = ["empty lists", "unicode names", "negative totals", "expired tokens", "duplicate ids", "null dates", "large pages", "nested tags", "zero prices", "long titles", "missing fields", "stale rows"] as const;

/**
 * Ordinary work that fills a session: reads, edits, greps, passing test runs and now and then
 * a one-off test failure fixed by an edit. One-off failures never repeat their wording, so
 * they are not patterns.
 */
export class Filler {
  private readonly usedFailures = new Set<string>();

  constructor(private readonly rng: Rng) {}

  /** A task request from the user, to open a session. */
  task(b: SessionBuilder): void {
    const area = this.rng.pick(AREAS);
    b.user(`Add ${this.rng.pick(FEATURES)} to the ${area} module and keep the tests green.`);
  }

  /** Writes about `events` events of ordinary work. */
  work(b: SessionBuilder, events: number): void {
    const end = b.lastTurn + events;
    while (b.lastTurn < end) {
      const area = this.rng.pick(AREAS);
      const file = `src/${area}/${this.rng.pick(FILES)}.ts`;
      const roll = this.rng.next();
      if (roll < 0.3) b.call("Read", { file_path: `/work/app/${file}` }, `export function ${area}${this.rng.int(1, 99)}() {\n  return null;\n}\n`);
      else if (roll < 0.5) b.call("Edit", { file_path: `/work/app/${file}`, old_string: "return null;", new_string: "return [];" }, `The file /work/app/${file} has been updated.`);
      else if (roll < 0.62) b.call("Grep", { pattern: `${area}Handler`, path: "src" }, `src/${area}/routes.ts:12`);
      else if (roll < 0.8) b.bash(`pnpm vitest run src/${area}`, ` Test Files  ${this.rng.int(1, 6)} passed\n      Tests  ${this.rng.int(5, 60)} passed`);
      else if (roll < 0.92) b.assistant(`Updated ${file}; running the ${area} tests next.`);
      else this.oneOffFailure(b, area);
    }
  }

  private oneOffFailure(b: SessionBuilder, area: string): void {
    let name = "";
    for (let i = 0; i < 20 && (name === "" || this.usedFailures.has(name)); i++) name = `${this.rng.pick(WORDS)} ${this.rng.pick(OBJECTS)}`;
    if (this.usedFailures.has(name)) {
      b.assistant(`The ${area} change looks complete.`);
      return;
    }
    this.usedFailures.add(name);
    const file = `src/${area}/${this.rng.pick(FILES)}`;
    b.bash(`pnpm vitest run src/${area}`, `FAIL ${file}.test.ts > ${area} > ${name}\nAssertionError: expected ${this.rng.int(0, 9)} to deeply equal ${this.rng.int(10, 99)}`, true);
    b.call("Edit", { file_path: `/work/app/${file}.ts`, old_string: "return null;", new_string: "return [];" }, `The file /work/app/${file}.ts has been updated.`);
    b.bash(`pnpm vitest run src/${area}`, ` Test Files  1 passed\n      Tests  ${this.rng.int(5, 60)} passed`);
  }
}
