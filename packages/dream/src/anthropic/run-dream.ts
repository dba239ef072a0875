import { isReverieError, ReverieError, type Note } from "@reverie/core";
import type { ConsolidateCheckpoint, ConsolidateContext, ConsolidateInput, ConsolidateOutput, ConsolidateUsage } from "../consolidate/consolidator.js";
import type { DreamOperation } from "../consolidate/operations.js";
import { sortSessions } from "../offline/evidence.js";
import { parseInstructions } from "../offline/instructions.js";
import { gateOperations, turnLookup, type DroppedOperation } from "./gates.js";
import { planDream, requestKey, type DreamPlan, type PlannedRequest, type PlanOptions } from "./plan.js";
import { ANTHROPIC_PRICES, BATCH_DISCOUNT, costOf, priceFor, type ModelPrice } from "./pricing.js";
import { jsonAnswerInstructions, operationsTool } from "./prompt.js";
import { promptChars } from "./prompt-size.js";
import { reduceOperations, type SourcedOperation } from "./reduce.js";
import { canceled, Pacer, realSleep, withRetries, type ModelFailureType, type RetryOptions } from "./retry-policy.js";
import { OPERATIONS_TOOL, parseJsonAnswer, validateAnswer, type ModelAnswer, type Validation } from "./schema.js";
import type { MessageParams, ModelMessage, ModelTransport } from "./transport.js";
import { UsageLedger, type ReportedUsage } from "./usage-ledger.js";

/** Everything that tunes an anthropic dream, besides the transport. */
export interface AnthropicRunOptions extends PlanOptions, RetryOptions {
  model: string;
  /**
   * `true` for a local Anthropic-compatible server (no count_tokens, cache_control, forced
   * tool_choice or Batches: the answer is prompt-driven JSON, validated and repaired);
   * `"auto"` probes count_tokens once and falls back when the server lacks it.
   * @default "auto"
   */
  local?: boolean | "auto";
  /** Strict tool input (grammar-constrained) for the answer. @default true */
  strict?: boolean;
  /** Stream responses (SSE) instead of waiting for the whole body. @default false */
  stream?: boolean;
  /** Per-request timeout; a timed-out request is retried. @default 600000 */
  timeoutMs?: number;
  /** `max_tokens` of each request. @default 8192 */
  maxOutputTokens?: number;
  /** Output tokens a request is expected to use, for budget estimates. @default 1500 */
  expectedOutputTokens?: number;
  /** Follow-up requests that show the model its validation errors before a request fails. @default 1 */
  maxRepairs?: number;
  /**
   * Stop before spending more than this many USD: refused up front when the estimate does not
   * fit, stopped with `budget_exceeded` (finished requests kept) when a running dream would pass it.
   */
  budgetUsd?: number;
  /** Send through Message Batches (half price, answers within hours). @default false */
  batchApi?: boolean;
  /** Wait between polls of a Message Batch. @default 30000 */
  pollIntervalMs?: number;
  /** TTL of the cached prefix. @default "5m", or "1h" with `batchApi` */
  cacheTtl?: "5m" | "1h";
  /** Finished requests, so a resumed dream does not pay for them again. */
  checkpoint?: ConsolidateCheckpoint;
  /** Price table. @default ANTHROPIC_PRICES */
  prices?: Readonly<Record<string, ModelPrice>>;
  /** Clock for pacing after rate limits (tests pair it with `sleep`). @default Date.now */
  now?: () => number;
}

/** What one planned request cost and produced. */
export interface RequestRecord {
  label: string;
  kind: PlannedRequest["kind"];
  /** Answered from the checkpoint: nothing was sent. */
  resumed: boolean;
  /** HTTP requests sent for it: first try, retries and repairs. */
  attempts: number;
  /** Follow-ups that showed the model its validation errors. */
  repairs: number;
  responseIds: string[];
  /** Prompt characters of the last attempt sent (0 when resumed). */
  promptChars: number;
  /** Estimated prompt tokens of the last attempt sent (characters / 4). */
  promptTokens: number;
  usage: ConsolidateUsage;
  costUsd: number;
  /** Operations of this request that survived the gates and the merge. */
  operations: number;
}

/** The tokens and cost attributed to one operation (its share of the request that proposed it). */
export interface OperationUsage extends ConsolidateUsage {
  request: string;
  costUsd: number;
}

/** Totals of what a dream sent, for the bench. */
export interface SentStats {
  requests: number;
  promptChars: number;
  promptTokens: number;
  /** cache_read / (input + cache_creation + cache_read), 0 when nothing was sent. */
  cacheReadShare: number;
  rawSessionChars: number;
  compressedSessionChars: number;
}

/** The output of the anthropic consolidator. */
export interface AnthropicConsolidateOutput extends ConsolidateOutput {
  usage: ConsolidateUsage;
  costUsd: number;
  dropped: DroppedOperation[];
  requests: RequestRecord[];
  /** Parallel to `operations`. */
  operationUsage: OperationUsage[];
  /** Whether the dream ran in local-server mode (prompt-driven JSON, no caching). */
  local: boolean;
  sent: SentStats;
}

interface CheckpointRecord {
  v: 1;
  label: string;
  answer: ModelAnswer;
  responses: Array<{ id: string; usage: ReportedUsage; batch: boolean }>;
}

interface Capabilities {
  local: boolean;
}

function isCheckpointRecord(value: unknown): value is CheckpointRecord {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Partial<CheckpointRecord>;
  return r.v === 1 && Array.isArray(r.responses) && validateAnswer(r.answer).ok;
}

function modelError(type: ModelFailureType, message: string, data: Record<string, unknown> = {}): ReverieError {
  return new ReverieError("MODEL_ERROR", message, { type, retryable: type !== "budget_exceeded" && type !== "model_error", ...data });
}

function sumUsage(list: readonly ReportedUsage[]): ConsolidateUsage {
  const t: ConsolidateUsage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  for (const u of list) {
    t.input_tokens += u.input_tokens ?? 0;
    t.output_tokens += u.output_tokens ?? 0;
    t.cache_creation_input_tokens += u.cache_creation_input_tokens ?? 0;
    t.cache_read_input_tokens += u.cache_read_input_tokens ?? 0;
  }
  return t;
}

/** The Messages request of a planned request. */
export function buildParams(plan: DreamPlan, request: PlannedRequest, options: Pick<AnthropicRunOptions, "model" | "maxOutputTokens" | "strict" | "cacheTtl">, caps: Capabilities): MessageParams {
  const cache = caps.local ? {} : { cache_control: options.cacheTtl === "1h" ? { type: "ephemeral", ttl: "1h" } : { type: "ephemeral" } };
  const rules = caps.local ? `${plan.rules}\n\n${jsonAnswerInstructions()}` : plan.rules;
  const params: MessageParams = {
    model: options.model,
    max_tokens: options.maxOutputTokens ?? 8192,
    temperature: 0,
    system: [
      { type: "text", text: rules },
      { type: "text", text: plan.index, ...cache },
    ],
    messages: [{ role: "user", content: [{ type: "text", text: request.task }] }],
  };
  if (!caps.local) {
    params.tools = [operationsTool(options.strict ?? true)];
    params.tool_choice = { type: "tool", name: OPERATIONS_TOOL, disable_parallel_tool_use: true };
  }
  return params;
}

function answerText(message: ModelMessage): string {
  return message.content.map((b) => (b.type === "text" ? (b as { text: string }).text : "")).join("");
}

function readAnswer(message: ModelMessage, caps: Capabilities): Validation<ModelAnswer> {
  if (message.stop_reason === "max_tokens") return { ok: false, errors: ["the answer was cut off at max_tokens; propose fewer operations or shorter bodies"] };
  if (!caps.local) {
    const call = message.content.find((b): b is { type: "tool_use"; id: string; name: string; input: unknown } => b.type === "tool_use" && (b as { name?: string }).name === OPERATIONS_TOOL);
    if (call) return validateAnswer(call.input);
    const text = answerText(message);
    if (text.includes("{")) return parseJsonAnswer(text);
    return { ok: false, errors: [`the answer did not call ${OPERATIONS_TOOL}`] };
  }
  return parseJsonAnswer(answerText(message));
}

/** The request again, with the bad answer and its validation errors, so the model can repair it. */
function withRepair(params: MessageParams, message: ModelMessage, errors: readonly string[], caps: Capabilities): MessageParams {
  const list = errors.map((e) => `- ${e}`).join("\n");
  const messages = [...(params.messages as unknown[])];
  const call = caps.local ? undefined : message.content.find((b): b is { type: "tool_use"; id: string; name: string; input: unknown } => b.type === "tool_use");
  if (call) {
    messages.push({ role: "assistant", content: [{ type: "tool_use", id: call.id, name: call.name, input: call.input }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: call.id, is_error: true, content: `The answer is invalid:\n${list}\nCall ${OPERATIONS_TOOL} again with the complete, corrected answer.` }] });
  } else {
    const text = answerText(message).trim();
    messages.push({ role: "assistant", content: [{ type: "text", text: text === "" ? "(no answer)" : text }] });
    messages.push({ role: "user", content: [{ type: "text", text: `The answer is invalid:\n${list}\nReply again with only the complete, corrected JSON object.` }] });
  }
  return { ...params, messages };
}

interface Pending {
  request: PlannedRequest;
  key: string;
  params: MessageParams;
  repairs: number;
  failures: number;
  record: RequestRecord;
}

/**
 * Runs an anthropic dream over a transport: plans it locally, refuses it when the estimate
 * does not fit the budget, answers finished requests from the checkpoint, sends the others
 * (one by one with retries, or as Message Batches), repairs invalid answers once, applies the
 * gates, merges, and accounts for every token.
 */
export async function runAnthropicDream(transport: ModelTransport, input: ConsolidateInput, options: AnthropicRunOptions, ctx: ConsolidateContext = {}): Promise<AnthropicConsolidateOutput> {
  const signal = ctx.signal;
  const checkpoint = ctx.checkpoint ?? options.checkpoint;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const price = priceFor(options.model, options.prices ?? ANTHROPIC_PRICES);
  const ledger = new UsageLedger(price);
  const pacer = new Pacer(sleep, now);
  const maxRepairs = options.maxRepairs ?? 1;
  const expectedOutput = options.expectedOutputTokens ?? 1500;
  if (signal?.aborted) throw canceled(signal);

  const plan = planDream(input, options);
  const { policy } = parseInstructions(input.instructions);
  const memories = new Map<string, Note>(input.memories.map((n) => [n.path, n]));
  const turns = turnLookup(sortSessions(input.sessions));
  const batchApi = (options.batchApi ?? false) && transport.batches !== undefined;
  const runOptions = { ...options, cacheTtl: options.cacheTtl ?? (batchApi ? "1h" : "5m") } as const;

  const caps: Capabilities = { local: options.local === true };
  if (options.local === "auto" || options.local === undefined) {
    const first = plan.requests[0];
    if (first && transport.countTokens) {
      try {
        await transport.countTokens(buildParams(plan, first, runOptions, { local: false }), signal ? { signal } : {});
      } catch (err) {
        if (isReverieError(err, "CANCELED")) throw err;
        const d = isReverieError(err, "MODEL_ERROR") ? (err.data as { retryable?: boolean }) : {};
        caps.local = d.retryable !== true;
      }
    } else if (!transport.countTokens) {
      caps.local = true;
    }
  }
  const useBatches = batchApi && !caps.local;

  const retryOptions = { ...options, sleep, pacer, ...(signal && { signal }) };

  const records: RequestRecord[] = [];
  const answers = new Map<string, ModelAnswer>();
  const pending: Pending[] = [];
  for (const request of plan.requests) {
    const key = requestKey(options.model, plan, request);
    const record: RequestRecord = { label: request.label, kind: request.kind, resumed: false, attempts: 0, repairs: 0, responseIds: [], promptChars: 0, promptTokens: 0, usage: sumUsage([]), costUsd: 0, operations: 0 };
    records.push(record);
    const saved = checkpoint ? await checkpoint.get(key) : undefined;
    if (isCheckpointRecord(saved)) {
      record.resumed = true;
      for (const r of saved.responses) {
        ledger.add(r.id, r.usage, { label: request.label, batch: r.batch, resumed: true });
        record.responseIds.push(r.id);
      }
      answers.set(request.label, saved.answer);
      continue;
    }
    pending.push({ request, key, params: buildParams(plan, request, runOptions, caps), repairs: 0, failures: 0, record });
  }

  const discount = useBatches ? BATCH_DISCOUNT : 1;
  const estimate = (p: Pending, first: boolean): number => {
    const prefix = plan.prefixTokens + 400;
    const cached = caps.local ? { input_tokens: prefix, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } : first ? { input_tokens: 0, cache_creation_input_tokens: prefix, cache_read_input_tokens: 0 } : { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: prefix };
    return costOf({ ...cached, input_tokens: cached.input_tokens + p.request.taskTokens, output_tokens: expectedOutput }, price) * discount;
  };
  const budget = options.budgetUsd;
  if (budget !== undefined && pending.length > 0) {
    const projected = ledger.costUsd() + pending.reduce((sum, p, i) => sum + estimate(p, i === 0), 0);
    if (projected > budget) {
      throw modelError("budget_exceeded", `The dream is estimated to cost $${projected.toFixed(4)}, over its budget of $${budget.toFixed(4)}; nothing was sent. Raise --budget-usd, use a cheaper model, or dream over fewer sessions.`, {
        estimateUsd: projected,
        budgetUsd: budget,
        usage: ledger.totals(),
        costUsd: ledger.costUsd(),
      });
    }
  }
  const checkBudget = (next: readonly Pending[]) => {
    if (budget === undefined) return;
    const cost = ledger.costUsd();
    const projected = cost + next.reduce((sum, p) => sum + estimate(p, false), 0);
    if (cost >= budget || projected > budget) {
      throw modelError("budget_exceeded", `The dream stopped at $${cost.toFixed(4)} of its $${budget.toFixed(4)} budget before ${next.map((p) => p.request.label).join(", ")}; finished requests are kept for --resume.`, {
        budgetUsd: budget,
        costUsd: cost,
        usage: ledger.totals(),
        finished: records.filter((r) => answers.has(r.label)).map((r) => r.label),
      });
    }
  };
  const finish = async (p: Pending, answer: ModelAnswer) => {
    answers.set(p.request.label, answer);
    const responses = ledger.entries.filter((e) => e.label === p.request.label && !e.resumed).map((e) => ({ id: e.responseId, usage: e.usage, batch: e.batch }));
    if (checkpoint) await checkpoint.put(p.key, { v: 1, label: p.request.label, answer, responses } satisfies CheckpointRecord);
  };
  const accept = async (p: Pending, message: ModelMessage, batch: boolean): Promise<boolean> => {
    p.record.responseIds.push(message.id);
    ledger.add(message.id, message.usage, { label: p.request.label, batch });
    const answer = readAnswer(message, caps);
    if (answer.ok) {
      await finish(p, answer.value);
      return true;
    }
    if (p.repairs >= maxRepairs) {
      throw modelError("model_error", `The model's answer to ${p.request.label} is still invalid after ${p.repairs} repair request(s): ${answer.errors.slice(0, 5).join("; ")}. Finished requests are kept for --resume.`, {
        request: p.request.label,
        errors: answer.errors,
        usage: ledger.totals(),
        costUsd: ledger.costUsd(),
      });
    }
    p.repairs++;
    p.record.repairs++;
    p.params = withRepair(p.params, message, answer.errors, caps);
    return false;
  };
  const measure = (p: Pending) => {
    p.record.promptChars = promptChars(p.params);
    p.record.promptTokens = Math.ceil(p.record.promptChars / 4);
  };

  const total = plan.requests.length;
  const progress = () => ctx.onProgress?.({ stage: "consolidate", done: answers.size, total });
  progress();
  try {
    if (!useBatches) {
      for (const p of pending) {
        for (;;) {
          checkBudget([p]);
          measure(p);
          const message = await withRetries(async () => {
            p.record.attempts++;
            return transport.createMessage(p.params, { ...(signal && { signal }), stream: options.stream ?? false, ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) });
          }, retryOptions);
          if (await accept(p, message, false)) break;
        }
        progress();
      }
    } else {
      await runBatches(pending);
    }
  } catch (err) {
    if (isReverieError(err, "MODEL_ERROR") && err.data.usage === undefined) Object.assign(err.data, { usage: ledger.totals(), costUsd: ledger.costUsd() });
    throw err;
  }

  async function runBatches(list: Pending[]): Promise<void> {
    const batches = transport.batches!;
    const maxFailures = options.maxRetries ?? 4;
    let open = list;
    while (open.length > 0) {
      checkBudget(open);
      for (const p of open) {
        measure(p);
        p.record.attempts++;
      }
      const id = await withRetries(() => batches.submit(open.map((p) => ({ customId: p.request.label, params: p.params })), signal ? { signal } : {}), retryOptions);
      for (;;) {
        await sleep(options.pollIntervalMs ?? 30_000, signal);
        const status = await withRetries(() => batches.status(id, signal ? { signal } : {}), retryOptions);
        if (status === "ended") break;
      }
      const results = await withRetries(() => batches.results(id, signal ? { signal } : {}), retryOptions);
      const byId = new Map(results.map((r) => [r.customId, r]));
      const next: Pending[] = [];
      for (const p of open) {
        const r = byId.get(p.request.label);
        if (r?.message) {
          if (!(await accept(p, r.message, true))) next.push(p);
          continue;
        }
        const err = r?.error ?? modelError("model_error", `Message Batch ${id} returned no result for ${p.request.label}.`);
        const retryable = isReverieError(err, "MODEL_ERROR") && err.data.retryable === true;
        if (!retryable || ++p.failures > maxFailures) throw err;
        next.push(p);
      }
      progress();
      open = next;
    }
  }

  const gated: SourcedOperation[] = [];
  const dropped: DroppedOperation[] = [];
  for (const request of plan.requests) {
    const answer = answers.get(request.label);
    if (!answer) continue;
    const g = gateOperations(request.label, answer.operations, { memories, turns, policy });
    dropped.push(...g.dropped);
    for (const operation of g.operations) gated.push({ operation, request: request.label });
  }
  const reduced = reduceOperations(gated, input.memories, turns, input.now);
  dropped.push(...reduced.dropped);
  const operations: DreamOperation[] = reduced.kept.map((s) => s.operation);

  const operationUsage = attribute(reduced.kept, ledger, price);
  for (const r of records) {
    const entries = ledger.entries.filter((e) => e.label === r.label);
    r.usage = sumUsage(entries.map((e) => e.usage));
    r.costUsd = entries.reduce((s, e) => s + e.costUsd, 0);
    r.operations = reduced.kept.filter((s) => s.request === r.label).length;
  }
  const usage = ledger.totals();
  const fresh = sumUsage(ledger.entries.filter((e) => !e.resumed).map((e) => e.usage));
  const sentTokens = fresh.input_tokens + fresh.cache_creation_input_tokens + fresh.cache_read_input_tokens;
  const sentRecords = records.filter((r) => !r.resumed);
  ctx.onProgress?.({ stage: "done", done: total, total });
  return {
    operations,
    ignoredInstructions: [],
    usage,
    costUsd: ledger.costUsd(),
    dropped,
    requests: records,
    operationUsage,
    local: caps.local,
    sent: {
      requests: sentRecords.reduce((n, r) => n + r.repairs + 1, 0),
      promptChars: sentRecords.reduce((n, r) => n + r.promptChars, 0),
      promptTokens: sentRecords.reduce((n, r) => n + r.promptTokens, 0),
      cacheReadShare: sentTokens === 0 ? 0 : fresh.cache_read_input_tokens / sentTokens,
      rawSessionChars: plan.rawSessionChars,
      compressedSessionChars: plan.compressedSessionChars,
    },
  };
}

/** Splits each request's usage over the operations it produced, by the size of each operation. */
function attribute(kept: readonly SourcedOperation[], ledger: UsageLedger, price: ModelPrice | undefined): OperationUsage[] {
  const byRequest = new Map<string, SourcedOperation[]>();
  for (const s of kept) byRequest.set(s.request, [...(byRequest.get(s.request) ?? []), s]);
  return kept.map((s) => {
    const siblings = byRequest.get(s.request)!;
    const size = (o: SourcedOperation) => JSON.stringify(o.operation).length;
    const share = size(s) / siblings.reduce((n, o) => n + size(o), 0);
    const entries = ledger.entries.filter((e) => e.label === s.request);
    const u = sumUsage(entries.map((e) => e.usage));
    return {
      request: s.request,
      input_tokens: u.input_tokens * share,
      output_tokens: u.output_tokens * share,
      cache_creation_input_tokens: u.cache_creation_input_tokens * share,
      cache_read_input_tokens: u.cache_read_input_tokens * share,
      costUsd: entries.reduce((n, e) => n + e.costUsd, 0) * share,
    };
  });
}

