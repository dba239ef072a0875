/** Builders for hand-made consolidation scenarios in tests (not part of the public API). */
import { parseNote, renderNote, type MemoryFrontmatter, type Note } from "@reverie/core";
import type { Session, SessionEvent } from "../transcripts/types.js";

/** A memory file as the store would hand it over. */
export function note(path: string, frontmatter: MemoryFrontmatter, body: string): Note {
  return parseNote(path, renderNote(frontmatter, body));
}

type Step =
  | { user: string }
  | { assistant: string }
  | { tool?: string; run: string; ok?: string; error?: string }
  | { toolOutput: string };

/** A session from steps; every event gets the next turn, tool calls take two (use, result). */
export function session(sessionId: string, started: string, steps: Step[], header: { cwd?: string } = {}): Session {
  const events: SessionEvent[] = [];
  let turn = 0;
  let call = 0;
  const at = (t: number) => new Date(Date.parse(started) + t * 1000).toISOString();
  for (const step of steps) {
    if ("user" in step) events.push({ type: "message", turn: ++turn, role: "user", text: step.user, at: at(turn) });
    else if ("assistant" in step) events.push({ type: "message", turn: ++turn, role: "assistant", text: step.assistant, at: at(turn) });
    else if ("toolOutput" in step) {
      const id = `toolu_${sessionId.replace(/\W/g, "")}_${++call}`;
      events.push({ type: "tool_use", turn: ++turn, id, name: "WebFetch", input: { url: "https://example.com/readme" }, at: at(turn) });
      events.push({ type: "tool_result", turn: ++turn, tool_use_id: id, is_error: false, text: step.toolOutput, at: at(turn) });
    } else {
      const id = `toolu_${sessionId.replace(/\W/g, "")}_${++call}`;
      events.push({ type: "tool_use", turn: ++turn, id, name: step.tool ?? "Bash", input: { command: step.run }, at: at(turn) });
      const isError = step.error !== undefined;
      events.push({ type: "tool_result", turn: ++turn, tool_use_id: id, is_error: isError, text: step.error ?? step.ok ?? "", at: at(turn) });
    }
  }
  return {
    header: { type: "session", id: sessionId, started, ended: at(turn), source: { format: "reverie", path: `/tmp/${sessionId}.jsonl`, sha256: "0".repeat(64) }, ...header },
    events,
  };
}
