import { capSources, newId as coreNewId, parseNote, renderNote, ReverieError, updateNote } from "@reverie/core";
import type { FrontmatterPatch, MemoryFrontmatter, MemorySource, MemoryVerification, Note } from "@reverie/core";
import type { CreatingOperation, DedupOperation, DreamOperation, Evidence, StaleOperation, VerifyOperation } from "./operations.js";

/** One file change: new `content` at `path`, `null` to delete it, and `from` when it is a rename. */
export interface FileChange {
  path: string;
  content: string | null;
  from?: string;
}

/** An operation with the file changes that carry it out, in the order they apply. */
export interface MaterializedOperation {
  operation: DreamOperation;
  changes: FileChange[];
}

export interface MaterializeOptions {
  /** The dream's time: `updated`/`created` of written memories and `at` of stamps without one. */
  now: string;
  /**
   * Makes the `id` of each new memory; inject a counter for reproducible output.
   * @default () => newId("mem", Date.parse(now))
   */
  newId?: () => string;
}

/**
 * Turns operations into file changes, applying them in order over the base notes so that a
 * later operation sees what an earlier one wrote (a `stale` update of a memory a `dedup`
 * kept starts from the merged file). Front-matter edits go through `updateNote`, so keys
 * reverie does not know stay byte-for-byte. Deterministic for the same `now` and `newId`.
 *
 * @throws ReverieError `INVALID_INPUT` when an operation names a memory that does not exist
 * (at that point of the sequence) or creates one that does.
 */
export function materialize(operations: readonly DreamOperation[], base: readonly Note[], options: MaterializeOptions): MaterializedOperation[] {
  const files = new Map<string, string>(base.map((n) => [n.path, n.content]));
  const makeId = options.newId ?? (() => coreNewId("mem", Date.parse(options.now)));
  const out: MaterializedOperation[] = [];
  operations.forEach((operation, index) => {
    const read = (path: string): Note => {
      const content = files.get(path);
      if (content === undefined) {
        throw new ReverieError("INVALID_INPUT", `Operation ${index} (${operation.kind}) names ${path}, which is not a memory at that point of the dream. Operations must name memories of the base commit that earlier operations did not remove.`, { index, kind: operation.kind, path });
      }
      return parseNote(path, content);
    };
    let changes: FileChange[];
    switch (operation.kind) {
      case "dedup":
        changes = dedupChanges(operation, read, options.now);
        break;
      case "stale":
        changes = staleChanges(operation, read, options.now);
        break;
      case "pattern":
      case "learn":
        if (files.has(operation.path)) {
          throw new ReverieError("INVALID_INPUT", `Operation ${index} (${operation.kind}) would create ${operation.path}, which already exists. A ${operation.kind} creates a new memory; pick a free path.`, { index, kind: operation.kind, path: operation.path });
        }
        changes = [{ path: operation.path, content: newMemoryContent(operation, options.now, makeId()) }];
        break;
      case "verify":
        changes = verifyChanges(operation, read, options.now);
        break;
      case "reorganize": {
        const note = read(operation.from);
        if (files.has(operation.to)) {
          throw new ReverieError("INVALID_INPUT", `Operation ${index} (reorganize) would move ${operation.from} onto ${operation.to}, which already exists.`, { index, kind: operation.kind, path: operation.to });
        }
        changes = [{ path: operation.to, content: note.content, from: operation.from }];
        break;
      }
    }
    for (const change of changes) {
      if (change.from !== undefined) files.delete(change.from);
      if (change.content === null) files.delete(change.path);
      else files.set(change.path, change.content);
    }
    out.push({ operation, changes });
  });
  return out;
}

function entryKey(entry: { session?: unknown; turn?: unknown }): string {
  return `${String(entry.session)}#${String(entry.turn ?? "")}`;
}

function listOf<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

/** `base` followed by the entries of `more` whose session#turn it lacks; null when nothing is added. */
function unionEntries<T extends { session?: unknown; turn?: unknown }>(base: T[], more: T[]): T[] | null {
  const seen = new Set(base.map(entryKey));
  const added: T[] = [];
  for (const e of more) {
    const k = entryKey(e);
    if (seen.has(k)) continue;
    seen.add(k);
    added.push(e);
  }
  return added.length === 0 ? null : [...base, ...added];
}

/** Sets `sources`, capped as every reverie write caps it (the first and the latest; `sources_dropped` counts the rest). */
function setSources(patch: FrontmatterPatch, sources: MemorySource[], droppedBefore: unknown): void {
  const capped = capSources(sources, droppedBefore);
  patch.sources = capped.sources;
  if (capped.dropped > 0) patch.sources_dropped = capped.dropped;
}

function stampOf(e: Evidence, now: string): MemorySource {
  return { session: e.session, turn: e.turn, at: e.at ?? now };
}

function dedupChanges(op: DedupOperation, read: (path: string) => Note, now: string): FileChange[] {
  const keep = read(op.keep);
  const others = op.remove.map(read);
  const fm = keep.frontmatter;
  const patch: FrontmatterPatch = { updated: now };
  const sources = unionEntries(listOf<MemorySource>(fm.sources), others.flatMap((n) => listOf<MemorySource>(n.frontmatter.sources)));
  const droppedBefore = [fm, ...others.map((n) => n.frontmatter)].reduce((sum, f) => sum + capSources([], f.sources_dropped).dropped, 0);
  if (sources) setSources(patch, sources, droppedBefore);
  const verified = unionEntries(listOf<MemoryVerification>(fm.verified), others.flatMap((n) => listOf<MemoryVerification>(n.frontmatter.verified)));
  if (verified) patch.verified = verified;
  const ownIds = new Set([fm.id, ...listOf<string>(fm.merged_ids)].filter((x): x is string => typeof x === "string"));
  const mergedIds = [...listOf<string>(fm.merged_ids)];
  for (const n of others) {
    for (const id of [n.frontmatter.id, ...listOf<string>(n.frontmatter.merged_ids)]) {
      if (typeof id !== "string" || ownIds.has(id)) continue;
      ownIds.add(id);
      mergedIds.push(id);
    }
  }
  if (mergedIds.length > listOf<string>(fm.merged_ids).length) patch.merged_ids = mergedIds;
  const tags = [...listOf<string>(fm.tags)];
  for (const n of others) for (const t of listOf<string>(n.frontmatter.tags)) if (!tags.includes(t)) tags.push(t);
  if (tags.length > listOf<string>(fm.tags).length) patch.tags = tags;
  if (op.title !== undefined) patch.title = op.title;
  const change: { frontmatter: FrontmatterPatch; body?: string } = { frontmatter: patch };
  if (op.body !== undefined) change.body = op.body;
  return [{ path: op.keep, content: updateNote(keep.content, change, op.keep) }, ...op.remove.map((path) => ({ path, content: null }))];
}

function staleChanges(op: StaleOperation, read: (path: string) => Note, now: string): FileChange[] {
  const note = read(op.path);
  if (op.action === "retire") return [{ path: op.path, content: null }];
  const patch: FrontmatterPatch = { updated: now };
  const sources = unionEntries(listOf<MemorySource>(note.frontmatter.sources), op.evidence.map((e) => stampOf(e, now)));
  if (sources) setSources(patch, sources, note.frontmatter.sources_dropped);
  const fm = op.frontmatter ?? {};
  if (fm.title !== undefined) patch.title = fm.title;
  if (fm.trust !== undefined) patch.trust = fm.trust;
  if (fm.key !== undefined) patch.key = fm.key ?? undefined;
  const change: { frontmatter: FrontmatterPatch; body?: string } = { frontmatter: patch };
  if (op.body !== undefined) change.body = op.body;
  return [{ path: op.path, content: updateNote(note.content, change, op.path) }];
}

function verifyChanges(op: VerifyOperation, read: (path: string) => Note, now: string): FileChange[] {
  const note = read(op.path);
  const stamps: MemoryVerification[] = op.evidence.map((e) => ({ session: e.session, turn: e.turn, at: e.at ?? now, note: op.note }));
  const verified = unionEntries(listOf<MemoryVerification>(note.frontmatter.verified), stamps);
  if (!verified) return [];
  return [{ path: op.path, content: updateNote(note.content, { frontmatter: { verified } }, op.path) }];
}

function newMemoryContent(op: CreatingOperation, now: string, id: string): string {
  const sources: MemorySource[] = [];
  const seen = new Set<string>();
  for (const e of op.evidence) {
    if (seen.has(e.session)) continue;
    seen.add(e.session);
    sources.push(stampOf(e, now));
  }
  const fm: MemoryFrontmatter = { id, title: op.title, type: op.type };
  if (op.tags && op.tags.length > 0) fm.tags = op.tags;
  fm.created = now;
  fm.updated = now;
  const capped = capSources(sources, 0);
  fm.sources = capped.sources;
  if (capped.dropped > 0) fm.sources_dropped = capped.dropped;
  if (op.kind === "learn") {
    fm.support = op.support;
    fm.confidence = op.confidence;
  }
  fm.trust = op.trust;
  return renderNote(fm, op.body);
}
