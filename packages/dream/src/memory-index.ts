/**
 * `MEMORY.md`, the index Claude Code loads at the start of every session from its auto memory
 * folder — only its first 200 lines or 25 KB. A memory folder that has one at its root gets it
 * rebuilt by every dream: one line per memory (link and short description), most used and most
 * recent first, within that cap, so what Claude Code loads is the consolidated memory. What
 * did not fit is named in the run record (`dream show`).
 */
import { join } from "node:path";
import { agentIdentity, noteTitle, parseNote, writeFileAtomic, type GitRepo, type Memory, type Note } from "@reverie/core";
import { DREAM_AUTHOR, type BranchCommit } from "./dream/branch.js";
import { isDreamable, readMemoriesAt } from "./dream/snapshot.js";
import type { Session } from "./transcripts/types.js";

/** Where the index lives, at the memory's root. */
export const MEMORY_INDEX_PATH = "MEMORY.md";
/** Claude Code loads the first 200 lines of MEMORY.md… */
export const INDEX_MAX_LINES = 200;
/** …and at most 25 KB of it (25,000 bytes keeps under either reading of "KB"). */
export const INDEX_MAX_BYTES = 25_000;
/** One entry line at most, in UTF-8 bytes: 200 such lines stay under the byte cap. */
const ENTRY_MAX_BYTES = 124;
/** Lines of the old index that are not entries (a person's notes) are kept, up to this much. */
const NOTES_MAX_LINES = 40;
const NOTES_MAX_BYTES = 4_000;
const DEFAULT_HEADING = "# Memory";

/** What a dream learned about how much each memory is used, from its sessions. */
export interface MemoryUse {
  /** Distinct sessions that read or wrote the memory. */
  sessions: number;
  /** The latest time one of them did. */
  last: string | null;
}

export interface MemoryIndexOptions {
  /** The index as it is now (its heading and a person's notes are kept), or null. */
  previous?: string | null;
  /** Use seen in sessions, by memory path. */
  uses?: ReadonlyMap<string, MemoryUse>;
  /** When each memory last changed in git (ISO), by path: the recency of files without front-matter. */
  changed?: ReadonlyMap<string, string>;
  maxLines?: number;
  maxBytes?: number;
}

export interface MemoryIndex {
  text: string;
  /** Paths listed, in order. */
  listed: string[];
  /** Paths that did not fit, in rank order. */
  leftOut: string[];
  /** Quarantined memories (`trust: low`), never put where Claude Code reads them at every start. */
  quarantined: string[];
  /** Lines of the previous index's notes that did not fit. */
  notesLeftOut: number;
}

/** Whether a path is the index itself (never a memory of its own). */
export function isMemoryIndexPath(path: string): boolean {
  return path === MEMORY_INDEX_PATH;
}

const ENTRY = /^\s*[-*+]\s+\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)>\s]+)>?[^)]*\)/;

/** Whether a line of an index is an entry linking to a memory file (what the rebuild replaces). */
function isEntryLine(line: string): boolean {
  const target = ENTRY.exec(line)?.[1];
  return target !== undefined && !/^[a-z][a-z0-9+.-]*:/i.test(target) && /\.md$/i.test(target.split("#")[0]!);
}

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/** Cuts text to at most `max` UTF-8 bytes, ending in "…" when cut. */
function clip(text: string, max: number): string {
  if (bytes(text) <= max) return text;
  let out = "";
  let size = 0;
  for (const ch of text) {
    const width = bytes(ch);
    if (size + width + 3 > max) break;
    out += ch;
    size += width;
  }
  return `${out.trimEnd()}…`;
}

function stringField(note: Note, key: string): string | undefined {
  const value = note.frontmatter[key];
  return typeof value === "string" && value.trim() !== "" ? value.trim().replace(/\s+/g, " ") : undefined;
}

/** A memory's one-line description: Claude Code's `description`, else the first line of text that is not its title. */
function describe(note: Note, title: string): string {
  const given = stringField(note, "description");
  if (given) return given;
  for (const raw of note.body.split("\n")) {
    const line = raw.replace(/^\s*(?:#{1,6}\s+|[-*+>]\s+|\d+\.\s+)?/, "").trim();
    if (line !== "" && line !== title && !/^(```|---|\|)/.test(line)) return line;
  }
  return "";
}

function link(path: string): string {
  return /[\s()<>]/.test(path) ? `<${path}>` : path;
}

function entryLine(note: Note): string {
  const title = (stringField(note, "title") ?? stringField(note, "name") ?? noteTitle(note)).replace(/\s+/g, " ");
  const target = link(note.path);
  const head = `- [${clip(title, 80).replace(/([[\]\\])/g, "\\$1")}](${target})`;
  const description = describe(note, title);
  if (description === "" || bytes(head) + 8 > ENTRY_MAX_BYTES) return head;
  return `${head} — ${clip(description, ENTRY_MAX_BYTES - bytes(head) - 5)}`;
}

function latest(...times: Array<string | null | undefined>): string {
  let best = "";
  for (const t of times) if (typeof t === "string" && t > best) best = t;
  return best;
}

/** Sessions recorded in a memory's own front-matter: where it came from and who re-confirmed it. */
function recorded(note: Note): { sessions: Set<string>; last: string } {
  const sessions = new Set<string>();
  let last = "";
  for (const list of [note.frontmatter.sources, note.frontmatter.verified]) {
    if (!Array.isArray(list)) continue;
    for (const entry of list as unknown[]) {
      if (typeof entry !== "object" || entry === null) continue;
      const { session, at } = entry as { session?: unknown; at?: unknown };
      if (typeof session === "string") sessions.add(session);
      if (typeof at === "string" && at > last) last = at;
    }
  }
  return { sessions, last };
}

/**
 * Builds the index of `notes` (the memories as the dream leaves them; README.md and the index
 * itself are not memories). Ranked by use (sessions that read, wrote or re-confirmed a memory),
 * then recency, then path; entries go in while the whole stays within `maxLines` lines and
 * `maxBytes` bytes, and when some do not fit, a last line says how many and how to find them.
 * Deterministic: the same inputs give the same bytes.
 */
export function buildMemoryIndex(notes: readonly Note[], options: MemoryIndexOptions = {}): MemoryIndex {
  const maxLines = options.maxLines ?? INDEX_MAX_LINES;
  const maxBytes = options.maxBytes ?? INDEX_MAX_BYTES;
  const previous = (options.previous ?? "").replace(/\r\n/g, "\n").split("\n");
  const firstHeading = previous.find((line) => line.trim() !== "");
  const heading = firstHeading && /^#\s+\S/.test(firstHeading) ? clip(firstHeading.trim(), 120) : DEFAULT_HEADING;

  // A person's notes in the old index (anything but entries, headings, blank lines and our own tail line) are kept.
  const notesLines: string[] = [];
  let notesLeftOut = 0;
  let notesBytes = 0;
  let headingSeen = false;
  for (const line of previous) {
    if (!headingSeen && line.trim() !== "" && line.trim() === firstHeading?.trim() && heading !== DEFAULT_HEADING) {
      headingSeen = true;
      continue;
    }
    if (line.trim() === "" || /^\s*#{1,6}\s/.test(line) || isEntryLine(line) || MORE_LINE.test(line)) continue;
    const kept = clip(line.trimEnd(), 200);
    if (notesLines.length < NOTES_MAX_LINES && notesBytes + bytes(kept) + 1 <= NOTES_MAX_BYTES) {
      notesLines.push(kept);
      notesBytes += bytes(kept) + 1;
    } else notesLeftOut++;
  }

  const quarantined: string[] = [];
  const ranked: Array<{ note: Note; uses: number; recent: string }> = [];
  for (const note of notes) {
    if (note.frontmatter.trust === "low") {
      quarantined.push(note.path);
      continue;
    }
    const own = recorded(note);
    const seen = options.uses?.get(note.path);
    ranked.push({
      note,
      uses: own.sessions.size + (seen?.sessions ?? 0),
      recent: latest(own.last, seen?.last, note.frontmatter.updated, note.frontmatter.created, options.changed?.get(note.path)),
    });
  }
  ranked.sort((a, b) => b.uses - a.uses || (a.recent < b.recent ? 1 : a.recent > b.recent ? -1 : 0) || (a.note.path < b.note.path ? -1 : a.note.path > b.note.path ? 1 : 0));

  const head = [heading, ...(notesLines.length > 0 ? ["", ...notesLines] : []), ""];
  const lines = [...head];
  let size = head.reduce((n, line) => n + bytes(line) + 1, 0);
  const listed: string[] = [];
  // Room is kept for the closing "N more" line unless the entry is the last one (its longest form, with the most digits).
  const reserve = bytes(moreLine(ranked.length)) + 1;
  for (const [i, { note }] of ranked.entries()) {
    const last = i === ranked.length - 1;
    const line = entryLine(note);
    const cost = bytes(line) + 1;
    if (lines.length + 1 + (last ? 0 : 1) > maxLines || size + cost + (last ? 0 : reserve) > maxBytes) break;
    lines.push(line);
    size += cost;
    listed.push(note.path);
  }
  const leftOut = ranked.slice(listed.length).map((r) => r.note.path);
  if (leftOut.length > 0) lines.push(moreLine(leftOut.length));
  if (lines[lines.length - 1] === "") lines.pop();
  return { text: `${lines.join("\n")}\n`, listed, leftOut, quarantined, notesLeftOut };
}

const MORE_LINE = /^_\d[\d,]* more memor(?:y|ies) (?:is|are) not listed here/;

function moreLine(n: number): string {
  return `_${String(n).replace(/\B(?=(\d{3})+$)/g, ",")} more memor${n === 1 ? "y is" : "ies are"} not listed here: search the folder for them (reverie search, or the MCP tool memory_search)._`;
}

/**
 * How much each memory was used in `sessions`: a session uses a memory when a tool call reads or
 * writes its file (Claude Code reads auto memory topic files on demand) or a memory-tool call names it.
 */
export function memoryUses(sessions: readonly Session[], memoryDir: string, paths: Iterable<string>): Map<string, MemoryUse> {
  const known = new Set(paths);
  const folder = memoryDir.replace(/\/+$/, "").split("/").pop() ?? "";
  const out = new Map<string, MemoryUse>();
  for (const session of sessions) {
    const used = new Map<string, string>();
    const mark = (path: string | undefined, at: string | undefined) => {
      if (path === undefined || !known.has(path)) return;
      const time = at ?? session.header.ended ?? session.header.started ?? "";
      if (!used.has(path) || time > used.get(path)!) used.set(path, time);
    };
    for (const event of session.events) {
      if (event.type !== "tool_use") continue;
      if (event.memory) {
        mark(event.memory.path?.replace(/^\/memories\//, "").replace(/^\/+/, ""), event.at);
        mark(event.memory.newPath?.replace(/^\/memories\//, "").replace(/^\/+/, ""), event.at);
      }
      const input = event.input;
      if (typeof input !== "object" || input === null) continue;
      for (const key of ["file_path", "path", "notebook_path"]) {
        const value = (input as Record<string, unknown>)[key];
        if (typeof value !== "string" || !value.startsWith("/")) continue;
        if (value.startsWith(`${memoryDir}/`)) mark(value.slice(memoryDir.length + 1), event.at);
        else if (folder !== "") {
          // The same folder seen from another machine or home: everything after a "/<folder>/" segment.
          for (let at = value.indexOf(`/${folder}/`); at >= 0; at = value.indexOf(`/${folder}/`, at + 1)) mark(value.slice(at + folder.length + 2), event.at);
        }
      }
    }
    for (const [path, time] of used) {
      const prior = out.get(path);
      out.set(path, { sessions: (prior?.sessions ?? 0) + 1, last: latest(prior?.last, time) || null });
    }
  }
  return out;
}

/** When each file last changed at `commit`, from one `git log` pass (newest first, so the first sighting wins). */
export async function lastChanged(repo: GitRepo, commit: string): Promise<Map<string, string>> {
  const log = await repo.run(["-c", "core.quotePath=false", "log", "--format=%x01%cI", "--name-only", "--no-renames", commit]);
  const out = new Map<string, string>();
  let when = "";
  for (const line of log.stdout.split("\n")) {
    if (line.startsWith("\x01")) when = new Date(line.slice(1)).toISOString().replace(/\.\d{3}Z$/, "Z");
    else if (line !== "" && !out.has(line)) out.set(line, when);
  }
  return out;
}

/** The index part of a run record (`outputs.index`): what the dream's `MEMORY.md` lists and what it could not. */
export interface IndexSummary {
  path: string;
  /** How many memories it lists. */
  listed: number;
  /** Memories that did not fit within Claude Code's cap, most used first. */
  left_out: string[];
  /** Memories with `trust: low`, kept out of what Claude Code loads at every start. */
  quarantined: string[];
  /** Lines of a person's notes in the old index that did not fit. */
  notes_left_out: number;
  /** Its commit on the dream branch; null when the index already was this. */
  commit: string | null;
  /** Use seen in the dream's sessions, by path (kept so `adopt --skip` rebuilds the same ranking). */
  uses: Record<string, MemoryUse>;
}

/**
 * What a dream does to the index: null when the memory keeps none (no `MEMORY.md` at its root
 * at `base`), else the rebuilt index over the memories as `changes` leave them, and the commit
 * to add after the operations' (null when the text would not change).
 */
export async function planMemoryIndex(input: {
  repo: GitRepo;
  base: string;
  dreamId: string;
  notes: readonly Note[];
  changes: ReadonlyArray<{ path: string; content: string | null; from?: string }>;
  uses: ReadonlyMap<string, MemoryUse>;
}): Promise<{ summary: IndexSummary; commit: BranchCommit | null } | null> {
  const previous = await input.repo.readAt(input.base, MEMORY_INDEX_PATH);
  if (previous === null) return null;
  const files = new Map(input.notes.map((n) => [n.path, n]));
  for (const c of input.changes) {
    if (c.from !== undefined) files.delete(c.from);
    if (c.content === null) files.delete(c.path);
    else if (isDreamable(c.path)) {
      try {
        files.set(c.path, parseNote(c.path, c.content));
      } catch {
        files.delete(c.path);
      }
    }
  }
  const index = buildMemoryIndex([...files.values()], { previous, uses: input.uses, changed: await lastChanged(input.repo, input.base) });
  const summary: IndexSummary = {
    path: MEMORY_INDEX_PATH,
    listed: index.listed.length,
    left_out: index.leftOut,
    quarantined: index.quarantined,
    notes_left_out: index.notesLeftOut,
    commit: null,
    uses: Object.fromEntries([...input.uses].filter(([path]) => files.has(path)).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  if (index.text === previous) return { summary, commit: null };
  const total = index.listed.length + index.leftOut.length;
  return {
    summary,
    commit: {
      subject: `dream: index ${MEMORY_INDEX_PATH} (${index.listed.length} of ${total} memor${total === 1 ? "y" : "ies"})`,
      body:
        `The index Claude Code loads at every start, rebuilt over the memory as this dream leaves it: one line per memory, most used and most recent first, within ${INDEX_MAX_LINES} lines and ${INDEX_MAX_BYTES.toLocaleString("en-US")} bytes.` +
        (index.leftOut.length > 0 ? `\n\nNot listed (no room): ${index.leftOut.length}.` : ""),
      trailers: { Dream: input.dreamId, "Memory-Op": "index" },
      changes: [{ path: MEMORY_INDEX_PATH, content: index.text }],
    },
  };
}

/** Who wrote what a dream finds uncommitted in a folder that keeps a `MEMORY.md`: Claude Code, which edits its auto memory in place. */
const FOLDER_AGENT = "claude-code";

/**
 * In a memory that keeps a `MEMORY.md` (a Claude Code auto memory folder), Claude Code writes
 * its files directly, with no commit. Before a dream pins its base, those edits (tracked files,
 * and new Markdown files) are committed as Claude Code's, so the dream reads them and its
 * adopt does not collide with them. Returns the commit, or null when there was nothing to commit.
 */
export async function commitFolderEdits(memory: Memory, lock: (work: () => Promise<string | null>) => Promise<string | null>): Promise<string | null> {
  const head = await memory.repo.head();
  const keepsIndex = head !== null ? (await memory.repo.readAt(head, MEMORY_INDEX_PATH)) !== null : false;
  if (!keepsIndex) return null;
  return lock(async () => {
    const status = await memory.repo.run(["status", "--porcelain", "--untracked-files=all"]);
    if (status.stdout.trim() === "") return null;
    await memory.repo.run(["add", "--update"]);
    await memory.repo.run(["add", "--", ":(glob)**/*.md"], { okCodes: [128], env: { GIT_LITERAL_PATHSPECS: "0" } });
    const staged = (await memory.repo.run(["diff", "--cached", "--name-only", "-z"])).stdout.split("\0").filter(Boolean);
    if (staged.length === 0) return null;
    return memory.repo.commitPaths(
      staged,
      { subject: `memory: commit ${staged.length} file${staged.length === 1 ? "" : "s"} edited in the folder before dreaming`, trailers: { "Memory-Op": "update", Agent: FOLDER_AGENT } },
      agentIdentity(FOLDER_AGENT),
      [],
    );
  });
}

/**
 * After an adopt that merged a dream's operations without its index (Claude Code had rewritten
 * MEMORY.md meanwhile), the index is rebuilt over the merged memory, keeping Claude Code's
 * newest heading and notes, and committed. Returns the commit, or null when nothing changed.
 */
export async function commitIndexAtHead(memory: Memory, dreamId: string, uses: ReadonlyMap<string, MemoryUse>): Promise<string | null> {
  const head = await memory.repo.head();
  if (head === null) return null;
  const previous = await memory.repo.readAt(head, MEMORY_INDEX_PATH);
  if (previous === null) return null;
  const index = buildMemoryIndex(await readMemoriesAt(memory.repo, head), { previous, uses, changed: await lastChanged(memory.repo, head) });
  if (index.text === previous) return null;
  await writeFileAtomic(join(memory.dir, MEMORY_INDEX_PATH), index.text);
  const total = index.listed.length + index.leftOut.length;
  return memory.repo.commitPaths(
    [MEMORY_INDEX_PATH],
    { subject: `dream: index ${MEMORY_INDEX_PATH} after adopting ${dreamId} (${index.listed.length} of ${total} memor${total === 1 ? "y" : "ies"})`, trailers: { Dream: dreamId, "Memory-Op": "index" } },
    DREAM_AUTHOR,
    [],
  );
}
