import { mkdir, readFile, rmdir, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findNodeAtLocation, parseTree, type JSONPath, type Node as JsonNode } from "jsonc-parser";
import { writeFileAtomic, ReverieError, shellWord } from "@reverie/core";
import { print, type CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { positiveInt } from "./numbers.js";

export interface ClaudeCodeFlags {
  project?: string;
  memory?: string;
  dreamAfter?: string;
  user?: boolean;
}

/** This installation's `reverie` script: hooks and the MCP server run it with this node, by absolute path. */
const BIN = fileURLToPath(new URL("../../bin/reverie.js", import.meta.url));
/** The hook events reverie listens to: the end of a session, and before Claude Code compacts one. */
export const HOOK_EVENTS = ["SessionEnd", "PreCompact"] as const;
/** A hook command reverie wrote (by any installation of it). */
const OUR_HOOK = /reverie(\.js)?'?\s+claude-code\s+hook(\s|$)/;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

export function hookCommand(memory: string, dreamAfter: number | undefined): string {
  return [process.execPath, BIN, "claude-code", "hook", "--memory", memory, ...(dreamAfter ? ["--dream-after", String(dreamAfter)] : [])].map(shellWord).join(" ");
}

export function serverEntry(memory: string): Json {
  return { command: process.execPath, args: [BIN, "mcp", "--dir", memory] };
}

function isOurServer(entry: unknown): boolean {
  return isObject(entry) && Array.isArray(entry.args) && entry.args.some((a) => typeof a === "string" && /reverie(\.js)?$/.test(a)) && entry.args.includes("mcp");
}

/** Settings without reverie's hooks; empty event lists and an empty `hooks` that only held them go too. */
function withoutOurHooks(settings: Json): Json {
  if (!isObject(settings.hooks)) return settings;
  const hooks: Json = { ...settings.hooks };
  let changed = false;
  for (const [event, groups] of Object.entries(hooks)) {
    if (!Array.isArray(groups)) continue;
    const kept: unknown[] = [];
    for (const group of groups) {
      if (!isObject(group) || !Array.isArray(group.hooks)) {
        kept.push(group);
        continue;
      }
      const inner = group.hooks.filter((h) => !(isObject(h) && typeof h.command === "string" && OUR_HOOK.test(h.command)));
      if (inner.length === group.hooks.length) kept.push(group);
      else {
        changed = true;
        if (inner.length > 0) kept.push({ ...group, hooks: inner });
      }
    }
    if (kept.length === groups.length && !changed) continue;
    if (kept.length === 0) delete hooks[event];
    else hooks[event] = kept;
  }
  if (!changed) return settings;
  const out: Json = { ...settings, hooks };
  if (Object.keys(hooks).length === 0) delete out.hooks;
  return out;
}

function withOurHooks(settings: Json, command: string): Json {
  const base = withoutOurHooks(settings);
  const hooks: Json = isObject(base.hooks) ? { ...base.hooks } : {};
  for (const event of HOOK_EVENTS) {
    const groups = Array.isArray(hooks[event]) ? (hooks[event] as unknown[]) : [];
    hooks[event] = [...groups, { hooks: [{ type: "command", command, timeout: 10 }] }];
  }
  // An existing `hooks` keeps its place among the keys.
  return "hooks" in settings ? { ...settings, hooks } : { ...base, hooks };
}

function withoutOurServer(config: Json): Json {
  if (!isObject(config.mcpServers) || !isOurServer(config.mcpServers.reverie)) return config;
  const servers: Json = { ...config.mcpServers };
  delete servers.reverie;
  const out: Json = { ...config, mcpServers: servers };
  if (Object.keys(servers).length === 0) delete out.mcpServers;
  return out;
}

function withOurServer(config: Json, memory: string): Json {
  return { ...config, mcpServers: { ...(isObject(config.mcpServers) ? config.mcpServers : {}), reverie: serverEntry(memory) } };
}

/** A JSON file as found: its bytes (null when absent), parsed, and how it is indented. */
interface Found {
  file: string;
  bytes: string | null;
  value: Json;
  indent: string;
}

async function readJsonFile(file: string): Promise<Found> {
  const bytes = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  if (bytes === null || bytes.trim() === "") return { file, bytes, value: {}, indent: "  " };
  let value: unknown;
  try {
    value = JSON.parse(bytes);
  } catch (error) {
    throw new ReverieError("PARSE_ERROR", `${file} is not valid JSON (${(error as Error).message}); fix it or move it away, then run this again. Nothing was changed.`, { file });
  }
  if (!isObject(value)) throw new ReverieError("INVALID_INPUT", `${file} must hold a JSON object; fix it or move it away, then run this again. Nothing was changed.`, { file });
  return { file, bytes, value, indent: /^([ \t]+)"/m.exec(bytes)?.[1] ?? "  " };
}

/**
 * The file's text with `value` in place of what it held. Only the entries that differ are
 * edited, each as a splice of the text — an entry added after its last sibling in the siblings'
 * own layout (one line or one per line, their indentation), an entry removed with its comma —
 * so every byte of what reverie did not change stays as it was. A new or empty file is written whole.
 */
function serialize(found: Found, value: Json): string {
  if (found.bytes === null || found.bytes.trim() === "") return `${JSON.stringify(value, null, found.indent)}\n`;
  let text = found.bytes;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const walk = (path: JSONPath, from: unknown, to: unknown): void => {
    if (same(from, to)) return;
    if (isObject(from) && isObject(to)) {
      for (const key of Object.keys(from)) if (!(key in to)) text = removeAt(text, [...path, key]);
      for (const [key, next] of Object.entries(to)) {
        if (key in from) walk([...path, key], from[key], next);
        else text = insertAt(text, path, key, next, found.indent);
      }
    } else if (Array.isArray(from) && Array.isArray(to)) {
      // The common start and end stay; only the middle is replaced, element by element.
      let head = 0;
      while (head < from.length && head < to.length && same(from[head], to[head])) head++;
      let tail = 0;
      while (tail < from.length - head && tail < to.length - head && same(from[from.length - 1 - tail], to[to.length - 1 - tail])) tail++;
      for (let i = from.length - tail - 1; i >= head; i--) text = removeAt(text, [...path, i]);
      for (let i = head; i < to.length - tail; i++) text = insertAt(text, path, i, to[i], found.indent);
    } else text = replaceAt(text, path, to, found.indent);
  };
  walk([], found.value, value);
  return text;
}

function nodeAt(text: string, path: JSONPath): JsonNode {
  const node = findNodeAtLocation(parseTree(text)!, path);
  if (!node) throw new Error(`no JSON node at ${path.join(".")}`);
  return node;
}

/** The entries of an object (its property nodes) or an array. */
const entriesOf = (node: JsonNode): JsonNode[] => node.children ?? [];
const entryNode = (node: JsonNode): JsonNode => (node.parent?.type === "property" ? node.parent : node);

/** `value` as JSON laid out like its new siblings: on one line (spaced as `{ "a": [1, 2] }` or not), or indented one step past `indent`. */
function render(value: unknown, indent: string | null, unit: string, spaced = true): string {
  if (indent !== null) return JSON.stringify(value, null, unit).replace(/\n/g, `\n${indent}`);
  if (!spaced) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => render(v, null, unit)).join(", ")}]`;
  if (isObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length === 0 ? "{}" : `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${render(v, null, unit)}`).join(", ")} }`;
  }
  return JSON.stringify(value);
}

/** Whether one-line entries in a container are spaced (`{ "a": 1, "b": 2 }`) rather than packed (`{"a":1,"b":2}`). */
function spacedIn(text: string, container: JsonNode): boolean {
  const bare = text.slice(container.offset, container.offset + container.length).replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return /[,:[{][ \t]/.test(bare) || !/[,:]/.test(bare);
}

/** The indentation of entries inside a container, or null when they sit on one line. */
function layoutOf(text: string, container: JsonNode, unit: string): string | null {
  const first = entriesOf(container)[0];
  const gap = first ? text.slice(container.offset + 1, first.offset) : text.slice(container.offset + 1, container.offset + container.length - 1);
  if (!gap.includes("\n")) {
    if (first) return null;
    // An empty container: its entries go one step past the line it opens on.
    const lineStart = text.lastIndexOf("\n", container.offset) + 1;
    const opening = /^[ \t]*/.exec(text.slice(lineStart))![0];
    return opening + unit;
  }
  return gap.slice(gap.lastIndexOf("\n") + 1);
}

function insertAt(text: string, path: JSONPath, key: string | number, value: unknown, unit: string): string {
  const container = nodeAt(text, path);
  const entries = entriesOf(container);
  const indent = layoutOf(text, container, unit);
  const spaced = spacedIn(text, container);
  const item = `${typeof key === "string" ? `${JSON.stringify(key)}:${spaced || indent !== null ? " " : ""}` : ""}${render(value, indent, unit, spaced)}`;
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const index = typeof key === "number" ? key : entries.length;
  if (entries.length === 0) {
    const close = container.offset + container.length - 1;
    const lineStart = text.lastIndexOf("\n", container.offset) + 1;
    const closing = /^[ \t]*/.exec(text.slice(lineStart))![0];
    const body = indent === null ? item : `${eol}${indent}${item}${eol}${closing}`;
    return text.slice(0, container.offset + 1) + body + text.slice(close);
  }
  const separator = indent === null ? (entries.length > 1 ? text.slice(entries[0]!.offset + entries[0]!.length, entries[1]!.offset) : spaced ? ", " : ",") : `,${eol}${indent}`;
  if (index >= entries.length) {
    const last = entries[entries.length - 1]!;
    const at = last.offset + last.length;
    return text.slice(0, at) + separator + item + text.slice(at);
  }
  const before = entries[index]!;
  return text.slice(0, before.offset) + item + separator + text.slice(before.offset);
}

function removeAt(text: string, path: JSONPath): string {
  const node = entryNode(nodeAt(text, path));
  const siblings = entriesOf(node.parent!);
  const i = siblings.indexOf(node);
  if (i > 0) {
    const previous = siblings[i - 1]!;
    return text.slice(0, previous.offset + previous.length) + text.slice(node.offset + node.length);
  }
  if (siblings.length > 1) return text.slice(0, node.offset) + text.slice(siblings[1]!.offset);
  const container = node.parent!;
  return text.slice(0, container.offset + 1) + text.slice(container.offset + container.length - 1);
}

function replaceAt(text: string, path: JSONPath, value: unknown, unit: string): string {
  const node = nodeAt(text, path);
  const container = entryNode(node).parent;
  const indent = container ? layoutOf(text, container, unit) : "";
  return text.slice(0, node.offset) + render(value, indent, unit, container ? spacedIn(text, container) : true) + text.slice(node.offset + node.length);
}

/**
 * What install wrote over what was there, so uninstall can put the exact bytes back: kept in
 * ~/.reverie/claude-code-installs.json, one entry per file.
 */
interface InstallRecord {
  original: string | null;
  written: string;
}

function stateFile(ctx: CommandContext): string {
  return join(ctx.env.HOME || homedir(), ".reverie", "claude-code-installs.json");
}

async function readState(ctx: CommandContext): Promise<Record<string, InstallRecord>> {
  const text = await readFile(stateFile(ctx), "utf8").catch(() => null);
  if (text === null) return {};
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? (value as Record<string, InstallRecord>) : {};
  } catch {
    return {};
  }
}

async function writeState(ctx: CommandContext, state: Record<string, InstallRecord>): Promise<void> {
  const file = stateFile(ctx);
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
}

function targets(ctx: CommandContext, flags: ClaudeCodeFlags): { settings: string; mcp: string } {
  if (flags.user) {
    if (flags.project !== undefined) throw new ReverieError("INVALID_INPUT", "--user and --project name different places: pass one of them.", {});
    const home = ctx.env.HOME || homedir();
    return { settings: join(home, ".claude", "settings.json"), mcp: join(home, ".claude.json") };
  }
  const project = resolve(flags.project ?? ".");
  return { settings: join(project, ".claude", "settings.json"), mcp: join(project, ".mcp.json") };
}

async function memoryFolder(ctx: CommandContext, flags: ClaudeCodeFlags): Promise<string> {
  const memory = resolve(flags.memory ?? ctx.dir);
  const config = await readFile(join(memory, ".reverie", "config.yaml")).catch(() => null);
  if (config === null) {
    throw new ReverieError("NOT_A_MEMORY", `No reverie memory at ${memory}: create it with: reverie init ${memory} (or pass --memory <folder>).`, { dir: memory });
  }
  return memory;
}

/** `reverie claude-code install`: hooks into settings.json and the MCP server into .mcp.json, merged with what is there. */
export async function runInstall(ctx: CommandContext, flags: ClaudeCodeFlags): Promise<number> {
  const memory = await memoryFolder(ctx, flags);
  const dreamAfter = flags.dreamAfter === undefined ? undefined : positiveInt(flags.dreamAfter, "--dream-after");
  const { settings, mcp } = targets(ctx, flags);
  const command = hookCommand(memory, dreamAfter);
  const files = [await readJsonFile(settings), await readJsonFile(mcp)];
  const next = [withOurHooks(files[0]!.value, command), withOurServer(files[1]!.value, memory)];
  const state = await readState(ctx);
  const report: { file: string; status: "written" | "unchanged" }[] = [];
  for (const [i, found] of files.entries()) {
    const text = serialize(found, next[i]!);
    if (text === found.bytes) {
      report.push({ file: found.file, status: "unchanged" });
      continue;
    }
    const previous = state[found.file];
    const ours = i === 0 ? withoutOurHooks(found.value) !== found.value : withoutOurServer(found.value) !== found.value;
    state[found.file] = { original: ours && previous ? previous.original : found.bytes, written: text };
    await writeState(ctx, state);
    await mkdir(dirname(found.file), { recursive: true });
    await writeFileAtomic(found.file, text);
    report.push({ file: found.file, status: "written" });
  }
  const lines = [
    `${report[0]!.status === "written" ? "Wrote" : "Already there:"} ${settings}: ${HOOK_EVENTS.join(" and ")} hooks run: ${command}`,
    `${report[1]!.status === "written" ? "Wrote" : "Already there:"} ${mcp}: MCP server "reverie" on ${memory}`,
    `Transcripts are imported into ${memory} when a session ends${dreamAfter ? `; a dream starts after every ${dreamAfter} new sessions` : ""}. Problems are logged in ${join(memory, ".reverie", "claude-code", "hook.log")}.`,
    `Undo with: reverie claude-code uninstall${flags.user ? " --user" : flags.project ? ` --project ${flags.project}` : ""}`,
  ];
  print(ctx, lines.join("\n"), { memory, hookCommand: command, files: report });
  return EXIT.ok;
}

/** `reverie claude-code uninstall`: the original bytes back when the file is as install left it, else just reverie's entries removed. */
export async function runUninstall(ctx: CommandContext, flags: ClaudeCodeFlags): Promise<number> {
  const { settings, mcp } = targets(ctx, flags);
  const state = await readState(ctx);
  const report: { file: string; status: "restored" | "removed" | "deleted" | "unchanged" }[] = [];
  for (const [i, file] of [settings, mcp].entries()) {
    const found = await readJsonFile(file);
    const record = state[file];
    if (record && found.bytes === record.written) {
      if (record.original === null) {
        await unlink(file);
        if (i === 0) await rmdir(dirname(file)).catch(() => undefined);
        report.push({ file, status: "deleted" });
      } else {
        await writeFileAtomic(file, record.original);
        report.push({ file, status: "restored" });
      }
    } else {
      const value = i === 0 ? withoutOurHooks(found.value) : withoutOurServer(found.value);
      if (value === found.value) report.push({ file, status: "unchanged" });
      else {
        await writeFileAtomic(file, serialize(found, value));
        report.push({ file, status: "removed" });
      }
    }
    if (record) {
      delete state[file];
      await writeState(ctx, state);
    }
  }
  const say = { restored: "restored as it was before install", deleted: "deleted (install had created it)", removed: "reverie's entries removed", unchanged: "nothing of reverie's in it" };
  print(ctx, report.map((r) => `${r.file}: ${say[r.status]}`).join("\n"), { files: report });
  return EXIT.ok;
}
