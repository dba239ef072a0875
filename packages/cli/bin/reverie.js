#!/usr/bin/env node
const argv = process.argv.slice(2);

// `--help` goes to the CLI, which documents the hook's options.
if (argv[0] === "claude-code" && argv[1] === "hook" && !argv.includes("--help") && !argv.includes("-h")) {
  // Claude Code waits on this hook: it starts without loading the CLI (see claude-code-hook.ts).
  const { hookMain } = await import("../dist/claude-code-hook.js");
  process.exitCode = await hookMain(argv.slice(2), { env: process.env, stdin: process.stdin, stderr: process.stderr });
} else {
  const { main } = await import("../dist/main.js");
  process.exitCode = await main(argv);
}
