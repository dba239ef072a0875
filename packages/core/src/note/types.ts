/** Provenance of a memory: which session turn it came from (DESIGN §2). */
export interface MemorySource {
  /** Absent when an agent or person wrote it outside any recorded session. */
  session?: string;
  turn?: number;
  at?: string;
  agent?: string;
}

/** A later session that re-confirmed a memory, stamped by a dream's `verify` operation. */
export interface MemoryVerification {
  session: string;
  turn?: number;
  at?: string;
  note?: string;
}

export type Trust = "normal" | "low";

/** The front-matter fields reverie understands. Any other key is kept as it is. */
export interface MemoryFrontmatter {
  id?: string;
  title?: string;
  /** fact | preference | playbook | lesson | note — an open set. */
  type?: string;
  /** Subject key: one current value per key. */
  key?: string;
  tags?: string[];
  created?: string;
  updated?: string;
  sources?: MemorySource[];
  /** How many `sources` entries reverie dropped to keep at most 50 (the first and the latest; note/sources-cap.ts). */
  sources_dropped?: number;
  verified?: MemoryVerification[];
  trust?: Trust;
  [other: string]: unknown;
}

/** One memory file as read from disk or from a commit. */
export interface Note {
  /** Relative POSIX path inside the memory namespace, e.g. `prefs/pm.md`. */
  path: string;
  /** The exact file text. */
  content: string;
  /** Content hash of `content` (lowercase hex SHA-256 of its UTF-8 bytes). */
  sha256: string;
  /** Parsed front-matter; `{}` when the file has none. */
  frontmatter: MemoryFrontmatter;
  /** Whether the file has a front-matter block at all. */
  hasFrontmatter: boolean;
  /** The Markdown after the front-matter. */
  body: string;
}
