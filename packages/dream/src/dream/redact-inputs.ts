import { parseNote, redactSecretsInTexts, type Note, type SecretKind } from "@reverie/core";
import type { MemoryOperation, Session, SessionEvent, SessionHeader } from "../transcripts/types.js";

/** What a dream redacted before any consolidator saw its inputs: how many secrets, of which kinds. Never the values. */
export interface InputRedactions {
  count: number;
  /** Kind → how many of that kind, kinds in alphabetical order. */
  kinds: Record<string, number>;
}

export interface RedactedInputs {
  sessions: Session[];
  memories: Note[];
  redacted: InputRedactions;
}

/**
 * Every credential in a dream's inputs replaced by `<redacted:kind>` before a consolidator reads
 * them: in sessions, user and assistant text, tool inputs (every string of the JSON, keys too),
 * tool results, summaries, memory-tool commands, and the header's title and working directory;
 * in memories, the file text (a pulled memory may hold one; `reverie doctor` reports it). The
 * offline consolidator and the model then never see a secret, so no operation can carry one
 * into a memory, a file name, a commit message or a prompt. Turns, ids and paths stay as they
 * are, so evidence still cites real turns and operations name real memories.
 *
 * Each session is scanned in one pass over all its texts (see `redactSecretsInTexts`).
 */
export async function redactDreamInputs(sessions: readonly Session[], memories: readonly Note[], signal?: AbortSignal): Promise<RedactedInputs> {
  const kinds: SecretKind[] = [];
  const outSessions: Session[] = [];
  for (const session of sessions) {
    signal?.throwIfAborted();
    const texts: string[] = [];
    mapSessionStrings(session, (s) => {
      texts.push(s);
      return s;
    });
    const redacted = await redactSecretsInTexts(texts);
    if (redacted.kinds.length === 0) {
      outSessions.push(session);
      continue;
    }
    kinds.push(...redacted.kinds);
    let i = 0;
    outSessions.push(mapSessionStrings(session, () => redacted.texts[i++]!));
  }
  const notes = await redactSecretsInTexts(memories.map((n) => n.content));
  kinds.push(...notes.kinds);
  const outMemories = memories.map((note, i) => (notes.texts[i] === note.content ? note : reparsed(note, notes.texts[i]!)));
  const counts: Record<string, number> = {};
  for (const kind of [...kinds].sort()) counts[kind] = (counts[kind] ?? 0) + 1;
  return { sessions: outSessions, memories: outMemories, redacted: { count: kinds.length, kinds: counts } };
}

/** A memory with its text redacted; its front-matter reparsed, or, if the marker made it unparseable, dropped to keep the secret out. */
function reparsed(note: Note, content: string): Note {
  try {
    return parseNote(note.path, content);
  } catch {
    return { ...note, content, frontmatter: {}, body: content };
  }
}

/** A copy of `session` with `f` applied to every string a consolidator could read, always in the same order. */
function mapSessionStrings(session: Session, f: (text: string) => string): Session {
  const header: SessionHeader = { ...session.header };
  if (header.title !== undefined) header.title = f(header.title);
  if (header.cwd !== undefined) header.cwd = f(header.cwd);
  if (header.outcome?.detail !== undefined) header.outcome = { ...header.outcome, detail: f(header.outcome.detail) };
  return { header, events: session.events.map((event) => mapEventStrings(event, f)) };
}

function mapEventStrings(event: SessionEvent, f: (text: string) => string): SessionEvent {
  switch (event.type) {
    case "message":
    case "tool_result":
    case "summary":
      return { ...event, text: f(event.text) };
    case "tool_use": {
      const out = { ...event, input: mapJsonStrings(event.input, f) };
      if (event.memory) out.memory = mapMemoryStrings(event.memory, f);
      return out;
    }
  }
}

function mapMemoryStrings(op: MemoryOperation, f: (text: string) => string): MemoryOperation {
  const out: MemoryOperation = { ...op };
  if (op.path !== undefined) out.path = f(op.path);
  if (op.newPath !== undefined) out.newPath = f(op.newPath);
  if (op.text !== undefined) out.text = f(op.text);
  return out;
}

function mapJsonStrings(value: unknown, f: (text: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (Array.isArray(value)) return value.map((v) => mapJsonStrings(v, f));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = f(k);
      out[key] = mapJsonStrings(v, f);
    }
    return out;
  }
  return value;
}
