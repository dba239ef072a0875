import { parse, type ParseEntry } from "shell-quote";

/**
 * Shell command lines split into the steps a person would name as a project's workflow
 * ("`mise run test`", "`go build -o ./entire ./cmd/entire`"), parsed with `shell-quote` rather
 * than by splitting on spaces, so quotes, operators and redirections are understood.
 */

/** One program run inside a command line. */
export interface ShellStep {
  /** What the step does, independent of its arguments: `go test`, `mise run lint`, `pytest`. */
  family: string;
  /** The step as written, arguments included, normalized to single spaces. */
  text: string;
}

/** Tool names (lowercase) whose input is a shell command, across the agents reverie imports. */
const SHELL_TOOLS = new Set(["bash", "shell", "run_shell_command", "exec_command", "local_shell", "terminal", "run_terminal_cmd", "execute_command"]);

/** The shell command a tool call ran, or undefined when the tool is not a shell. */
export function shellCommandOf(toolName: string, input: unknown): string | undefined {
  if (!SHELL_TOOLS.has(toolName.toLowerCase())) return undefined;
  if (typeof input === "string") return input;
  if (typeof input !== "object" || input === null) return undefined;
  const record = input as Record<string, unknown>;
  for (const key of ["command", "cmd", "args"]) {
    const v = record[key];
    if (typeof v === "string") return v;
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) {
      // Codex-style argv: ["bash", "-lc", "<line>"] runs the line.
      const argv = v as string[];
      return argv.length === 3 && /^(?:ba|z)?sh$/.test(argv[0]!) && argv[1]!.startsWith("-") ? argv[2] : argv.join(" ");
    }
  }
  return undefined;
}

/*
 * Programs that look around, move files or talk to git: every session runs them, so they say
 * nothing about how *this* project is built, tested or run. Downloaders are here too: a fetched
 * script is never a workflow worth writing down.
 */
const GENERIC = new Set(
  (
    "cd pushd popd ls ll la cat less more head tail grep egrep rg ag ack sed awk cut tr wc sort uniq find fd tree file stat du df " +
    "echo printf pwd which whereis type command true false sleep wait date env export set unset source . alias read test [ " +
    "mkdir rmdir rm cp mv ln touch chmod chown tee xargs diff cmp open xdg-open clear history jq yq basename dirname realpath readlink " +
    "git gh curl wget ps kill pkill lsof top time timeout watch nohup exit sh bash zsh " +
    // Shell grammar: a loop or condition typed at the prompt is a one-off script.
    "for while until if then else elif fi do done case esac select function { } [["
  ).split(" "),
);

/** Runners whose first argument names a task: the task is part of the family (`mise run test`). */
const TASK_RUNNERS: Record<string, number> = { make: 1, just: 1, task: 1, rake: 1 };
/** Tools whose sub-command is part of the family (`go test`, `cargo build`, `npm run lint`). */
const SUBCOMMAND_TOOLS = new Set(
  "npx pnpx bunx go cargo npm pnpm yarn bun deno mise uv poetry pip pip3 docker kubectl terraform dotnet mvn gradle ./gradlew bundle mix flutter dart swift composer artisan nx turbo lerna apt apt-get brew".split(" "),
);
/** Sub-commands that take a task name: `npm run build`, `mise run test`, `uv run pytest`. */
const RUN_SUBCOMMANDS = new Set(["run", "exec", "x", "task"]);
const INTERPRETERS = /^(?:python[0-9.]*|node|ruby|perl|php|deno|bun)$/;
/** Words that are not programs: a family is named by them only when nothing better is left. */
const ENV_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

const REDIRECTIONS = new Set([">", ">>", "<", ">&", "<&", ">|"]);

/** The control operator or redirection an entry is (`&&`, `|`, `>`), undefined for words, globs and comments. */
function operatorOf(entry: ParseEntry | undefined): string | undefined {
  if (typeof entry !== "object" || entry === null || !("op" in entry) || entry.op === "glob") return undefined;
  return entry.op;
}

function wordOf(entry: ParseEntry): string | undefined {
  if (typeof entry === "string") return entry;
  if (typeof entry === "object" && entry !== null && "pattern" in entry) return (entry as { pattern: string }).pattern;
  return undefined;
}

/** The family of a step's words, or undefined for a step that is not a project command. */
function familyOf(words: readonly string[]): string | undefined {
  const program = words[0]!.replace(/^.*\//, (m) => (words[0]!.startsWith("./") ? m : ""));
  const name = program.toLowerCase();
  if (GENERIC.has(name)) return undefined;
  const rest = words.slice(1);
  if (INTERPRETERS.test(name)) {
    // `python -c "…"`/`node -e "…"` is a one-off script; `python -m pytest` runs a module; `node x.js` a file.
    if (rest[0] === "-c" || rest[0] === "-e" || rest[0] === "--eval" || rest.length === 0) return undefined;
    if (rest[0] === "-m" && rest[1] !== undefined) return `${name} -m ${rest[1]}`;
    const script = rest.find((w) => !w.startsWith("-"));
    return script === undefined ? undefined : `${name} ${script}`;
  }
  if (name in TASK_RUNNERS) {
    const task = rest.find((w) => !w.startsWith("-") && !w.includes("="));
    return task === undefined ? name : `${name} ${task}`;
  }
  if (SUBCOMMAND_TOOLS.has(name)) {
    const sub = rest.find((w) => !w.startsWith("-"));
    if (sub === undefined) return name;
    if (RUN_SUBCOMMANDS.has(sub)) {
      const task = rest.slice(rest.indexOf(sub) + 1).find((w) => !w.startsWith("-"));
      return task === undefined ? `${name} ${sub}` : `${name} ${sub} ${task}`;
    }
    return `${name} ${sub}`;
  }
  return name;
}

/**
 * The project steps of a command line, in order. Dropped: `cd` and other generic utilities,
 * git, the filters a step is piped into (`| head`, `| grep …`), redirections and their targets,
 * leading environment assignments, heredoc and inline scripts, and anything after a comment.
 * @example shellSteps("cd cli && mise run fmt && mise run lint 2>&1 | tail -20")
 * // → [{ family: "mise run fmt", text: "mise run fmt" }, { family: "mise run lint", text: "mise run lint" }]
 */
export function shellSteps(line: string): ShellStep[] {
  // A heredoc feeds a script inline; shell-quote does not know `<<`, and the script is a one-off.
  if (HEREDOC.test(line)) return [];
  const steps: ShellStep[] = [];
  for (const words of stepWords(line)) {
    const family = familyOf(words);
    if (family !== undefined) steps.push({ family, text: words.join(" ") });
  }
  return steps;
}

const HEREDOC = /<<-?\s*['"]?\w+/;

/**
 * Every program a command line runs, generic ones included (`cd`, `rm -f .git/index.lock`,
 * `source venv/bin/activate`), as words — not the filters steps are piped into, nor
 * redirections. A heredoc's script is left out; the program it feeds stays (`python3`).
 * @example commandSteps("rm -f .git/index.lock && git add -A 2>&1 | tail -3") // → [["rm", "-f", ".git/index.lock"], ["git", "add", "-A"]]
 */
export function commandSteps(line: string): string[][] {
  const heredoc = HEREDOC.exec(line);
  return stepWords(heredoc ? line.slice(0, heredoc.index) : line);
}

/** The words of each step that is not a filter, environment assignments and `sudo` removed. */
function stepWords(line: string): string[][] {
  const { text, truncated } = untruncated(line);
  let entries: ParseEntry[];
  try {
    // A redacted secret (`<redacted:database-url>`) is a word, not a redirection.
    entries = parse(text.replace(/\\\n/g, " ").replace(REDACTED, (_, kind: string) => `${REDACTED_WORD}${kind}`), (key) => `$${key}`);
  } catch {
    return [];
  }
  const steps: string[][] = [];
  let words: string[] = [];
  let piped = false;
  let skipNext = false;
  let stopped = false;
  const flush = () => {
    while (words.length > 0 && ENV_ASSIGNMENT.test(words[0]!)) words.shift();
    if (words.length > 0 && !piped && (words[0] === "sudo" || words[0] === "env")) words.shift();
    if (words.length > 0 && !piped) steps.push(words);
    words = [];
  };
  entries.forEach((entry, i) => {
    if (stopped) return;
    if (typeof entry === "object" && entry !== null && "comment" in entry) {
      stopped = true;
      return;
    }
    const op = operatorOf(entry);
    if (op !== undefined) {
      if (REDIRECTIONS.has(op) || op === "<(" || op === "|&") {
        skipNext = op !== "|&";
        if (op === "|&") {
          flush();
          piped = true;
        }
        return;
      }
      flush();
      piped = op === "|";
      return;
    }
    const word = wordOf(entry);
    if (word === undefined) return;
    if (skipNext) {
      skipNext = false;
      return;
    }
    // `2>&1` arrives as "2", `>&`, "1": a file descriptor before a redirection is not an argument.
    if (/^[0-9]$/.test(word) && REDIRECTIONS.has(operatorOf(entries[i + 1]) ?? "")) return;
    words.push(word.includes(REDACTED_WORD) ? word.replace(new RegExp(`${REDACTED_WORD}([a-z0-9-]+)`, "g"), "<redacted:$1>") : word);
  });
  if (!truncated) flush();
  return steps;
}

const REDACTED = /<redacted:([a-z0-9-]+)>/g;
const REDACTED_WORD = "__reverie_redacted__";

/**
 * Terminal exports cut long commands with "…" (`git commit -m "feat: Add th…`): keep only the
 * part before the cut, closed off before any quote the cut left open. The step the cut falls
 * in is incomplete, and `truncated` tells the caller to drop it.
 */
function untruncated(line: string): { text: string; truncated: boolean } {
  const cut = line.indexOf("…");
  if (cut < 0) return { text: line, truncated: false };
  let text = line.slice(0, cut);
  let open: { quote: string; at: number } | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (open) {
      if (ch === open.quote) open = undefined;
    } else if (ch === '"' || ch === "'") open = { quote: ch, at: i };
    else if (ch === "\\") i++;
  }
  if (open) text = text.slice(0, open.at);
  return { text, truncated: true };
}
