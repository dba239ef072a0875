import { isReverieError, ReverieError, truncateForMessage } from "../errors.js";
import { isMemoryFileName } from "../memory-files.js";
import type { Memory, MemoryEntry, MutationOptions } from "../memory/memory.js";
import type { Attribution } from "../memory/stamp.js";
import { formatSize, MAX_LINES, numberLines } from "./format.js";
import { MEMORY_TOOL_ROOT, memoryToolPath, toMemoryToolPath } from "./memory-tool-path.js";
import type { MemoryToolHandlers } from "./types.js";

/** How deep a directory view lists, as the tool documents. */
const VIEW_DEPTH = 2;
/** Lines of context around an edit in the str_replace result. */
const SNIPPET_CONTEXT = 2;

/**
 * Handlers for Anthropic's client-side memory tool (`memory_20250818`) over a reverie memory:
 * `/memories` is the memory folder (and its mounts), results and errors are the tool's
 * documented strings, and every create, edit, delete and rename is one git commit attributed to
 * `agent` and `session` (`Agent:`/`Session:` trailers, the agent as author).
 *
 * Files are written exactly as the agent sends them — no front-matter is added — so `view`
 * shows the agent the bytes it wrote and `str_replace`/`insert` line numbers match what it saw;
 * provenance lives in the commit trailers (`reverie log`, `git blame`). Edits are read-modify-write
 * under the memory's lock: an edit made while someone else changed the file is re-applied to
 * the current text when it still applies there (an insert between the same two lines, an
 * `old_str` still found exactly once), and is a `CONFLICT` only when the two overlap — never a
 * lost update.
 * Only Markdown (`*.md`) files are memories; the tool is told so when it names another file.
 *
 * Errors are `ReverieError`s whose message is the tool's text (`INVALID_PATH`, `NOT_FOUND`,
 * `ALREADY_EXISTS`, `INVALID_INPUT`, `CONFLICT`, `READ_ONLY`); the SDK's tool runner sends them
 * back to the model as `Error: <message>`.
 * @example
 * const memory = await openMemory("./memory");
 * const tool = betaMemoryTool(memoryToolHandlers(memory, { agent: "support-bot", session: "ses_42" }));
 * await client.beta.messages.toolRunner({ model, max_tokens: 1024, tools: [tool], messages });
 */
export function memoryToolHandlers(memory: Memory, attribution: Attribution = {}): MemoryToolHandlers {
  const who: Attribution = {
    ...(attribution.agent ? { agent: attribution.agent } : {}),
    ...(attribution.session ? { session: attribution.session } : {}),
  };

  const notFound = (shown: string, hint = true) =>
    new ReverieError("NOT_FOUND", `The path ${shown} does not exist${hint ? ". Please provide a valid path." : ""}`, { path: shown });

  /** A memory-tool path that must name a Markdown file. */
  function filePath(input: string, what = "path"): string {
    const rel = memoryToolPath(input, what);
    if (rel === "" || !isMemoryFileName(rel)) {
      throw new ReverieError(
        "INVALID_PATH",
        `${input} is not a memory file: memories here are Markdown files ending in .md. Use e.g. ${toMemoryToolPath(rel === "" ? "notes.md" : `${rel.replace(/\.[^./]*$/, "")}.md`)}`,
        { path: input },
      );
    }
    return rel;
  }

  /** Reads a file for editing, or fails with the tool's "does not exist" text. */
  async function readForEdit(rel: string, shown: string, hint: boolean): Promise<{ content: string; sha256: string }> {
    try {
      const file = await memory.read(rel);
      return { content: file.content, sha256: file.sha256 };
    } catch (error) {
      if (isReverieError(error, "NOT_FOUND")) throw notFound(shown, hint);
      throw error;
    }
  }

  /**
   * Writes an edit computed from the bytes the agent saw (`base`). Under the memory's lock, if
   * someone else changed the file meanwhile, `reapply` redoes the edit on the current text (an
   * insert between the same two lines, a replacement whose old text is still there once): two
   * edits that do not overlap both land. Only a real overlap is a `CONFLICT`, and writes nothing.
   */
  async function writeEdit(rel: string, shown: string, base: { content: string; sha256: string }, next: string, reapply: (current: string) => string | null): Promise<string> {
    let written = next;
    const conflict = (data: Record<string, unknown>) =>
      new ReverieError("CONFLICT", `${shown} was changed by someone else at the same place while it was being edited; nothing was written. View it again and retry the edit.`, data);
    const options: MutationOptions & { stamp: false } = { ...who, stamp: false };
    try {
      await memory.write(
        rel,
        (current) => {
          if (current === null) throw notFound(shown, false);
          if (current.sha256 === base.sha256) return next;
          const redone = reapply(current.content);
          if (redone === null) throw conflict({ path: shown, expected: base.sha256, current: current.sha256 });
          written = redone;
          return redone;
        },
        options,
      );
    } catch (error) {
      if (isReverieError(error, "SECRET_DETECTED")) throw toolSecretError(error);
      throw error;
    }
    return written;
  }

  /**
   * The tool's text for a refused secret: the agent cannot override it (only a person can, with
   * `allowSecrets` or `--allow-secrets`), so it is told to write the memory without it.
   */
  function toolSecretError(error: ReverieError): ReverieError {
    const shown = toMemoryToolPath(String(error.data.path));
    return new ReverieError(
      "SECRET_DETECTED",
      `Refused to write ${shown}: ${String(error.data.reason)}. Memories are committed and shared, so nothing was written. Write it again without the secret: say where it lives instead (e.g. "the token is in $GITHUB_TOKEN").`,
      { ...error.data, path: shown },
      { cause: error },
    );
  }

  /** Runs a store mutation, turning a refused secret into the tool's text. */
  async function mutate<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (isReverieError(error, "SECRET_DETECTED")) throw toolSecretError(error);
      throw error;
    }
  }

  /**
   * The memory files under a folder path (`""` = everything), hidden files left out; symbolic
   * links only with `links: true` (a view lists them, a delete or rename never acts on them).
   */
  async function filesUnder(rel: string, links = false): Promise<MemoryEntry[]> {
    const entries = await memory.list(rel);
    return entries.filter((e) => (links || e.link === undefined) && (e.path !== rel || e.link !== undefined) && !e.path.split("/").some((s) => s.startsWith(".")));
  }

  function assertWritable(paths: readonly string[]): void {
    for (const path of paths) {
      const scope = memory.resolve(path).scope;
      if (scope.access === "read_only" || !scope.repo) {
        throw new ReverieError("READ_ONLY", `${toMemoryToolPath(path)} is in the read-only mount ${toMemoryToolPath(scope.prefix)}; it cannot be changed here.`, {
          path,
          mount: scope.prefix,
        });
      }
    }
  }

  function viewDirectory(shown: string, rel: string, files: readonly MemoryEntry[]): string {
    const sizes = new Map<string, number>();
    let total = 0;
    const linkLabels = new Map<string, string>();
    for (const file of files) {
      const inner = file.path === rel ? file.path.split("/").pop()! : rel === "" ? file.path : file.path.slice(rel.length + 1);
      const segments = inner.split("/");
      if (file.link !== undefined) linkLabels.set(inner, `${inner} (symbolic link to ${file.link}, not followed)`);
      total += file.size;
      for (let depth = 1; depth <= Math.min(VIEW_DEPTH, segments.length); depth++) {
        const item = segments.slice(0, depth).join("/") + (depth < segments.length ? "/" : "");
        sizes.set(item, (sizes.get(item) ?? 0) + file.size);
      }
    }
    // Depth-first, names sorted at each level, like the tool's own listing.
    const items = [...sizes.keys()].sort((a, b) => {
      const ka = a.replace(/\/$/, "").split("/");
      const kb = b.replace(/\/$/, "").split("/");
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
      return ka.length - kb.length;
    });
    const base = shown.replace(/\/+$/, "");
    const lines = [`${formatSize(total)}\t${base}`, ...items.map((item) => `${formatSize(sizes.get(item)!)}\t${base}/${linkLabels.get(item) ?? item}`)];
    return `Here're the files and directories up to ${VIEW_DEPTH} levels deep in ${base}, excluding hidden items and node_modules:\n${lines.join("\n")}`;
  }

  function viewRange(shown: string, lines: readonly string[], range: readonly number[] | undefined): { first: number; selected: readonly string[] } {
    if (range === undefined) return { first: 1, selected: lines };
    const [first, last] = range;
    const valid =
      range.length === 2 &&
      Number.isInteger(first) &&
      Number.isInteger(last) &&
      first! >= 1 &&
      first! <= lines.length &&
      (last === -1 || (last! >= first! && last! <= lines.length));
    if (!valid) {
      throw new ReverieError(
        "INVALID_INPUT",
        `Invalid \`view_range\` parameter: ${JSON.stringify(range)}. It should be [first, last] with 1 <= first <= last <= ${lines.length} (the lines of ${shown}), or last = -1 for the end of the file.`,
        { path: shown, view_range: range },
      );
    }
    return { first: first!, selected: lines.slice(first! - 1, last === -1 ? lines.length : last) };
  }

  return {
    async view({ path, view_range }) {
      const rel = memoryToolPath(path);
      if (rel !== "" && isMemoryFileName(rel)) {
        const { content } = await readForEdit(rel, path, true);
        const lines = content.split("\n");
        if (lines.length > MAX_LINES) {
          throw new ReverieError("INVALID_INPUT", `File ${path} has too many lines (${lines.length}). Maximum is ${MAX_LINES.toLocaleString("en-US")} lines.`, { path });
        }
        const { first, selected } = viewRange(path, lines, view_range);
        return `Here's the content of ${path} with line numbers:\n${numberLines(selected, first)}`;
      }
      const files = await filesUnder(rel, true);
      if (rel !== "" && files.length === 0) throw notFound(path);
      // A link named by the path itself (`/memories/linkdir`) is shown beside its folder, not entered.
      if (files.length === 1 && files[0]!.path === rel) return viewDirectory(path.replace(/\/[^/]+\/?$/, "") || MEMORY_TOOL_ROOT, rel.split("/").slice(0, -1).join("/"), files);
      return viewDirectory(path, rel, files);
    },

    async create({ path, file_text }) {
      const rel = filePath(path);
      assertWritable([rel]);
      if (typeof file_text !== "string") throw new ReverieError("INVALID_INPUT", "`file_text` must be a string.", { path });
      try {
        await memory.write(rel, file_text, { ...who, expectHash: null, stamp: false });
      } catch (error) {
        if (isReverieError(error, "SECRET_DETECTED")) throw toolSecretError(error);
        if (isReverieError(error, "CONFLICT")) throw new ReverieError("ALREADY_EXISTS", `File ${path} already exists`, { path }, { cause: error });
        throw error;
      }
      return `File created successfully at: ${path}`;
    },

    async str_replace({ path, old_str, new_str }) {
      const rel = filePath(path);
      assertWritable([rel]);
      if (typeof old_str !== "string" || old_str === "" || typeof new_str !== "string") {
        throw new ReverieError("INVALID_INPUT", "`old_str` must be a non-empty string and `new_str` a string.", { path });
      }
      const { content, sha256 } = await readForEdit(rel, path, true);
      const starts: number[] = [];
      for (let at = content.indexOf(old_str); at !== -1; at = content.indexOf(old_str, at + 1)) starts.push(at);
      const lineOf = (offset: number) => content.slice(0, offset).split("\n").length;
      if (starts.length === 0) {
        throw new ReverieError("NOT_FOUND", `No replacement was performed, old_str \`${old_str}\` did not appear verbatim in ${path}.`, { path, old_str: truncateForMessage(old_str) });
      }
      if (starts.length > 1) {
        throw new ReverieError(
          "INVALID_INPUT",
          `No replacement was performed. Multiple occurrences of old_str \`${old_str}\` in lines: ${[...new Set(starts.map(lineOf))].join(", ")}. Please ensure it is unique`,
          { path, old_str: truncateForMessage(old_str) },
        );
      }
      const replaceIn = (text: string, at: number) => text.slice(0, at) + new_str + text.slice(at + old_str.length);
      let at = starts[0]!;
      const next = await writeEdit(rel, path, { content, sha256 }, replaceIn(content, at), (current) => {
        const first = current.indexOf(old_str);
        if (first === -1 || current.indexOf(old_str, first + 1) !== -1) return null;
        at = first;
        return replaceIn(current, first);
      });
      const lineIn = (text: string, offset: number) => text.slice(0, offset).split("\n").length;
      const lines = next.split("\n");
      const firstChanged = lineIn(next, at) - 1;
      const lastChanged = firstChanged + new_str.split("\n").length - 1;
      const from = Math.max(0, firstChanged - SNIPPET_CONTEXT);
      const to = Math.min(lines.length, lastChanged + SNIPPET_CONTEXT + 1);
      return `The memory file has been edited. Here is the snippet showing the change (with line numbers):\n${numberLines(lines.slice(from, to), from + 1)}`;
    },

    async insert({ path, insert_line, insert_text }) {
      const rel = filePath(path);
      assertWritable([rel]);
      if (typeof insert_text !== "string") throw new ReverieError("INVALID_INPUT", "`insert_text` must be a string.", { path });
      const { content, sha256 } = await readForEdit(rel, path, false);
      const lines = content.split("\n");
      if (!Number.isInteger(insert_line) || insert_line < 0 || insert_line > lines.length) {
        throw new ReverieError(
          "INVALID_INPUT",
          `Invalid \`insert_line\` parameter: ${insert_line}. It should be within the range of lines of the file: [0, ${lines.length}]`,
          { path, insert_line },
        );
      }
      const added = insert_text.replace(/\n$/, "");
      const baseLines = [...lines];
      lines.splice(insert_line, 0, added);
      await writeEdit(rel, path, { content, sha256 }, lines.join("\n"), (current) => {
        const now = current.split("\n");
        const at = mapGap(baseLines, now, insert_line);
        if (at === null) return null;
        now.splice(at, 0, added);
        return now.join("\n");
      });
      return `The file ${path} has been edited.`;
    },

    async delete({ path }) {
      const rel = memoryToolPath(path);
      if (rel === "") throw new ReverieError("INVALID_PATH", `Cannot delete the ${MEMORY_TOOL_ROOT} directory itself`, { path });
      if (isMemoryFileName(rel) && (await memory.exists(rel))) {
        assertWritable([rel]);
        await memory.remove(rel, who);
        return `Successfully deleted ${path}`;
      }
      const files = await filesUnder(rel);
      if (files.length === 0) throw notFound(path, false);
      assertWritable(files.map((f) => f.path));
      await memory.removeMany(files.map((f) => f.path), who);
      return `Successfully deleted ${path}`;
    },

    async rename({ old_path, new_path }) {
      const from = memoryToolPath(old_path, "old_path");
      const to = memoryToolPath(new_path, "new_path");
      if (from === "") throw new ReverieError("INVALID_PATH", `Cannot rename the ${MEMORY_TOOL_ROOT} directory itself`, { path: old_path });
      if (to === "" || to === from || to.startsWith(`${from}/`)) {
        throw new ReverieError("INVALID_PATH", `Cannot rename ${old_path} to ${new_path}: the destination must be a new path outside it.`, { old_path, new_path });
      }
      const isFile = isMemoryFileName(from) && (await memory.exists(from));
      const moves: Array<[string, string]> = isFile
        ? [[from, filePath(new_path, "new_path")]]
        : (await filesUnder(from)).map((f): [string, string] => [f.path, `${to}/${f.path.slice(from.length + 1)}`]);
      if (moves.length === 0) throw notFound(old_path, false);
      if ((await memory.exists(to).catch(() => false)) || (await filesUnder(to)).length > 0) {
        throw new ReverieError("ALREADY_EXISTS", `The destination ${new_path} already exists`, { old_path, new_path });
      }
      assertWritable(moves.flat());
      await mutate(() => memory.renameMany(moves.map(([from, to]) => ({ from, to })), who));
      return `Successfully renamed ${old_path} to ${new_path}`;
    },
  };
}

/** Past this many differing lines between what an agent saw and the file now, an edit is not re-applied (a CONFLICT instead). */
const MAX_REAPPLY_LINES = 2000;

/**
 * Where the gap before line `gap` of `base` (0 = the top, `base.length` = the end) is in
 * `now`: the lines on both sides of it must still be there, unchanged and still next to each
 * other; `null` when either side changed or something else was put into that same gap.
 */
function mapGap(base: readonly string[], now: readonly string[], gap: number): number | null {
  const match = matchLines(base, now);
  if (match === null) return null;
  const before = gap === 0 ? -1 : match[gap - 1];
  const after = gap === base.length ? now.length : match[gap];
  if (before === undefined || after === undefined) return null;
  return after === before + 1 ? after : null;
}

/** For each line of `a`, the index of the same line in `b` along a longest common subsequence (`undefined` when it is not kept). */
function matchLines(a: readonly string[], b: readonly string[]): Array<number | undefined> | null {
  const match: Array<number | undefined> = new Array(a.length).fill(undefined);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) match[start] = start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) match[--endA] = --endB;
  const n = endA - start;
  const m = endB - start;
  if (n === 0 || m === 0) return match;
  if (n > MAX_REAPPLY_LINES || m > MAX_REAPPLY_LINES) return null;
  // Classic LCS table over the differing middle (small: concurrent edits touch a few lines).
  const width = m + 1;
  const table = new Uint16Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * width + j] = a[start + i] === b[start + j] ? table[(i + 1) * width + j + 1]! + 1 : Math.max(table[(i + 1) * width + j]!, table[i * width + j + 1]!);
    }
  }
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (a[start + i] === b[start + j]) {
      match[start + i] = start + j;
      i++;
      j++;
    } else if (table[(i + 1) * width + j]! >= table[i * width + j + 1]!) i++;
    else j++;
  }
  return match;
}
