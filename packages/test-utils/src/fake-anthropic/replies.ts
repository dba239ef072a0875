/**
 * What the fake Anthropic server answers: a message (as the Messages API returns it) or a
 * fault (an error status, a held response, a broken body, a dropped connection).
 */

/** A content block of a scripted answer. */
export type FakeContentBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id?: string; name: string; input: unknown; /** Sent as-is instead of `input` (streaming only), to script broken tool JSON. */ rawInputJson?: string };

/** Token counts a scripted answer reports; absent fields are computed by the server. */
export interface FakeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

/** A successful answer. */
export interface FakeMessageReply {
  kind: "message";
  content: FakeContentBlock[];
  /** @default "tool_use" when a tool_use block is present, else "end_turn" */
  stop_reason?: "end_turn" | "tool_use" | "max_tokens" | "stop_sequence";
  /** Overrides the computed usage field by field. */
  usage?: FakeUsage;
  /** Message id; the same id twice scripts a duplicated response. @default "msg_fake_<n>" */
  id?: string;
}

/** An HTTP error with the API's error body. */
export interface FakeErrorReply {
  kind: "error";
  status: number;
  /** The API's `error.type` (e.g. `rate_limit_error`, `overloaded_error`). */
  type: string;
  message: string;
  headers?: Record<string, string>;
}

/** A 200 whose body is not valid JSON (or, when streaming, an event whose data is not). */
export interface FakeMalformedReply {
  kind: "malformed";
  body: string;
}

/** The connection is destroyed without a response. */
export interface FakeResetReply {
  kind: "reset";
}

/** Waits `ms` before answering with `then` (a client with a shorter timeout gives up first). */
export interface FakeDelayReply {
  kind: "delay";
  ms: number;
  then: FakeReply;
}

export type FakeReply = FakeMessageReply | FakeErrorReply | FakeMalformedReply | FakeResetReply | FakeDelayReply;

/** Builders for scripted answers. */
export const reply = {
  /** An answer that calls `name` with `input`. */
  toolUse(name: string, input: unknown, extra: Partial<Omit<FakeMessageReply, "kind" | "content">> = {}): FakeMessageReply {
    return { kind: "message", content: [{ type: "tool_use", name, input }], ...extra };
  },
  /** A plain text answer. */
  text(text: string, extra: Partial<Omit<FakeMessageReply, "kind" | "content">> = {}): FakeMessageReply {
    return { kind: "message", content: [{ type: "text", text }], ...extra };
  },
  /** A tool call whose streamed input JSON is `rawJson` verbatim (e.g. cut short). */
  brokenToolUse(name: string, rawJson: string): FakeMessageReply {
    return { kind: "message", content: [{ type: "tool_use", name, input: {}, rawInputJson: rawJson }] };
  },
} as const;

/** Builders for faults. */
export const fault = {
  /** 429 `rate_limit_error`, with `retry-after` in seconds when given. */
  rateLimited(retryAfterSeconds?: number): FakeErrorReply {
    return { kind: "error", status: 429, type: "rate_limit_error", message: "Number of request tokens has exceeded your rate limit.", ...(retryAfterSeconds !== undefined && { headers: { "retry-after": String(retryAfterSeconds) } }) };
  },
  /** 500 `api_error`. */
  server(): FakeErrorReply {
    return { kind: "error", status: 500, type: "api_error", message: "Internal server error" };
  },
  /** 529 `overloaded_error`. */
  overloaded(): FakeErrorReply {
    return { kind: "error", status: 529, type: "overloaded_error", message: "Overloaded" };
  },
  /** Any status with the API's error body. */
  status(status: number, type: string, message: string, headers?: Record<string, string>): FakeErrorReply {
    return { kind: "error", status, type, message, ...(headers && { headers }) };
  },
  /** A 200 with a body that is not JSON. */
  malformed(body = '{"id":"msg_broken","content":[{"type":"text","te'): FakeMalformedReply {
    return { kind: "malformed", body };
  },
  /** Destroys the connection. */
  reset(): FakeResetReply {
    return { kind: "reset" };
  },
  /** Holds the answer for `ms` (a timeout for any client waiting less). */
  delay(ms: number, then: FakeReply): FakeDelayReply {
    return { kind: "delay", ms, then };
  },
} as const;

/** Text of the first user turn of a Messages request body (the task of a dream request). */
export function firstUserText(body: Record<string, unknown> | undefined): string {
  const first = (Array.isArray(body?.messages) ? body.messages[0] : undefined) as { content?: unknown } | undefined;
  if (typeof first?.content === "string") return first.content;
  if (!Array.isArray(first?.content)) return "";
  return first.content.map((b: { text?: unknown }) => (typeof b.text === "string" ? b.text : "")).join("");
}
