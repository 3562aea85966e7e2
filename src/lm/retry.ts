import { LMAbortedError, LMError } from "./errors.js";

export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** First backoff ceiling (default 500 ms); doubles each attempt. */
  baseDelayMs?: number;
  /** Backoff ceiling (default 20 s). */
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited for; the error is thrown instead (default 60 s). */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  /** Source of randomness for jitter (tests pass a fixed one). */
  random?: () => number;
  /** Observes each retry before its wait. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Overrides the default classification. */
  isRetryable?: (error: unknown) => boolean;
}

const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** Finds a transport error code anywhere in an error's cause chain. */
export function transportErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && TRANSIENT_CODES.has(code)) return code;
    const message = (current as { message?: unknown }).message;
    if (typeof message === "string" && /socket hang up|other side closed|terminated/i.test(message)) {
      return "ECONNRESET";
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** 429, 5xx, timeouts and dropped connections are worth retrying; 4xx and context-window errors are not. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof LMError) return error.retryable;
  return transportErrorCode(error) !== undefined;
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^attempt)). */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * Reads Retry-After (delta-seconds or an HTTP date) and the `retry-after-ms` extension
 * some providers send. Returns undefined when absent or unparsable.
 */
export function parseRetryAfter(
  headers: { get(name: string): string | null } | undefined,
  now: number = Date.now(),
): number | undefined {
  if (headers === undefined) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with LMAbortedError as soon as the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new LMAbortedError(undefined, { cause: signal.reason }));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new LMAbortedError(undefined, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs `fn` until it succeeds, a non-retryable error occurs, or retries run out (the last error is thrown). */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxRetries = options.maxRetries ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 20_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const classify = options.isRetryable ?? isRetryable;
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw new LMAbortedError(undefined, { cause: options.signal.reason });
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= maxRetries || !classify(error) || options.signal?.aborted) throw error;
      const retryAfter = error instanceof LMError ? error.retryAfterMs : undefined;
      if (retryAfter !== undefined && retryAfter > maxRetryAfterMs) throw error;
      const delayMs = retryAfter ?? backoffDelay(attempt, baseDelayMs, maxDelayMs, options.random);
      options.onRetry?.({ attempt: attempt + 1, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}
