import { createHash } from "node:crypto";
import type { TranscriptFormat } from "./types.js";

/**
 * The `ses_…` id of an imported session: `ses_` + the first 24 hex digits (96 bits) of a SHA-256.
 *
 * - When the source names its own session (Claude Code and Gemini CLI `sessionId`), the hash is
 *   over `<format>:<sessionId>`. Those agents append to (or rewrite) one file as the session goes
 *   on, so a re-import of a grown file keeps its id and *updates* the session instead of adding a
 *   second copy; turns are positions in file order, so the turns already cited (`ses_…#14`) keep
 *   their meaning. Two copies of one session (e.g. snapshots taken at different times) share an
 *   id; the import keeps the later one (see `importTranscripts`).
 * - Otherwise (message arrays, the text export) the hash is over the source bytes: there is
 *   nothing else stable to key on, and an edited file is a different conversation.
 *
 * Either way the same source bytes always give the same id, and a re-import of unchanged bytes is
 * recognised by the same id plus the same `source.sha256`.
 */
export function sessionIdFor(format: TranscriptFormat, sourceSha256: string, nativeId?: string): string {
  const basis = nativeId !== undefined ? createHash("sha256").update(`${format}:${nativeId}`).digest("hex") : sourceSha256;
  return `ses_${basis.slice(0, 24)}`;
}
