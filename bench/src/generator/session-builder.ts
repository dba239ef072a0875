import type { Session, SessionEvent } from "@reverie/dream";

/**
 * Builds one normalized session event by event: every event takes the next turn and a time
 * a few seconds after the previous one, and each tool call is a `tool_use` + `tool_result` pair.
 */
export class SessionBuilder {
  readonly id: string;
  readonly started: string;
  private readonly events: SessionEvent[] = [];
  private turn = 0;
  private calls = 0;
  private readonly t0: number;

  constructor(id: string, started: string, private readonly agent = "coder-1") {
    this.id = id;
    this.started = started;
    this.t0 = Date.parse(started);
  }

  private at(): string {
    return new Date(this.t0 + this.turn * 7_000).toISOString();
  }

  /** Turn of the last event written. */
  get lastTurn(): number {
    return this.turn;
  }

  /** Time of the last event written. */
  get lastAt(): string {
    return this.at();
  }

  user(text: string): number {
    this.turn++;
    this.events.push({ type: "message", turn: this.turn, role: "user", text, at: this.at() });
    return this.turn;
  }

  assistant(text: string): number {
    this.turn++;
    this.events.push({ type: "message", turn: this.turn, role: "assistant", text, at: this.at() });
    return this.turn;
  }

  /** A tool call and its result; returns the turn of the result. */
  call(name: string, input: Record<string, unknown>, output: string, isError = false): number {
    const id = `toolu_${this.id.slice(4)}_${++this.calls}`;
    this.turn++;
    this.events.push({ type: "tool_use", turn: this.turn, id, name, input, at: this.at() });
    this.turn++;
    this.events.push({ type: "tool_result", turn: this.turn, tool_use_id: id, is_error: isError, text: output, at: this.at() });
    return this.turn;
  }

  /** The agent writing a memory with the memory tool; returns the turn of the call. */
  memoryWrite(path: string, text: string): number {
    const id = `toolu_${this.id.slice(4)}_${++this.calls}`;
    this.turn++;
    const turn = this.turn;
    this.events.push({ type: "tool_use", turn, id, name: "memory", input: { command: "create", path: `/memories/${path}`, file_text: text }, memory: { command: "create", path, text }, at: this.at() });
    this.turn++;
    this.events.push({ type: "tool_result", turn: this.turn, tool_use_id: id, is_error: false, text: `File created successfully at: /memories/${path}`, at: this.at() });
    return turn;
  }

  bash(command: string, output: string, isError = false): number {
    return this.call("Bash", { command }, output, isError);
  }

  /** The finished session. */
  build(): Session {
    return {
      header: {
        type: "session",
        id: this.id,
        agent: this.agent,
        started: this.started,
        ended: this.at(),
        cwd: "/work/app",
        source: { format: "reverie", path: `/bench/${this.id}.jsonl`, sha256: "0".repeat(64) },
        outcome: { status: "success" },
      },
      events: [...this.events],
    };
  }
}
