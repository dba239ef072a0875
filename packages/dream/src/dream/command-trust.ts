import { remove as skeleton } from "confusables";
import type { DreamOperation, Evidence } from "../consolidate/operations.js";
import type { Session, SessionEvent } from "../transcripts/types.js";

/*
 * Trust from effect, not phrasing. A command that fetches code and runs it, persists itself in a
 * shell startup file, or sends credentials over the network must never become a trusted
 * playbook or workflow, however it is spelled: the text is normalised first (Unicode NFKC,
 * zero-width and bidirectional controls removed, confusable letters mapped to ASCII), then shell
 * statements and pipelines are read for the shapes below. The shapes are stated, not a list of
 * examples:
 *
 * - downloads and runs code: a downloader (curl, wget, fetch, iwr, nc, …) anywhere in a pipeline
 *   that later reaches an interpreter (sh, bash, python, node, perl, ruby, php, pwsh, …, also
 *   behind sudo/env/xargs); an interpreter, `eval`, `source` or `.` given a process or command
 *   substitution that runs a downloader (`bash <(curl …)`, `eval "$(wget -qO- …)"`); a download
 *   saved to a file that a later statement of the same command line runs; `iex`/`exec()` of
 *   fetched text (PowerShell `DownloadString`, Python `urlopen`, JS `fetch`).
 * - decodes and runs a payload: base64/xxd/uudecode/openssl output piped to an interpreter.
 * - opens a network shell: `/dev/tcp/…`, `nc -e`.
 * - runs a package fetched at run time: `npx -y`/`--yes`, `npm exec -y`, `pnpm dlx`, `yarn dlx`,
 *   `bunx`, `pnpx`, `uvx`, `pipx run`.
 * - writes a shell startup file: a redirect, `tee`, `sed -i`, `cp`/`mv`/`ln`/`install` into
 *   `.bashrc`, `.zshrc`, `.profile`, fish's config, `/etc/profile`, `authorized_keys`, or `crontab`.
 * - sends credentials over the network: a key file (`~/.ssh/…`, `.aws/credentials`, `.env`,
 *   `.netrc`, …), an environment dump (`env`, `printenv`) or a secret-named variable piped or
 *   posted to a network tool (curl -d/-F/-T, nc, scp, …).
 *
 * Limits: the reading is lexical (no variable or alias expansion), so `X=curl; $X … | sh` is not
 * recognised; operations carrying any recognised shape are quarantined, and the rest still go
 * through the injection screen and review.
 */

/** Characters that render as nothing (or reorder text) and so can hide inside a word. */
const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]/g;

/**
 * The text as a shell would run it, for reading: NFKC (fullwidth `｜` becomes `|`), invisible
 * characters removed, and each remaining non-ASCII character replaced by its ASCII confusable
 * when it has one (Cyrillic `с` becomes `c`). ASCII is never remapped (the confusables table maps
 * `|` to `l`).
 */
export function normalizeCommand(text: string): string {
  const nfkc = text.normalize("NFKC").replace(INVISIBLE, "");
  let out = "";
  for (const ch of nfkc) {
    if (ch.charCodeAt(0) < 128) {
      out += ch;
      continue;
    }
    const mapped = skeleton(ch);
    out += /^[\x20-\x7e]+$/.test(mapped) ? mapped : ch;
  }
  return out;
}

/** A dangerous command found in some text, with what makes it dangerous. */
export interface CommandRisk {
  /** The command as normalised (one line, at most 160 characters). */
  command: string;
  reasons: string[];
  /** True when normalising changed it: it was written with hidden or look-alike characters. */
  disguised: boolean;
}

const DOWNLOADERS = new Set(["curl", "wget", "fetch", "aria2c", "iwr", "irm", "invoke-webrequest", "invoke-restmethod", "http", "https", "httpie", "lwp-download", "lwp-request", "nc", "ncat", "netcat", "socat", "telnet", "tftp", "ftp"]);
const NETWORK = new Set([...DOWNLOADERS, "scp", "sftp", "rsync", "ssh", "mail", "sendmail", "mutt"]);
const INTERPRETER = /^(?:(?:ba|z|da|k|c|tc|a|mk|yash|ra)?sh|fish|python[0-9.]*|pypy[0-9.]*|perl[0-9.]*|ruby[0-9.]*|irb|node|nodejs|deno|bun|php[0-9.]*|pwsh|powershell(?:\.exe)?|lua[0-9.]*|luajit|tclsh|osascript|jshell|groovy|rscript|julia|busybox|iex|invoke-expression)$/;
const EVALUATORS = new Set(["eval", "source", ".", "exec", "iex", "invoke-expression"]);
/** Words that run the word after them: `sudo -E bash`, `env X=1 sh`, `xargs sh`. */
const WRAPPERS = new Set(["sudo", "doas", "env", "nohup", "time", "command", "builtin", "exec", "nice", "ionice", "stdbuf", "xargs", "timeout", "setsid", "su"]);
const DECODERS = /^(?:base64|base32|basenc|xxd|uudecode|openssl|gunzip|zcat|gzip|bzip2|xz|unxz|rev)$/;
const STARTUP_FILE =
  /(?:^|[/~])\.(?:bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zprofile|zshenv|zlogin|kshrc|cshrc|tcshrc|mkshrc|xprofile|xinitrc)$|\.config\/fish\/config\.fish$|^\/etc\/(?:profile|bash\.bashrc|zshrc|zsh\/zshrc|environment|rc\.local)$|^\/etc\/profile\.d\/|\.ssh\/authorized_keys2?$|^\/etc\/cron|\/var\/spool\/cron/;
const KEY_FILE = /(?:^|[/~@=])(?:\.ssh\/|id_rsa|id_dsa|id_ecdsa|id_ed25519|\.aws\/credentials|\.aws\/config|\.env(?:\.[a-z]+)?$|\.netrc$|\.npmrc$|\.pypirc$|\.pgpass$|\.git-credentials$|\.docker\/config\.json$|\.kube\/config$|\/etc\/shadow$|\.gnupg\/|\.config\/gh\/hosts\.yml$|credentials\.json$)/;
const SECRET_VARIABLE = /\$\{?[A-Za-z_]*(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)[A-Za-z0-9_]*\}?/i;
const UPLOAD_FLAG = /^(?:-d|--data(?:-[a-z]+)?|-F|--form(?:-string)?|-T|--upload-file|--post-file|--post-data|--body-file|--body-data|-InFile|-Body)$/i;
const FETCHED_EXEC = [
  /\b(?:iex|invoke-expression)\b[\s\S]{0,200}\b(?:downloadstring|downloadfile|iwr|irm|invoke-webrequest|invoke-restmethod|net\.webclient)\b/i,
  /\b(?:downloadstring|invoke-webrequest|invoke-restmethod|iwr|irm)\b[\s\S]{0,200}\|\s*(?:iex|invoke-expression)\b/i,
  /\b(?:exec|eval|compile)\s*\([\s\S]{0,200}\b(?:urlopen|urllib|requests\.get|httpx\.get|fetch|http\.get|https\.get|axios|wget|curl)\b/i,
  /\b(?:urlopen|requests\.get|httpx\.get|fetch|https?\.get)\s*\([\s\S]{0,200}(?:\b(?:exec|eval)\s*\(|\.then\(\s*eval\s*\)|new\s+Function\s*\()/i,
];

/** Quotes and backslashes inside a word do not change what runs: `c'u'rl`, `c\url`, `"sh"` are curl and sh. */
function unquote(word: string): string {
  return word.replace(/["'\\]/g, "");
}

/** The program a word names: its last path part, lowercased (`/usr/bin/bash` → `bash`). */
function programName(word: string): string {
  const w = unquote(word).toLowerCase();
  return w.slice(w.lastIndexOf("/") + 1);
}

function words(segment: string): string[] {
  return segment
    .replace(/\$\{?IFS\}?/g, " ")
    .split(/[\s()`{}]+|\$\(|<\(|>\(/)
    .filter((w) => w !== "" && w !== "$");
}

/** The program a pipeline segment runs, past sudo/env/assignments and their options. */
function runs(segmentWords: readonly string[]): string | undefined {
  let i = 0;
  while (i < segmentWords.length) {
    const w = unquote(segmentWords[i]!);
    const name = programName(w);
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) || w.startsWith("-")) {
      i++;
      continue;
    }
    if (WRAPPERS.has(name)) {
      i++;
      // `timeout 10 sh`, `nice -n 5 sh`, `su -c`: skip a numeric argument too
      if (i < segmentWords.length && /^\d+[smhd]?$/.test(unquote(segmentWords[i]!))) i++;
      continue;
    }
    return name;
  }
  return undefined;
}

const isInterpreter = (name: string | undefined) => name !== undefined && INTERPRETER.test(name);

/** Statements (split on `;`, `&&`, `||`, `&`, newlines), each split into pipeline segments. */
function statements(text: string): string[][] {
  return text
    .replace(/\|\||&&/g, "\n")
    .split(/[\n;]|&(?![>&])/)
    .map((s) => s.split(/\|&?/).map((p) => p.trim()))
    .filter((s) => s.some((p) => p !== ""));
}

/** Why `text` (one command line or any text holding commands) is dangerous; empty when it is not. */
export function commandRisks(text: string): string[] {
  const normal = normalizeCommand(text);
  const reasons = new Set<string>();
  const all = statements(normal);
  const downloadedFiles: string[] = [];
  for (const pipeline of all) {
    const segs = pipeline.map(words);
    const programs = segs.map(runs);
    const flat = segs.flat();
    const names = flat.map(programName);

    // A pipeline from a downloader (or a decoder) into an interpreter.
    segs.forEach((seg, i) => {
      if (i === segs.length - 1) return;
      const later = programs.slice(i + 1);
      if (!later.some(isInterpreter)) return;
      const segNames = seg.map(programName);
      if (segNames.some((n) => DOWNLOADERS.has(n)) || seg.some((w) => w.includes("/dev/tcp/"))) reasons.add("downloads and runs code");
      else if (programs[i] !== undefined && DECODERS.test(programs[i]!) && (segNames.some((n) => /^(?:-d|--decode|-D|-r|-revert|enc)$/.test(n)) || /^(?:gunzip|zcat|uudecode|unxz|rev)$/.test(programs[i]!))) {
        reasons.add("decodes and runs a payload");
      }
    });

    // An interpreter or eval given a substitution that runs a downloader: `bash <(curl …)`, `eval "$(wget -qO- …)"`, `sh -c "$(curl …)"`.
    for (const part of pipeline) {
      const opener = part.search(/<\(|\$\(|`/);
      if (opener === -1) continue;
      const before = words(part.slice(0, opener)).map(programName);
      const inside = words(part.slice(opener)).map(programName);
      if ((before.some(isInterpreter) || before.some((n) => EVALUATORS.has(n))) && inside.some((n) => DOWNLOADERS.has(n))) reasons.add("downloads and runs code");
    }

    if (flat.some((w) => w.includes("/dev/tcp/") || w.includes("/dev/udp/")) && (programs.some(isInterpreter) || normal.includes(">&"))) reasons.add("opens a network shell");
    if (names.some((n) => n === "nc" || n === "ncat" || n === "netcat") && flat.some((w) => /^-(?:e|c)$/.test(unquote(w)))) reasons.add("opens a network shell");

    // Packages fetched and run on the spot.
    for (const seg of segs) {
      const n = seg.map(programName);
      const at = (name: string) => n.indexOf(name);
      const yes = n.some((w) => w === "-y" || w === "--yes");
      if ((at("npx") !== -1 && yes) || (at("npm") !== -1 && n[at("npm") + 1] === "exec" && yes) || ((at("pnpm") !== -1 || at("yarn") !== -1) && n.includes("dlx")) || n.includes("bunx") || n.includes("pnpx") || n.includes("uvx") || (at("pipx") !== -1 && n[at("pipx") + 1] === "run")) {
        reasons.add("runs a package fetched at run time");
      }
    }

    // Writes to a shell startup file.
    pipeline.forEach((part, i) => {
      const seg = segs[i]!;
      const targets: string[] = [];
      for (const m of part.matchAll(/>>?\|?\s*([^\s;&|<>]+)/g)) targets.push(unquote(m[1]!));
      const program = programs[i];
      if (program === "tee" || program === "sed" || program === "perl") targets.push(...seg.slice(1).map(unquote).filter((w) => !w.startsWith("-")));
      if (program === "cp" || program === "mv" || program === "ln" || program === "install" || program === "rsync") {
        const last = seg[seg.length - 1];
        if (last) targets.push(unquote(last));
      }
      for (const w of seg) if (/^of=/.test(unquote(w))) targets.push(unquote(w).slice(3));
      if (program === "crontab" && !seg.some((w) => /^-(?:l|r)$/.test(unquote(w)))) reasons.add("writes a shell startup file");
      if (targets.some((t) => STARTUP_FILE.test(t)) && (program !== "sed" || seg.some((w) => /^-i/.test(unquote(w)))) && (program !== "perl" || seg.some((w) => /^-[a-z]*i/.test(unquote(w))))) {
        reasons.add("writes a shell startup file");
      }
    });

    // Credentials sent over the network.
    segs.forEach((seg, i) => {
      const later = segs.slice(i + 1).some((s) => s.some((w) => NETWORK.has(programName(w))));
      const dumpsEnvironment = ["env", "printenv", "set", "export"].includes(programName(seg[0] ?? "")) && seg.length <= 2;
      const sensitive = seg.some((w) => KEY_FILE.test(unquote(w))) || dumpsEnvironment || seg.some((w) => SECRET_VARIABLE.test(w));
      if (later && sensitive) reasons.add("sends credentials over the network");
      const net = seg.map(programName).some((n) => NETWORK.has(n));
      if (!net) return;
      const uploads = seg.some((w, j) => j > 0 && UPLOAD_FLAG.test(unquote(seg[j - 1]!)) && (KEY_FILE.test(unquote(w).replace(/^[^@]*@/, "")) || SECRET_VARIABLE.test(w)));
      const inlined = seg.some((w, j) => KEY_FILE.test(unquote(w)) && seg.slice(0, j).some((p) => programName(p) === "cat" || programName(p) === "base64"));
      const copied = (programs[i] === "scp" || programs[i] === "rsync" || programs[i] === "sftp") && seg.some((w) => KEY_FILE.test(unquote(w)));
      if (uploads || inlined || copied) reasons.add("sends credentials over the network");
    });

    // A download saved to a file: remember the file, so a later statement that runs it is caught.
    const fetcher = programs.findIndex((p) => p !== undefined && DOWNLOADERS.has(p));
    if (fetcher !== -1) {
      const seg = segs[fetcher]!.map(unquote);
      for (let j = 0; j < seg.length; j++) {
        const w = seg[j]!;
        if ((w === "-o" || w === "-O" || w === "--output" || w === "--output-document" || w === "-OutFile") && seg[j + 1] && !seg[j + 1]!.startsWith("-")) downloadedFiles.push(seg[j + 1]!);
        else if (/^(?:--output|--output-document|-O)=?/.test(w) && w.includes("=")) downloadedFiles.push(w.slice(w.indexOf("=") + 1));
        else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(w)) {
          const base = w.replace(/[?#].*$/, "").replace(/\/+$/, "");
          const name = base.slice(base.lastIndexOf("/") + 1);
          if (name !== "" && !base.endsWith(":/")) downloadedFiles.push(name);
        }
      }
      for (const m of pipeline.slice(fetcher).join("|").matchAll(/>>?\s*([^\s;&|<>]+)/g)) downloadedFiles.push(unquote(m[1]!));
    } else if (downloadedFiles.length > 0) {
      const base = (f: string) => f.slice(f.lastIndexOf("/") + 1);
      const wanted = new Set(downloadedFiles.map(base).filter((b) => b.length > 0));
      for (const seg of segs) {
        const program = runs(seg);
        if (program === undefined) continue;
        // What the statement runs: the program itself (`./install.sh`), or the script an interpreter is given first (`bash install.sh`).
        const at = seg.findIndex((w) => programName(w) === program);
        const script = seg.slice(at + 1).find((w) => !unquote(w).startsWith("-"));
        const runsScript = (isInterpreter(program) || EVALUATORS.has(program)) && script !== undefined && wanted.has(base(unquote(script)));
        if (runsScript || wanted.has(program)) reasons.add("downloads and runs code");
      }
    }
  }
  for (const re of FETCHED_EXEC) if (re.test(normal)) reasons.add("downloads and runs code");
  return [...reasons];
}

/** The command a session turn ran: a tool call's input text (or the call a result answers). */
function commandAt(session: Session, turn: number): { text: string; turn: number } | undefined {
  const event = session.events.find((e) => e.turn === turn);
  if (!event) return undefined;
  const use = event.type === "tool_result" ? session.events.find((e): e is Extract<SessionEvent, { type: "tool_use" }> => e.type === "tool_use" && e.id === event.tool_use_id) : event;
  if (!use || use.type !== "tool_use") return undefined;
  return { text: inputText(use.input), turn: use.turn };
}

function inputText(input: unknown): string {
  if (typeof input === "string") return input;
  if (Array.isArray(input)) return input.every((x) => typeof x === "string") ? input.join(" ") : input.map(inputText).join("\n");
  if (typeof input === "object" && input !== null) return Object.values(input).map(inputText).filter((t) => t !== "").join("\n");
  return "";
}

/** Code spans and fenced blocks of Markdown, then every line: the places a memory holds a command. */
function commandTexts(markdown: string): string[] {
  const out: string[] = [];
  for (const m of markdown.matchAll(/```[^\n]*\n([\s\S]*?)```/g)) out.push(m[1]!);
  const prose = markdown.replace(/```[^\n]*\n[\s\S]*?```/g, "\n");
  for (const m of prose.matchAll(/`([^`\n]+)`/g)) out.push(m[1]!);
  out.push(...prose.replace(/`[^`\n]+`/g, " ").split("\n"));
  return out.filter((t) => t.trim() !== "");
}

/** A dangerous command an operation carries, and where it came from. */
export interface CarriedCommand extends CommandRisk {
  /** The turns that ran it (`ses_…#turn`); empty when only the operation's text holds it. */
  turns: string[];
}

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** What an operation writes as text a later agent reads: its body and title. */
function writtenText(operation: DreamOperation): string {
  switch (operation.kind) {
    case "pattern":
    case "learn":
      return `${operation.title}\n${operation.body}`;
    case "stale":
      return `${operation.body ?? ""}\n${operation.frontmatter?.title ?? ""}`;
    case "dedup":
      return `${operation.body ?? ""}\n${operation.title ?? ""}`;
    default:
      return "";
  }
}

/**
 * The dangerous commands an operation carries: in the text it writes, and — for a playbook or a
 * learned memory, built from what sessions ran — in the tool calls it cites (a body may shorten
 * a long command to `curl https://…aaaa…`, hiding the `| sh` at its end). Each is named with the
 * turn that ran it.
 */
export function carriedCommands(operation: DreamOperation, sessions: readonly Session[]): CarriedCommand[] {
  const byId = new Map(sessions.map((s) => [s.header.id, s]));
  const found = new Map<string, CarriedCommand>();
  const add = (raw: string, reasons: string[], turn: string | null) => {
    const normal = normalizeCommand(raw);
    const command = oneLine(normal, 160);
    const entry = found.get(command) ?? { command, reasons, disguised: false, turns: [] };
    entry.disguised ||= normal !== raw;
    if (turn !== null && !entry.turns.includes(turn)) entry.turns.push(turn);
    found.set(command, entry);
  };
  const cited: Array<{ text: string; normal: string; at: string }> = [];
  for (const e of operation.evidence as readonly Evidence[]) {
    const session = byId.get(e.session);
    const command = session && commandAt(session, e.turn);
    if (!command) continue;
    const at = `${e.session}#${command.turn}`;
    if (!cited.some((c) => c.at === at)) cited.push({ text: command.text, normal: normalizeCommand(command.text).replace(/\s+/g, " "), at });
  }
  // Where text that is not a tool call came from: a user paste, a tool result, a fetched page.
  const citedText: Array<{ normal: string; at: string }> = [];
  for (const e of operation.evidence as readonly Evidence[]) {
    const event = byId.get(e.session)?.events.find((ev) => ev.turn === e.turn);
    if (event && event.type !== "tool_use") citedText.push({ normal: normalizeCommand(event.text).replace(/\s+/g, " "), at: `${e.session}#${e.turn}` });
  }
  if (operation.kind === "pattern" || operation.kind === "learn") {
    for (const c of cited) {
      const reasons = commandRisks(c.text);
      if (reasons.length > 0) add(c.text, reasons, c.at);
    }
  }
  for (const text of commandTexts(writtenText(operation))) {
    const reasons = commandRisks(text);
    if (reasons.length === 0) continue;
    const start = normalizeCommand(text).replace(/\s+/g, " ").trim().replace(/…$/, "").slice(0, 40);
    const sources = cited.filter((c) => c.normal.includes(start));
    if (sources.length > 0 && sources.every((c) => found.has(oneLine(normalizeCommand(c.text), 160)))) continue; // already named through its turn
    for (const c of sources) add(c.text, reasons, c.at);
    if (sources.length > 0) continue;
    const pasted = citedText.filter((c) => c.normal.includes(start));
    if (pasted.length === 0) add(text, reasons, null);
    for (const c of pasted) add(text, reasons, c.at);
  }
  return [...found.values()];
}

/** How a carried command is described in a reason or a gate: `` `cmd` (downloads and runs code; written with hidden or look-alike characters) at ses_…#4, ses_…#4 ``. */
export function describeCarried(c: CarriedCommand): string {
  const why = [...c.reasons, ...(c.disguised ? ["written with hidden or look-alike characters"] : [])].join("; ");
  const turns = c.turns.length === 0 ? "" : ` at ${c.turns.slice(0, 3).join(", ")}${c.turns.length > 3 ? ` and ${c.turns.length - 3} more` : ""}`;
  return `\`${c.command.replace(/`/g, "'")}\` (${why})${turns}`;
}

/**
 * The post-pass every dream runs on its consolidator's operations, offline or model: a playbook
 * or learned memory carrying a dangerous command is written at `trust: low` with the reason
 * saying why, and a stale update carrying one is lowered too. Other operations are returned as
 * they are. The injection gate names every such operation with the command and the turn; it
 * fails for one the post-pass could not lower (a dedup body), and `--auto-adopt` leaves the
 * lowered ones out (`quarantinedOperations`), so none is adopted without a person.
 */
export function applyCommandTrust(operations: readonly DreamOperation[], sessions: readonly Session[]): DreamOperation[] {
  return operations.map((operation) => {
    const carried = carriedCommands(operation, sessions);
    if (carried.length === 0) return operation;
    const why = `quarantined (trust: low) because it carries ${carried.slice(0, 2).map(describeCarried).join(", ")}${carried.length > 2 ? ` and ${carried.length - 2} more` : ""}`;
    const reason = `${operation.reason}; ${why}`;
    switch (operation.kind) {
      case "pattern":
      case "learn":
        return { ...operation, trust: "low", reason };
      case "stale":
        return operation.action === "update" ? { ...operation, frontmatter: { ...operation.frontmatter, trust: "low" }, reason } : operation;
      default:
        return { ...operation, reason };
    }
  });
}

/** True when the operation writes its memory at `trust: low` (as the post-pass leaves a pattern, learn or stale update). */
export function isQuarantined(operation: DreamOperation): boolean {
  if (operation.kind === "pattern" || operation.kind === "learn") return operation.trust === "low";
  if (operation.kind === "stale") return operation.action === "update" && operation.frontmatter?.trust === "low";
  return false;
}

/** 1-based numbers of the operations carrying a dangerous command: what `--auto-adopt` skips. */
export function quarantinedOperations(operations: readonly DreamOperation[], sessions: readonly Session[]): number[] {
  return operations.flatMap((op, i) => (carriedCommands(op, sessions).length > 0 ? [i + 1] : []));
}
