import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { ReverieError } from "@reverie/core";
import { print, type CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { positiveInt } from "./numbers.js";

export interface SetupFlags {
  memory?: string;
  project?: string;
  user?: boolean;
  dreamAfter?: string;
  yes?: boolean;
}

/** What setup does, once every question is answered. */
export interface SetupAnswers {
  /** The memory folder, or "claude-code" for the project's Claude Code auto memory folder. */
  memory: string;
  /** The project whose Claude Code settings get the hooks and MCP server; null: the user's settings, for every project. */
  project: string | null;
  /** Dream after this many new sessions; 0: never automatically. */
  dreamAfter: number;
}

/** One question of the interactive walkthrough, asked only when its flag was not given. */
export type SetupQuestion =
  | { key: "project"; kind: "select"; message: string; options: Array<{ value: string; label: string; hint?: string }>; initial: string }
  | { key: "memory"; kind: "select"; message: string; options: Array<{ value: string; label: string; hint?: string }>; initial: string }
  | { key: "dreamAfter"; kind: "text"; message: string; initial: string };

/** Sessions between automatic dreams when nothing says otherwise. */
export const DEFAULT_DREAM_AFTER = 5;
/** The `memory` answer for "the project's Claude Code auto memory folder". */
export const CLAUDE_CODE_MEMORY = "claude-code";

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME || homedir();
}

function parseDreamAfter(value: string, flag: string): number {
  return value.trim() === "0" ? 0 : positiveInt(value, flag);
}

/**
 * The answers the flags give, with defaults for the rest: the current folder's project; its
 * Claude Code auto memory as the memory (with --user, one memory for every project: $REVERIE_DIR,
 * else ~/memory); a dream after every 5 new sessions.
 */
export function setupDefaults(ctx: Pick<CommandContext, "env">, flags: SetupFlags, cwd: string): SetupAnswers {
  if (flags.user && flags.project !== undefined) throw new ReverieError("INVALID_INPUT", "--user and --project name different places: pass one of them.", {});
  const project = flags.user ? null : resolve(cwd, flags.project ?? ".");
  const memory = flags.memory !== undefined ? flags.memory : project === null ? ctx.env.REVERIE_DIR || join(home(ctx.env), "memory") : CLAUDE_CODE_MEMORY;
  if (memory === CLAUDE_CODE_MEMORY && project === null) {
    throw new ReverieError("INVALID_INPUT", "--memory claude-code is a project's own auto memory: give --project <dir> instead of --user, or a memory folder for every project (e.g. --memory ~/memory).", {});
  }
  const dreamAfter = flags.dreamAfter === undefined ? DEFAULT_DREAM_AFTER : parseDreamAfter(flags.dreamAfter, "--dream-after");
  return { memory: memory === CLAUDE_CODE_MEMORY ? memory : resolve(cwd, memory), project, dreamAfter };
}

/** The questions the walkthrough asks: those whose answer no flag gave, in order, each starting at its default. */
export function setupQuestions(ctx: Pick<CommandContext, "env">, flags: SetupFlags, defaults: SetupAnswers): SetupQuestion[] {
  const questions: SetupQuestion[] = [];
  if (flags.project === undefined && !flags.user) {
    questions.push({
      key: "project",
      kind: "select",
      message: "Which Claude Code sessions should reverie remember?",
      options: [
        { value: defaults.project ?? ".", label: `This project: ${defaults.project ?? "."}`, hint: "hooks and MCP server in its .claude/settings.json and .mcp.json" },
        { value: "", label: "Every project", hint: "in ~/.claude/settings.json and ~/.claude.json" },
      ],
      initial: defaults.project ?? ".",
    });
  }
  if (flags.memory === undefined) {
    const folder = ctx.env.REVERIE_DIR || join(home(ctx.env), "memory");
    questions.push({
      key: "memory",
      kind: "select",
      message: "Where should the memory live?",
      options: [
        { value: CLAUDE_CODE_MEMORY, label: "In the project's Claude Code auto memory", hint: "MEMORY.md, loaded at every session start, kept as the index by dreams" },
        { value: folder, label: `In a folder of its own: ${folder}`, hint: "one memory for every project" },
      ],
      initial: defaults.memory === CLAUDE_CODE_MEMORY ? CLAUDE_CODE_MEMORY : folder,
    });
  }
  if (flags.dreamAfter === undefined) {
    questions.push({ key: "dreamAfter", kind: "text", message: "Dream after how many new sessions? (0: only when you run reverie dream)", initial: String(defaults.dreamAfter) });
  }
  return questions;
}

/** Asks the questions with @clack/prompts on the terminal; null when the user cancels (Ctrl-C, Esc). */
async function ask(questions: readonly SetupQuestion[], defaults: SetupAnswers, cwd: string): Promise<SetupAnswers | null> {
  const clack = await import("@clack/prompts");
  clack.intro("reverie setup");
  const answers = { ...defaults };
  for (const q of questions) {
    if (q.kind === "select") {
      // "Every project" cannot keep its memory in one project's auto memory folder.
      const options = q.key === "memory" && answers.project === null ? q.options.filter((o) => o.value !== CLAUDE_CODE_MEMORY) : q.options;
      const initial = options.some((o) => o.value === q.initial) ? q.initial : options[0]!.value;
      const value = await clack.select({ message: q.message, options, initialValue: initial });
      if (clack.isCancel(value)) return cancelled(clack);
      if (q.key === "project") answers.project = value === "" ? null : resolve(cwd, value);
      else answers.memory = value;
    } else {
      const value = await clack.text({
        message: q.message,
        initialValue: q.initial,
        validate: (text) => (/^\d+$/.test(text.trim()) ? undefined : "a whole number, e.g. 5 (0: never automatically)"),
      });
      if (clack.isCancel(value)) return cancelled(clack);
      answers.dreamAfter = Number(value.trim());
    }
  }
  if (answers.memory === CLAUDE_CODE_MEMORY && answers.project === null) {
    throw new ReverieError("INVALID_INPUT", "--memory claude-code is a project's own auto memory, and every project was chosen: give a memory folder for every project (e.g. --memory ~/memory).", {});
  }
  const go = await clack.confirm({ message: `Set up: memory ${answers.memory === CLAUDE_CODE_MEMORY ? "in the project's Claude Code auto memory" : answers.memory}, ${answers.project === null ? "every project" : `project ${answers.project}`}, ${answers.dreamAfter === 0 ? "no automatic dreams" : `a dream after every ${answers.dreamAfter} sessions`}?` });
  if (clack.isCancel(go) || go !== true) return cancelled(clack);
  return answers;
}

function cancelled(clack: typeof import("@clack/prompts")): null {
  clack.cancel("Nothing was changed.");
  return null;
}

/**
 * `reverie setup`: a new machine's walkthrough — the memory folder (made, or adopted in place),
 * Claude Code's hooks and MCP server, automatic dreams. Asks on a terminal (@clack/prompts);
 * with `--yes`, or when stdin is not a terminal, it takes the flags and the defaults.
 */
export async function run(ctx: CommandContext, flags: SetupFlags): Promise<number> {
  const cwd = process.cwd();
  const defaults = setupDefaults(ctx, flags, cwd);
  const interactive = flags.yes !== true && ctx.stdin.isTTY === true && ctx.stdout.isTTY === true && !ctx.json;
  const answers = interactive ? await ask(setupQuestions(ctx, flags, defaults), defaults, cwd) : defaults;
  if (answers === null) return EXIT.user;

  const { claudeCodeMemory, describeInit, initFolder, shellWord } = await import("./init.js");
  const { openMemory } = await import("@reverie/core");
  const auto = answers.memory === CLAUDE_CODE_MEMORY ? await claudeCodeMemory(ctx.env, answers.project!) : null;
  const memoryDir = auto?.folder ?? answers.memory;
  const lines: string[] = [];
  const existing = await openMemory(memoryDir).then(
    (m) => m.dir,
    () => null,
  );
  if (existing) lines.push(`Memory: ${existing} (already a reverie memory; used as it is)`);
  else {
    const done = await initFolder(memoryDir);
    lines.push(`Memory: ${describeInit(done, auto !== null && !auto.existed)}`);
  }
  const dir = existing ?? resolve(memoryDir);

  // The install prints its own report; setup's summary follows it.
  const { runInstall } = await import("./claude-code.js");
  const captured: string[] = [];
  const sink = { write: (chunk: string | Uint8Array) => (captured.push(String(chunk)), true) } as unknown as CommandContext["stdout"];
  const quiet: CommandContext = { ...ctx, json: false, stdout: sink };
  await runInstall(quiet, { memory: dir, ...(answers.project === null ? { user: true } : { project: answers.project }), ...(answers.dreamAfter > 0 ? { dreamAfter: String(answers.dreamAfter) } : {}) });
  lines.push(...captured.join("").trimEnd().split("\n").map((line) => `Claude Code: ${line}`));
  lines.push(
    answers.dreamAfter > 0
      ? `Dreams: one starts by itself after every ${answers.dreamAfter} new sessions; nothing changes in the memory until you adopt it.`
      : `Dreams: none by themselves; run one with: reverie dream --dir ${shellWord(dir)}`,
  );
  lines.push(`Review dreams with: reverie dream list --dir ${shellWord(dir)}`);
  print(ctx, lines.join("\n"), { memory: dir, project: answers.project, dreamAfter: answers.dreamAfter });
  return EXIT.ok;
}
