import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { estimateTokens, promptChars, PromptCache, type PromptUsage } from "./prompt-cache.js";
import type { FakeContentBlock, FakeMessageReply, FakeReply } from "./replies.js";
import { chunks, writeEvent } from "./sse.js";

/** Which endpoint a logged request hit. */
export type FakeRequestKind = "messages" | "count_tokens" | "batch_create" | "batch_retrieve" | "batch_results" | "batch_item" | "other";

/** A request the fake received, as the script and the log see it. */
export interface FakeRequest {
  /** 0-based position in the log. */
  index: number;
  kind: FakeRequestKind;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (for `batch_item`, the item's `params`). */
  body: Record<string, unknown> | undefined;
  /** Characters of the raw body (for `batch_item`, of its `params` JSON). */
  chars: number;
  /** Characters of the prompt text: tools, system and messages. */
  promptChars: number;
  /** Estimated prompt tokens (characters / 4). */
  tokens: number;
  stream: boolean;
  /** The `custom_id` of a `batch_item`. */
  customId?: string;
}

/** A logged request with what the fake answered. */
export interface FakeLogEntry extends FakeRequest {
  status: number;
  /** Id of the message answered, if any. */
  responseId?: string;
  usage?: FakeReportedUsage;
}

/** Usage as the fake reported it for one message. */
export type FakeReportedUsage = PromptUsage & { output_tokens: number };

/** Decides the answer to a Messages request (queued replies go first). */
export type FakeResponder = (request: FakeRequest) => FakeReply | Promise<FakeReply>;

export interface FakeAnthropicOptions {
  /** Answers requests when the queue is empty. Without one, an unscripted request gets a 400. */
  responder?: FakeResponder;
  /**
   * Behave like a local Anthropic-compatible server (Ollama, llama.cpp, LM Studio): 400 on
   * `cache_control` or `tool_choice`, 404 on count_tokens and Message Batches.
   * @default false
   */
  local?: boolean;
  /** Prefixes shorter than this are not cached (the API has a per-model minimum). @default 0 */
  minCacheTokens?: number;
  /** Retrieves of a Message Batch before it reports `ended`. @default 1 */
  batchPollsUntilEnded?: number;
}

/** A running fake Anthropic server on 127.0.0.1. */
export interface FakeAnthropic {
  /** `http://127.0.0.1:<port>`: pass as the SDK's `baseURL`. */
  readonly url: string;
  /** Every request received, in order (batch items are logged as `batch_item`). */
  readonly log: FakeLogEntry[];
  /** Replies used, in order, before the responder. */
  enqueue(...replies: FakeReply[]): void;
  /** Replaces the responder. */
  respond(responder: FakeResponder | undefined): void;
  /** Switches local-server behaviour on or off. */
  setLocal(local: boolean): void;
  /** Messages requests only (`messages` and `batch_item`). */
  messageRequests(): FakeLogEntry[];
  /** Forgets cached prompt prefixes. */
  clearCache(): void;
  close(): Promise<void>;
}

interface StoredBatch {
  id: string;
  created_at: string;
  polls: number;
  lines: string[];
  counts: { succeeded: number; errored: number };
}

function hasCacheControl(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasCacheControl);
  if (typeof value !== "object" || value === null) return false;
  for (const [k, v] of Object.entries(value)) if (k === "cache_control" ? v != null : hasCacheControl(v)) return true;
  return false;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "request-id": `req_fake_${Date.now()}`, ...headers });
  res.end(text);
}

function errorBody(type: string, message: string): unknown {
  return { type: "error", error: { type, message } };
}

function outputText(content: readonly FakeContentBlock[]): string {
  return content.map((b) => (b.type === "text" ? b.text : (b.rawInputJson ?? JSON.stringify(b.input)))).join("");
}

/**
 * Starts a fake of the Anthropic Messages API on loopback (port 0): `POST /v1/messages`
 * (JSON and SSE streaming), `POST /v1/messages/count_tokens`, and Message Batches (create,
 * retrieve, results). Answers come from a queue or a responder; faults (429 with
 * `retry-after`, 500, 529, held responses, malformed bodies, dropped connections) are scripted
 * the same way. Usage is computed from the prompt (characters / 4) with prompt caching modelled
 * on the `cache_control` prefixes seen before, unless a reply pins it.
 *
 * @example
 * const fake = await startFakeAnthropic();
 * fake.enqueue(fault.rateLimited(2), reply.toolUse("propose_operations", { operations: [] }));
 * const client = new Anthropic({ apiKey: "test", baseURL: fake.url });
 */
export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const queue: FakeReply[] = [];
  let responder = options.responder;
  let local = options.local ?? false;
  const cache = new PromptCache(options.minCacheTokens ?? 0);
  const log: FakeLogEntry[] = [];
  const batches = new Map<string, StoredBatch>();
  let messageCounter = 0;
  let url = "";

  const nextReply = async (request: FakeRequest): Promise<FakeReply> => {
    const queued = queue.shift();
    if (queued) return queued;
    if (responder) return responder(request);
    return { kind: "error", status: 400, type: "invalid_request_error", message: `fake-anthropic: no scripted reply for request #${request.index}` };
  };

  const buildMessage = (body: Record<string, unknown>, r: FakeMessageReply): { message: Record<string, unknown>; usage: FakeReportedUsage } => {
    const prompt = cache.usage(body, !local);
    const usage = { ...prompt, output_tokens: estimateTokens(outputText(r.content)) };
    if (r.usage) Object.assign(usage, r.usage);
    const content = r.content.map((b, i) =>
      b.type === "text" ? { type: "text", text: b.text } : { type: "tool_use", id: b.id ?? `toolu_fake_${messageCounter + 1}_${i}`, name: b.name, input: b.input },
    );
    const stop = r.stop_reason ?? (r.content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn");
    const message = {
      id: r.id ?? `msg_fake_${++messageCounter}`,
      type: "message",
      role: "assistant",
      model: String(body.model ?? "claude-fake"),
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage,
    };
    return { message, usage };
  };

  const describe = (req: IncomingMessage, raw: string, kind: FakeRequestKind): FakeRequest => {
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = raw === "" ? undefined : JSON.parse(raw);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    const pc = body && (kind === "messages" || kind === "count_tokens") ? promptChars(body) : 0;
    return {
      index: log.length,
      kind,
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers: req.headers,
      body,
      chars: raw.length,
      promptChars: pc,
      tokens: Math.ceil(pc / 4),
      stream: body?.stream === true,
    };
  };

  const localRefusal = (body: Record<string, unknown>): string | undefined => {
    if (hasCacheControl(body)) return "cache_control is not supported by this server";
    if (body.tool_choice !== undefined) return "tool_choice is not supported by this server";
    return undefined;
  };

  const sleepUnlessClosed = (ms: number, res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(true), ms);
      res.on("close", () => {
        clearTimeout(timer);
        resolve(false);
      });
    });

  const answerMessages = async (req: IncomingMessage, res: ServerResponse, entry: FakeLogEntry): Promise<void> => {
    const body = entry.body;
    if (!body) {
      entry.status = 400;
      return sendJson(res, 400, errorBody("invalid_request_error", "body is not a JSON object"));
    }
    const refusal = local ? localRefusal(body) : undefined;
    if (refusal) {
      entry.status = 400;
      return sendJson(res, 400, errorBody("invalid_request_error", refusal));
    }
    let r = await nextReply(entry);
    while (r.kind === "delay") {
      if (!(await sleepUnlessClosed(r.ms, res))) {
        entry.status = 0;
        return;
      }
      r = r.then;
    }
    switch (r.kind) {
      case "reset":
        entry.status = 0;
        req.socket.destroy();
        return;
      case "error":
        entry.status = r.status;
        return sendJson(res, r.status, errorBody(r.type, r.message), r.headers);
      case "malformed":
        entry.status = 200;
        if (entry.stream) {
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.write(`event: message_start\ndata: ${r.body}\n\n`);
          res.end();
          return;
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(r.body);
        return;
      case "message": {
        const { message, usage } = buildMessage(body, r);
        entry.status = 200;
        entry.responseId = String(message.id);
        entry.usage = usage;
        if (!entry.stream) return sendJson(res, 200, message);
        return streamMessage(res, message, r);
      }
    }
  };

  const streamMessage = (res: ServerResponse, message: Record<string, unknown>, r: FakeMessageReply): void => {
    const usage = message.usage as Record<string, number>;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    writeEvent(res, "message_start", { type: "message_start", message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } });
    (message.content as Array<Record<string, unknown>>).forEach((block, index) => {
      const scripted = r.content[index]!;
      if (block.type === "text") {
        writeEvent(res, "content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
        for (const c of chunks(String(block.text))) writeEvent(res, "content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: c } });
      } else {
        writeEvent(res, "content_block_start", { type: "content_block_start", index, content_block: { ...block, input: {} } });
        const json = scripted.type === "tool_use" && scripted.rawInputJson !== undefined ? scripted.rawInputJson : JSON.stringify(block.input);
        for (const c of chunks(json)) writeEvent(res, "content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: c } });
      }
      writeEvent(res, "content_block_stop", { type: "content_block_stop", index });
    });
    writeEvent(res, "message_delta", { type: "message_delta", delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage });
    writeEvent(res, "message_stop", { type: "message_stop" });
    res.end();
  };

  const batchObject = (b: StoredBatch): Record<string, unknown> => {
    const ended = b.polls >= (options.batchPollsUntilEnded ?? 1);
    const total = b.lines.length;
    return {
      id: b.id,
      type: "message_batch",
      processing_status: ended ? "ended" : "in_progress",
      request_counts: ended ? { processing: 0, succeeded: b.counts.succeeded, errored: b.counts.errored, canceled: 0, expired: 0 } : { processing: total, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      created_at: b.created_at,
      ended_at: ended ? b.created_at : null,
      expires_at: b.created_at,
      archived_at: null,
      cancel_initiated_at: null,
      results_url: ended ? `${url}/v1/messages/batches/${b.id}/results` : null,
    };
  };

  const createBatch = async (res: ServerResponse, entry: FakeLogEntry): Promise<void> => {
    const items = Array.isArray(entry.body?.requests) ? (entry.body.requests as Array<{ custom_id?: unknown; params?: unknown }>) : [];
    const batch: StoredBatch = { id: `msgbatch_fake_${batches.size + 1}`, created_at: new Date(0).toISOString(), polls: 0, lines: [], counts: { succeeded: 0, errored: 0 } };
    for (const item of items) {
      const params = (typeof item.params === "object" && item.params !== null ? item.params : {}) as Record<string, unknown>;
      const raw = JSON.stringify(params);
      const pc = promptChars(params);
      const sub: FakeLogEntry = {
        index: log.length,
        kind: "batch_item",
        method: "POST",
        path: "/v1/messages (batch)",
        headers: {},
        body: params,
        chars: raw.length,
        promptChars: pc,
        tokens: Math.ceil(pc / 4),
        stream: false,
        customId: String(item.custom_id),
        status: 0,
      };
      log.push(sub);
      let r = await nextReply(sub);
      while (r.kind === "delay") r = r.then;
      const customId = String(item.custom_id);
      if (r.kind === "message") {
        const { message, usage } = buildMessage(params, r);
        sub.status = 200;
        sub.responseId = String(message.id);
        sub.usage = usage;
        batch.counts.succeeded++;
        batch.lines.push(JSON.stringify({ custom_id: customId, result: { type: "succeeded", message } }));
      } else {
        const status = r.kind === "error" ? r.status : 500;
        sub.status = status;
        batch.counts.errored++;
        const type = r.kind === "error" ? r.type : "api_error";
        const msg = r.kind === "error" ? r.message : "Internal server error";
        batch.lines.push(JSON.stringify({ custom_id: customId, result: { type: "errored", error: errorBody(type, msg) } }));
      }
    }
    batches.set(batch.id, batch);
    entry.status = 200;
    sendJson(res, 200, batchObject(batch));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const path = (req.url ?? "/").split("?")[0]!;
    const method = req.method ?? "GET";
    let kind: FakeRequestKind = "other";
    let batchId: string | undefined;
    if (method === "POST" && path === "/v1/messages") kind = "messages";
    else if (method === "POST" && path === "/v1/messages/count_tokens") kind = "count_tokens";
    else if (method === "POST" && path === "/v1/messages/batches") kind = "batch_create";
    else {
      const m = /^\/v1\/messages\/batches\/([\w-]+)(\/results)?$/.exec(path);
      if (m && method === "GET") {
        batchId = m[1];
        kind = m[2] ? "batch_results" : "batch_retrieve";
      }
    }
    const entry: FakeLogEntry = { ...describe(req, raw, kind), status: 0 };
    log.push(entry);
    if (local && kind !== "messages") {
      entry.status = 404;
      return sendJson(res, 404, errorBody("not_found_error", `${method} ${path} is not supported by this server`));
    }
    switch (kind) {
      case "messages":
        return answerMessages(req, res, entry);
      case "count_tokens": {
        if (!entry.body) return sendJson(res, 400, errorBody("invalid_request_error", "body is not a JSON object"));
        entry.status = 200;
        const u = cache.usage(entry.body, false);
        return sendJson(res, 200, { input_tokens: u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens });
      }
      case "batch_create":
        return createBatch(res, entry);
      case "batch_retrieve":
      case "batch_results": {
        const b = batches.get(batchId!);
        if (!b) {
          entry.status = 404;
          return sendJson(res, 404, errorBody("not_found_error", `no batch ${batchId}`));
        }
        entry.status = 200;
        if (kind === "batch_retrieve") {
          b.polls++;
          return sendJson(res, 200, batchObject(b));
        }
        res.writeHead(200, { "content-type": "application/binary" });
        res.end(b.lines.map((l) => `${l}\n`).join(""));
        return;
      }
      default:
        entry.status = 404;
        return sendJson(res, 404, errorBody("not_found_error", `${method} ${path} is not part of the fake`));
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody("api_error", `fake-anthropic: ${String(err)}`));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    log,
    enqueue: (...replies) => void queue.push(...replies),
    respond: (r) => {
      responder = r;
    },
    setLocal: (value) => {
      local = value;
    },
    messageRequests: () => log.filter((e) => e.kind === "messages" || e.kind === "batch_item"),
    clearCache: () => cache.clear(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
