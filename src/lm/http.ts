import {
  LMAbortedError,
  LMAuthError,
  LMBadResponseError,
  LMConnectionError,
  LMError,
  LMRateLimitError,
  LMRequestError,
  LMServerError,
  LMTimeoutError,
} from "./errors.js";
import { parseRetryAfter, transportErrorCode } from "./retry.js";
import { safeURL, scrubSecrets } from "./scrub.js";

/** What every error needs to say where it came from, plus the secrets it must never contain. */
export interface CallInfo {
  provider: string;
  model: string;
  url: string;
  secrets: readonly (string | undefined)[];
  timeoutMs: number;
}

/** An HTTP exchange in progress, owning its timeout and abort wiring until `done()`. */
export interface Exchange {
  response: Response;
  /** Restarts the inactivity timer (streams call this on every read). */
  touch(): void;
  /** Aborts the underlying request, closing the socket. */
  abort(): void;
  /** Turns a failure during the exchange into a typed error. */
  mapError(error: unknown): LMError;
  /** Releases timers and listeners. */
  done(): void;
}

const MAX_ECHO = 500;

export function scrubbedSnippet(text: string, info: CallInfo): string {
  const clipped = text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}...` : text;
  return scrubSecrets(clipped, info.secrets);
}

/**
 * POSTs JSON. The timer covers connecting and the wait for headers; callers keep it
 * running (and `touch()` it) while they read the body, then call `done()`.
 */
export async function postJSON(
  info: CallInfo,
  headers: Record<string, string>,
  body: unknown,
  signal: AbortSignal | undefined,
): Promise<Exchange> {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error("timeout"));
    }, info.timeoutMs);
  };
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) throw new LMAbortedError(undefined, { provider: info.provider, model: info.model });
  signal?.addEventListener("abort", onAbort, { once: true });
  const done = (): void => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  };
  const mapError = (error: unknown): LMError =>
    transportError(error, info, { timedOut, aborted: signal?.aborted === true });
  arm();
  try {
    const response = await fetch(info.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    return { response, touch: arm, abort: () => controller.abort(new Error("closed")), mapError, done };
  } catch (error) {
    done();
    throw mapError(error);
  }
}

export function transportError(
  error: unknown,
  info: CallInfo,
  state: { timedOut: boolean; aborted: boolean },
): LMError {
  if (error instanceof LMError) return error;
  const base = { provider: info.provider, model: info.model, cause: error };
  const where = safeURL(info.url);
  if (state.aborted) return new LMAbortedError(`The ${info.provider} request was aborted.`, base);
  if (state.timedOut) {
    return new LMTimeoutError(`No response from ${where} within ${info.timeoutMs} ms.`, base);
  }
  const code = transportErrorCode(error);
  const detail = scrubSecrets(describe(error), info.secrets);
  return new LMConnectionError(`Connection to ${where} failed${code === undefined ? "" : ` (${code})`}: ${detail}`, {
    ...base,
    retryable: code !== undefined,
    context: code === undefined ? {} : { code },
  });
}

function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current instanceof Error; depth++) {
    parts.push(current.message);
    current = current.cause;
  }
  return parts.join(": ") || String(error);
}

/** The provider's own description of an HTTP error, pulled from its JSON body. */
export interface ServerError {
  message: string;
  code?: string;
  type?: string;
}

/**
 * Maps a non-2xx reply to a typed error. `isContextWindow` recognises the provider's way of
 * saying the prompt was too long; it runs before the generic 4xx mapping.
 */
export function statusError(
  response: Response,
  bodyText: string,
  info: CallInfo,
  server: ServerError,
  isContextWindow: (status: number, server: ServerError) => LMError | undefined,
): LMError {
  const status = response.status;
  const message = `${info.provider} returned HTTP ${status}: ${scrubbedSnippet(server.message || bodyText || response.statusText, info)}`;
  const base = {
    provider: info.provider,
    model: info.model,
    status,
    context: {
      url: safeURL(info.url),
      ...(server.code === undefined ? {} : { code: server.code }),
      ...(server.type === undefined ? {} : { type: server.type }),
    },
  };
  const retryAfterMs = parseRetryAfter(response.headers);
  const withRetryAfter = retryAfterMs === undefined ? base : { ...base, retryAfterMs };
  if (status === 401 || status === 403) return new LMAuthError(message, base);
  if (status === 429) {
    // Quota exhaustion is reported as 429 but waiting will not help.
    const quota = server.code === "insufficient_quota" || server.type === "insufficient_quota";
    return new LMRateLimitError(message, { ...withRetryAfter, retryable: !quota });
  }
  const contextWindow = isContextWindow(status, server);
  if (contextWindow !== undefined) return contextWindow;
  if (status === 408) return new LMTimeoutError(message, base);
  if (status >= 500) return new LMServerError(message, withRetryAfter);
  return new LMRequestError(message, base);
}

/** Parses a JSON body, naming the provider and showing a scrubbed excerpt when it is not JSON. */
export function parseJSONBody(text: string, info: CallInfo, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new LMBadResponseError(
      `${info.provider} returned a body that is not valid JSON: ${JSON.stringify(scrubbedSnippet(text, info))}`,
      { provider: info.provider, model: info.model, status, cause: error },
    );
  }
}

/** Reads the whole body under the exchange's timer and abort wiring. */
export async function readBody(exchange: Exchange): Promise<string> {
  try {
    return await exchange.response.text();
  } catch (error) {
    throw exchange.mapError(error);
  } finally {
    exchange.done();
  }
}
