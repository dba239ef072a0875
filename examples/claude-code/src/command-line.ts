import { parseArgs } from "node:util";

/**
 * Parses a script's `--name <value>` options the way the `reverie` CLI does: `--help` prints
 * `usage` and exits 0; an unknown option, a stray argument or a missing value prints what was
 * wrong and the usage, exit 1 — never Node's `ERR_PARSE_ARGS_*` stack.
 */
export function parseCommandLine<K extends string>(
  script: string,
  usage: string,
  options: Record<K, { default?: string }>,
  argv: string[] = process.argv.slice(2),
): Partial<Record<K, string>> {
  const config = Object.fromEntries(Object.entries<{ default?: string }>(options).map(([name, o]) => [name, { type: "string" as const, ...o }]));
  try {
    const { values } = parseArgs({ args: argv, options: { ...config, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false });
    if (values.help === true) {
      console.log(usage);
      process.exit(0);
    }
    return values as Partial<Record<K, string>>;
  } catch (error) {
    // parseArgs' messages name the option and what it expected; only its stack and code are noise.
    console.error(`${script}: ${(error as Error).message}\n\n${usage}`);
    process.exit(1);
  }
}
