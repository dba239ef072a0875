import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Command, CommanderError, Help, Option } from "commander";
import { explainOsError, isReverieError, ReverieError } from "@reverie/core";
import { DEFAULT_DIR, type CommandContext } from "./context.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";

export interface MainIo {
  env?: NodeJS.ProcessEnv;
  stdin?: CommandContext["stdin"];
  stdout?: CommandContext["stdout"];
  stderr?: CommandContext["stderr"];
}

/** The version of this installation, from the CLI package's own package.json. */
function cliVersion(): string {
  return (createRequire(import.meta.url)("../package.json") as { version: string }).version;
}

type Handler = (ctx: CommandContext, ...args: never[]) => Promise<number | void>;

/**
 * The `reverie` command line. Returns the exit code instead of exiting, so the binary is the
 * only place that ends the process and tests can run it in-process.
 */
export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const stdin = io.stdin ?? process.stdin;
  let exitCode: number = EXIT.ok;

  const program = new Command("reverie")
    .description("A local-first memory for AI agents: Markdown in git, consolidated by dreams you review.")
    .addOption(new Option("--dir <folder>", "memory folder (default: $REVERIE_DIR, else ./memory); claude-code: this project's Claude Code auto memory"))
    .option("--json", "machine-readable output")
    .version(cliVersion(), "-V, --version", "print reverie's version")
    .showSuggestionAfterError()
    // Sub-commands inherit this (it is set before any is added): their help lists --dir and --json too.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
    });

  /** Registers a command whose implementation is loaded only when it runs, so `reverie read` starts fast. */
  const lazy = (load: () => Promise<{ run: Handler }>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals<{ dir?: string; json?: boolean; agent?: string }>();
      const agent = globals.agent ?? env.REVERIE_AGENT;
      let dir = globals.dir ?? env.REVERIE_DIR ?? DEFAULT_DIR;
      // `--dir claude-code`: the current project's Claude Code auto memory folder.
      if (dir === "claude-code") dir = await (await import("./claude-code-paths.js")).claudeCodeMemoryFolder(env, process.cwd());
      const ctx: CommandContext = {
        dir,
        json: globals.json === true,
        ...(agent ? { agent } : {}),
        env,
        stdin,
        stdout,
        stderr,
      };
      // doctor reports what a crash left (and --fix repairs it), so it must see it first; the
      // MCP server recovers by itself when it starts (and says so as "reverie mcp:").
      if (!["init", "doctor", "mcp", "setup"].includes(command.name())) await recoverFirst(ctx);
      const { run } = await load();
      const code = await (run as (ctx: CommandContext, ...rest: unknown[]) => Promise<number | void>)(ctx, ...args.slice(0, -1));
      exitCode = code ?? EXIT.ok;
    };

  program
    .command("init")
    .description("create a memory folder, or adopt an existing one in place (its files committed as they are): git repository, configuration, first commit")
    .argument("[dir]", "the folder (default: --dir)")
    .option("--claude-code [project]", "adopt the Claude Code auto memory folder of this project (default: the current folder): <config>/projects/<encoded path>/memory, <config> = $CLAUDE_CONFIG_DIR or ~/.claude")
    .action(lazy(() => import("./commands/init.js")));

  program
    .command("read")
    .description("print a memory file (--json: path, sha256, front-matter, body)")
    .argument("<path>", "memory path, e.g. prefs/pm.md")
    .action(lazy(() => import("./commands/read.js")));

  program
    .command("write")
    .description("write a memory from stdin or --file; one attributed commit")
    .argument("<path>", "memory path, e.g. prefs/pm.md")
    .option("--file <file>", "read the content from this file instead of stdin")
    .option("--expect-hash <sha256>", "only write if the file's current sha256 is this (use 'none' for: must not exist)")
    .option("--agent <name>", "who is writing (default: $REVERIE_AGENT)")
    .option("--session <id>", "the session this came from, e.g. ses_1")
    .option("--raw", "write the bytes exactly, without adding id/created/updated/sources")
    .option("--force-parse", "replace the file even if its current front-matter is broken (keeps its id when readable)")
    .option("--allow-empty", "write a memory with no text after its front-matter")
    .option("--allow-secrets", "write even if the content or path holds a credential (refused by default: memories are committed and pushed)")
    .action(lazy(() => import("./commands/write.js")));

  program
    .command("rm")
    .description("delete a memory, or with -r every memory in a folder; one attributed commit")
    .argument("<path>", "memory path, or a folder with -r")
    .option("-r, --recursive", "delete every memory under the folder <path>")
    .option("--expect-hash <sha256>", "only delete if the file's current sha256 is this")
    .option("--agent <name>", "who is deleting (default: $REVERIE_AGENT)")
    .option("--session <id>", "the session this came from")
    .action(lazy(() => import("./commands/rm.js")));

  program
    .command("mv")
    .description("rename or move a memory or a folder of memories; one attributed commit")
    .argument("<from>", "current memory path or folder")
    .argument("<to>", "new memory path or folder")
    .option("--expect-hash <sha256>", "only move if the file's current sha256 is this")
    .option("--agent <name>", "who is moving it (default: $REVERIE_AGENT)")
    .option("--session <id>", "the session this came from")
    .option("--allow-secrets", "move even if the new path holds a credential")
    .action(lazy(() => import("./commands/mv.js")));

  program
    .command("ls")
    .description("list memories (path, title)")
    .argument("[prefix]", "only paths under this folder")
    .action(lazy(() => import("./commands/ls.js")));

  program
    .command("log")
    .description("history from git: who wrote what, when, in which session")
    .argument("[path]", "one memory's history (follows renames)")
    .option("-n, --limit <n>", "at most this many commits")
    .action(lazy(() => import("./commands/log.js")));

  program
    .command("search")
    .description("full-text search over path, title, tags, key and body")
    .argument("<query...>", "words to find")
    .option("-n, --limit <n>", "at most this many hits", "10")
    .action(lazy(() => import("./commands/search.js")));

  program
    .command("doctor")
    .description("check every file, the index and the repository (locks, interrupted rebases or merges, temps, staged leftovers); exit 1 if anything is wrong")
    .option("--fix", "repair what is safe: remove stale git locks and temp files, finish interrupted operations, commit staged leftovers")
    .action(lazy(() => import("./commands/doctor.js")));

  program
    .command("import")
    .description("import agent transcripts into .reverie/sessions (Claude Code, Anthropic, OpenAI, Gemini CLI, reverie)")
    .argument("<files...>", "transcript files or folders (searched recursively)")
    .addOption(
      new Option("--format <format>", "the transcripts' format").choices(["auto", "claude-code", "claude-code-text", "anthropic", "openai", "gemini-cli", "reverie"]).default("auto"),
    )
    .option("--strict", "fail on the first malformed line instead of skipping and reporting it")
    .action(lazy(() => import("./commands/import.js")));

  program
    .command("sync")
    .description("share the memory through its git remote: fetch, rebase (or merge), push; exit 2 on a conflict")
    .option("--remote <name>", "the remote (default: the branch's upstream, else origin)")
    .option("--merge", "merge the remote's commits instead of rebasing onto them")
    .option("--push-dreams [ids...]", "also push dream branches (all, or these ids) for review as pull requests")
    .option("--agent <name>", "who commits edits made by hand in the folder (default: $REVERIE_AGENT, else your git identity)")
    .action(lazy(() => import("./commands/sync.js")));

  program
    .command("watch")
    .description("keep the search index current while the folder is edited; optionally dream as new sessions appear")
    .option("--sessions <dir>", "a folder where agent transcripts appear, e.g. ~/.claude/projects/<project>; claude-code: this folder's Claude Code transcripts")
    .option("--dream-after <n>", "start a dream once this many new sessions have appeared in --sessions")
    .option("--save-every-ms <ms>", "save the index at most this long after a change (default 2000)")
    .option("--poll-ms <ms>", "how often to look for new sessions (default 1000)")
    .action(lazy(() => import("./commands/watch.js")));

  program
    .command("mcp")
    .description("serve the memory to an MCP client over stdio (Claude Code, Claude Desktop, …)")
    .option("--session <id>", "record this session id on every write")
    .action(lazy(() => import("./commands/mcp.js")));

  program
    .command("setup")
    .description("set up a new machine: the memory folder (made, or adopted in place), Claude Code's hooks and MCP server, automatic dreams; asks on a terminal, else (or with --yes) takes the flags")
    .option("--memory <dir>", "the memory folder, or claude-code for the project's Claude Code auto memory (default: claude-code; with --user: $REVERIE_DIR, else ~/memory)")
    .option("--project <dir>", "the project to wire into Claude Code (default: the current folder)")
    .option("--user", "wire every project (the user's Claude Code settings) instead of one")
    .option("--dream-after <n>", "start a dream after this many new sessions; 0: never by itself (default: 5)")
    .option("-y, --yes", "ask nothing: take the flags and the defaults")
    .action(lazy(() => import("./commands/setup.js")));

  const claudeCode = program.command("claude-code").description("wire a memory into Claude Code: transcripts imported as sessions end, the MCP server, dreams");
  const claudeCodeTargets = (command: Command) =>
    command
      .option("--project <dir>", "the project whose .claude/settings.json and .mcp.json to change (default: the current folder)")
      .option("--user", "change the user's ~/.claude/settings.json and ~/.claude.json instead, for every project");
  claudeCodeTargets(
    claudeCode
      .command("install")
      .description("add hooks (SessionEnd, PreCompact) that import each session into the memory, and the MCP server; merged with what is there, idempotent")
      .option("--memory <dir>", "the memory folder (default: --dir)")
      .option("--dream-after <n>", "start a dream in the background after this many new sessions"),
  ).action(lazy(async () => ({ run: (await import("./commands/claude-code.js")).runInstall as Handler })));
  claudeCodeTargets(claudeCode.command("uninstall").description("remove exactly what install added: the files' original bytes when untouched since")).action(
    lazy(async () => ({ run: (await import("./commands/claude-code.js")).runUninstall as Handler })),
  );
  claudeCode
    .command("hook")
    .description("what the hooks run: reads Claude Code's hook JSON on stdin, imports the transcript; always exits 0 at once, logs to <memory>/.reverie/claude-code/hook.log")
    .option("--memory <dir>", "the memory folder (default: --dir)")
    .option("--dream-after <n>", "start a dream after this many new sessions")
    .option("--worker <job>", "(internal) the detached worker's job file")
    .action(async (_opts: unknown, command: Command) => {
      // Usually the bin runs the hook without loading this CLI; this is `reverie --dir … claude-code hook`.
      const { hookMain } = await import("./claude-code-hook.js");
      const o = command.optsWithGlobals<{ dir?: string; memory?: string; dreamAfter?: string; worker?: string }>();
      const memory = o.memory ?? o.dir;
      const argv = [...(memory ? ["--memory", memory] : []), ...(o.dreamAfter ? ["--dream-after", o.dreamAfter] : []), ...(o.worker ? ["--worker", o.worker] : [])];
      exitCode = await hookMain(argv, { env, stdin, stderr });
    });

  const dreamCommand = program.command("dream").description("consolidate the memory into a reviewable branch dream/<id>, and review it");
  const runDream = dreamCommand
    .command("run", { isDefault: true })
    .description("run a dream (the default: `reverie dream --sessions …`)")
    .option("--sessions <items...>", "transcript files, folders (recursive) or imported session ids (default: every imported session); claude-code: this folder's Claude Code transcripts")
    .addOption(new Option("--provider <name>", "who consolidates (default: the memory's config, else offline)").choices(["offline", "anthropic"]))
    .option("--model <model>", "model for --provider anthropic, e.g. claude-sonnet-4-6")
    .option("--instructions <file>", "what to focus on or leave alone (at most 4,096 characters)")
    .option("--budget-usd <usd>", "stop before spending more than this on the model")
    .option("--auto-adopt", "adopt right away if every gate passes")
    .option("--base-url <url>", "Anthropic-compatible endpoint (default: $ANTHROPIC_BASE_URL)")
    .option("--batch-api", "use Message Batches (half price, slower)")
    .option("--resume <id>", "continue a failed or canceled dream without paying again for finished model requests")
    // Words after `dream` that name no sub-command reach the default `run`: report them as the
    // unknown sub-command they are (with commander's "Did you mean …?"), not as excess arguments.
    .allowExcessArguments()
    .hook("preAction", () => {
      const [word] = runDream.args;
      if (word === undefined) return;
      if (dreamCommand.args[0] !== "run") (dreamCommand as unknown as { unknownCommand(): never }).unknownCommand();
      runDream.error(`error: 'dream run' takes no arguments, got '${word}'; pass transcripts or session ids with --sessions ${word}`, { code: "commander.excessArguments" });
    })
    .action(lazy(() => import("./commands/dream.js")));
  // `reverie dream --sessions …` is `dream run`, so `dream --help` lists run's options as its own.
  dreamCommand.configureHelp({
    showGlobalOptions: true,
    visibleOptions(this: Help, command: Command) {
      return [...runDream.options.filter((option) => !option.hidden), ...Help.prototype.visibleOptions.call(this, command)];
    },
  });
  dreamCommand.command("list").description("every dream, newest first").action(lazy(() => import("./commands/dream-list.js")));
  dreamCommand
    .command("show")
    .description("a dream's operations with reasons and evidence, its gates and usage")
    .argument("[id]", "dream id, e.g. drm_01JD… (default: the newest)")
    .option("--evidence", "quote each cited turn: the user's words, the command and its error or output, with date and source file")
    .action(lazy(() => import("./commands/dream-show.js")));
  dreamCommand
    .command("review")
    .description("review a dream in the browser: diffs, quoted evidence, accept or skip each operation, adopt or discard")
    .argument("[id]", "dream id (default: the newest)")
    .option("--port <port>", "serve on this port of 127.0.0.1 (default: a free one)")
    .option("--no-open", "print the address without opening a browser")
    .option("--out <file>", "write the page as one self-contained read-only HTML file instead of serving it")
    .action(lazy(() => import("./commands/dream-review.js")));
  dreamCommand
    .command("diff")
    .description("what the dream changes, as a git diff against its base")
    .argument("<id>", "dream id")
    .option("--stat", "only the files and line counts")
    .action(lazy(() => import("./commands/dream-diff.js")));
  dreamCommand
    .command("adopt")
    .description("merge the dream into the memory branch")
    .argument("<id>", "dream id")
    .option("--skip <n...>", "leave out operation N (as numbered by dream show); repeatable")
    .option("--force", "adopt even though a blocking gate (loss_cap, evidence, injection) failed")
    .action(lazy(() => import("./commands/dream-adopt.js")));
  dreamCommand.command("discard").description("delete the dream's branch; what was adopted stays, nothing else changes").argument("<id>", "dream id").action(lazy(() => import("./commands/dream-discard.js")));
  dreamCommand.command("cancel").description("stop a running dream (from any process)").argument("<id>", "dream id").action(lazy(() => import("./commands/dream-cancel.js")));

  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.ok;
  }

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message (unknown option, missing argument, --help).
      if (error.exitCode === 0) return EXIT.ok;
      stderr.write("Run 'reverie --help' for usage.\n");
      // Scripts reading --json get the usage error on stdout like every other error.
      if (argv.includes("--json")) {
        const usage = new ReverieError("INVALID_INPUT", `${error.message.replace(/^error: /, "")}. Run 'reverie --help' for usage.`, { usage: error.code });
        stdout.write(`${JSON.stringify({ error: usage.toJSON() }, null, 2)}\n`);
      }
      return EXIT.user;
    }
    return report(error, stderr, argv.includes("--json") ? stdout : null, env.REVERIE_DEBUG === "1");
  }
}

/**
 * Before any command touches the memory, repairs what a crash left (stale git locks, temps,
 * interrupted writes and adopts), one stderr line per repair. Nothing to repair costs a few
 * readdirs; a folder that is not a memory is left to the command to report.
 */
async function recoverFirst(ctx: CommandContext): Promise<void> {
  const { needsRecovery, recoverMemory } = await import("@reverie/core");
  if (!(await stat(join(ctx.dir, ".reverie")).catch(() => null))?.isDirectory()) return;
  if (!(await needsRecovery(ctx.dir))) return;
  const { journalHandlers } = await import("@reverie/dream");
  await recoverMemory(ctx.dir, { onNotice: (line) => ctx.stderr.write(`${line}\n`), handlers: journalHandlers });
}

function report(thrown: unknown, stderr: NodeJS.WritableStream, jsonOut: NodeJS.WritableStream | null, debug: boolean): number {
  // A disk that is full, read-only or not ours is the environment's failure, not a bug: say which.
  const error = explainOsError(thrown, "finish the command", "what it changed before the failure is kept; reverie doctor shows anything left half-done");
  const code = exitCodeFor(error);
  const known = isReverieError(error)
    ? error
    : new ReverieError("INTERNAL", `Unexpected error: ${error instanceof Error ? error.message : String(error)}. This is a bug in reverie; please report it with the command you ran.`, {
        name: error instanceof Error ? error.name : typeof error,
      });
  if (jsonOut) jsonOut.write(`${JSON.stringify({ error: known.toJSON() }, null, 2)}\n`);
  stderr.write(`reverie: ${known.message}\n`);
  // A stack trace helps only for bugs, and only someone debugging wants it.
  if (debug && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  else if (!isReverieError(error)) stderr.write("Set REVERIE_DEBUG=1 to see the stack trace.\n");
  return code;
}
