import { isReverieError, ReverieError } from "@reverie/core";

/** The failure types a model call ends with (`data.type` of a `MODEL_ERROR`). */
export type ModelFailureType = "rate_limited" | "model_error" | "timeout" | "budget_exceeded";

/** Sleeps `ms`, rejecting with CANCELED when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real sleep. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(canceled(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(canceled(signal!));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** The CANCELED error of a dream aborted while talking to the model. */
export function canceled(signal: AbortSignal): ReverieError {
  return new ReverieError("CANCELED", "The dream was canceled while waiting for the model.", { stage: "consolidate" }, { cause: signal.reason });
}

/** How model calls are retried. */
export interface RetryOptions {
  /**
   * Retries after a 5xx, 529 overloaded, timeout, dropped connection or unreadable body.
   * @default 4
   */
  maxRetries?: number;
  /**
   * Retries after a 429. Larger than `maxRetries` because a rate-limited dream should slow
   * down, not fail.
   * @default 8
   */
  maxRateLimitRetries?: number;
  /** First backoff without `retry-after`; doubles each attempt. @default 1000 */
  baseDelayMs?: number;
  /** Longest backoff (and longest `retry-after` honoured). @default 60000 */
  maxDelayMs?: number;
  /** Injected in tests so nothing sleeps for real. @default setTimeout */
  sleep?: Sleep;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
}

/** What one failed attempt said about retrying. */
export interface FailureInfo {
  type: ModelFailureType;
  retryable: boolean;
  retryAfterMs?: number;
}

function failureOf(err: unknown): FailureInfo | undefined {
  if (!isReverieError(err, "MODEL_ERROR")) return undefined;
  const d = err.data as { type?: ModelFailureType; retryable?: boolean; retryAfterMs?: number };
  return { type: d.type ?? "model_error", retryable: d.retryable === true, ...(d.retryAfterMs !== undefined && { retryAfterMs: d.retryAfterMs }) };
}

/**
 * Paces requests after rate limiting: a 429 sets a gap between requests (the `retry-after`
 * it carried, at least one backoff step), each success halves it, so a rate-limited dream
 * slows down instead of hammering the limit.
 */
export class Pacer {
  #gapMs = 0;
  #last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly sleep: Sleep,
    private readonly now: () => number,
  ) {}

  async beforeRequest(signal?: AbortSignal): Promise<void> {
    const wait = this.#last + this.#gapMs - this.now();
    if (this.#gapMs > 0 && wait > 0) await this.sleep(wait, signal);
    this.#last = this.now();
  }

  rateLimited(ms: number): void {
    this.#gapMs = Math.max(this.#gapMs, ms);
  }

  succeeded(): void {
    this.#gapMs = this.#gapMs < 100 ? 0 : Math.floor(this.#gapMs / 2);
  }
}

/**
 * Runs `attempt` until it succeeds, retrying retryable `MODEL_ERROR`s with exponential backoff
 * and jitter, or exactly the `retry-after` the server asked for. After the budget the last
 * error is rethrown with `data.attempts`.
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, options: RetryOptions & { signal?: AbortSignal; pacer?: Pacer; onRetry?: (info: FailureInfo & { delayMs: number; attempt: number }) => void }): Promise<T> {
  const maxRetries = options.maxRetries ?? 4;
  const maxRateLimit = options.maxRateLimitRetries ?? 8;
  const base = options.baseDelayMs ?? 1000;
  const maxDelay = options.maxDelayMs ?? 60_000;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  let failures = 0;
  let rateLimits = 0;
  for (let n = 0; ; n++) {
    if (options.signal?.aborted) throw canceled(options.signal);
    await options.pacer?.beforeRequest(options.signal);
    try {
      const result = await attempt(n);
      options.pacer?.succeeded();
      return result;
    } catch (err) {
      const info = failureOf(err);
      if (!info || !info.retryable) throw err;
      const limited = info.type === "rate_limited";
      if (limited ? rateLimits >= maxRateLimit : failures >= maxRetries) {
        (err as ReverieError).data.attempts = n + 1;
        throw err;
      }
      const step = limited ? rateLimits++ : failures++;
      const backoff = Math.min(maxDelay, base * 2 ** step * (0.5 + random() / 2));
      const delayMs = info.retryAfterMs !== undefined ? Math.min(maxDelay, info.retryAfterMs) : Math.round(backoff);
      if (limited) options.pacer?.rateLimited(Math.max(delayMs, base));
      options.onRetry?.({ ...info, delayMs, attempt: n + 1 });
      await sleep(delayMs, options.signal);
    }
  }
}
