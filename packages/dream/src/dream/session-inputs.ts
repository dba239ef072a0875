import { stat } from "node:fs/promises";
import { ReverieError } from "@reverie/core";
import { importTranscripts } from "../transcripts/import.js";
import { isSessionId, listSessions, readSession } from "../transcripts/normalized.js";
import type { Session } from "../transcripts/types.js";

export interface ResolvedSessions {
  sessions: Session[];
  /** Things worth telling the user that did not stop the dream (skipped lines, files that were not transcripts). */
  warnings: string[];
}

/**
 * Turns `--sessions` inputs into sessions: files and folders are imported into the memory's
 * `.reverie/sessions/` first (so every `ses_…#turn` a dream cites can be looked up later),
 * `ses_…` ids are read from there, and no input at all means every imported session.
 * There is no cap on how many. `onProgress` hears each transcript imported, then each session read.
 */
export async function resolveSessions(
  memoryDir: string,
  inputs: readonly string[] | undefined,
  options: { signal?: AbortSignal; onProgress?: (progress: { step: "importing transcripts" | "reading sessions"; done: number; total: number }) => void } = {},
): Promise<ResolvedSessions> {
  const { signal, onProgress } = options;
  const warnings: string[] = [];
  const ids: string[] = [];
  const paths: string[] = [];
  if (!inputs || inputs.length === 0) {
    const listing = await listSessions(memoryDir);
    ids.push(...listing.sessions.map((s) => s.id));
    for (const problem of listing.problems) warnings.push(`${problem.file}: ${problem.reason}`);
  } else {
    for (const input of inputs) {
      if (isSessionId(input) && !(await stat(input).catch(() => null))) ids.push(input);
      else paths.push(input);
    }
  }
  if (paths.length > 0) {
    const imported = await importTranscripts({
      memoryDir,
      inputs: paths,
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress: ({ done, total }: { done: number; total: number }) => onProgress({ step: "importing transcripts", done, total }) } : {}),
    });
    for (const bad of imported.badLines) warnings.push(`${bad.file}:${bad.line}: skipped: ${bad.reason}`);
    for (const failed of imported.failed) warnings.push(`${failed.file}: not imported: ${failed.message}`);
    for (const session of imported.sessions) {
      if (session.status === "skipped") warnings.push(`${session.file}: ${session.reason ?? "skipped"}`);
      ids.push(session.id);
    }
    if (imported.sessions.length === 0 && imported.failed.length === 0) {
      throw new ReverieError("NOT_FOUND", `No transcripts found in ${paths.join(", ")}. Give transcript files or folders (Claude Code .jsonl, Anthropic/OpenAI/Gemini .json, reverie .jsonl).`, {
        inputs: paths,
      });
    }
  }
  const unique = [...new Set(ids)];
  const sessions: Session[] = [];
  for (const id of unique) {
    signal?.throwIfAborted();
    sessions.push(await readSession(memoryDir, id));
    onProgress?.({ step: "reading sessions", done: sessions.length, total: unique.length });
  }
  return { sessions, warnings };
}
