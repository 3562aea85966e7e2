import type * as Http from "node:http";
import type { ClientRequest, IncomingMessage } from "node:http";
import type * as Https from "node:https";
import { onFirstUse } from "../lazy.js";
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
import { parseRetryAfter, type RetryOptions, transportErrorCode, withRetry } from "./retry.js";
import { safeURL, scrubSecrets } from "./scrub.js";

// node:https (with TLS) costs a cold start tens of milliseconds: loaded with the first request.
const http = onFirstUse<typeof Http>("node:http");
const https = onFirstUse<typeof Https>("node:https");

/** What every error needs to say where it came from, plus the secrets it must never contain. */
export interface CallInfo {
  provider: string;
  model: string;
  url: string;
  secrets: readonly (string | undefined)[];
  timeoutMs: number;
}

/** The parts of an HTTP reply the providers read. */
export interface HTTPResponse {
  status: number;
  statusText: string;
  ok: boolean;
  headers: { get(name: string): string | null };
  /** The body as it arrives; read it once. */
  body: AsyncIterable<Uint8Array>;
}

/** An HTTP exchange in progress, owning its timeout and abort wiring until `done()`. */
export interface Exchange {
  response: HTTPResponse;
  /** Restarts the inactivity timer (streams call this on every read). */
  touch(): void;
  /** Aborts the underlying request, closing the socket. */
  abort(): void;
  /** Turns a failure during the exchange into a typed error. */
  mapError(error: unknown): LMError;
  /** Releases timers and listeners; a body left unread closes the connection instead of holding it. */
  done(): void;
}

const MAX_ECHO = 500;

export function scrubbedSnippet(text: string, info: CallInfo): string {
  const clipped = text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}...` : text;
  return scrubSecrets(clipped, info.secrets);
}

/**
 * POSTs JSON over node:http(s) with Node's keep-alive global agent: under many concurrent small
 * requests it costs noticeably less CPU than fetch(), whose WHATWG streams dominate here.
 * The timer covers connecting and the wait for headers; callers keep it running (and `touch()`
 * it) while they read the body, then call `done()`.
 */
export function postJSON(
  info: CallInfo,
  headers: Record<string, string>,
  body: unknown,
  signal: AbortSignal | undefined,
): Promise<Exchange> {
  if (signal?.aborted) {
    return Promise.reject(new LMAbortedError(undefined, { provider: info.provider, model: info.model }));
  }
  let url: URL;
  try {
    url = new URL(info.url);
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new TypeError(`unsupported scheme ${url.protocol}`);
  } catch (error) {
    return Promise.reject(transportError(error, info, { timedOut: false, aborted: false }));
  }
  const payload = Buffer.from(JSON.stringify(body));
  const send = url.protocol === "https:" ? https().request : http().request;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  let req: ClientRequest | undefined;
  let res: IncomingMessage | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      req?.destroy();
    }, info.timeoutMs);
  };
  // Destroying without an error: the flags above say why, and a reason object could surface
  // as an unhandled 'error' on a socket whose reply was already parsed.
  const onAbort = (): void => void req?.destroy();
  const done = (): void => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    // A reply parsed to its end only needs its 'end' consumed to free the socket for reuse;
    // one still arriving is cut off, as fetch's reader.cancel() did.
    if (res?.complete) res.resume();
    else res?.destroy();
  };
  const mapError = (error: unknown): LMError =>
    transportError(error, info, { timedOut, aborted: signal?.aborted === true });
  return new Promise<Exchange>((resolve, reject) => {
    req = send(
      url,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          ...headers,
          "content-length": String(payload.byteLength),
        },
      },
      (incoming) => {
        res = incoming;
        const status = incoming.statusCode ?? 0;
        resolve({
          response: {
            status,
            statusText: incoming.statusMessage ?? "",
            ok: status >= 200 && status < 300,
            headers: { get: (name) => headerValue(incoming, name) },
            body: incoming,
          },
          touch: arm,
          abort: () => void req?.destroy(),
          mapError,
          done,
        });
      },
    );
    // Errors after the headers also reach the body's reader; this listener only keeps them from going unhandled.
    req.on("error", (error) => {
      if (res !== undefined) return;
      done();
      reject(mapError(error));
    });
    signal?.addEventListener("abort", onAbort, { once: true });
    arm();
    req.end(payload);
  });
}

function headerValue(message: IncomingMessage, name: string): string | null {
  const value = message.headers[name.toLowerCase()];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : value;
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
  response: HTTPResponse,
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

/** Reads the whole body under the exchange's timer (restarted by each chunk) and abort wiring. */
export async function readBody(exchange: Exchange): Promise<string> {
  try {
    const body = exchange.response.body;
    const bytes = isNodeReadable(body) ? await collect(body, exchange.touch) : await collectIterable(exchange);
    // TextDecoder, like fetch's text(), drops a leading byte-order mark.
    return new TextDecoder().decode(bytes);
  } catch (error) {
    throw exchange.mapError(error);
  } finally {
    exchange.done();
  }
}

async function collectIterable(exchange: Exchange): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of exchange.response.body) {
    exchange.touch();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A Node stream (node:http's IncomingMessage): read by its events, not by its async iterator. */
interface NodeReadable extends AsyncIterable<Uint8Array> {
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  once(event: "end" | "close", listener: () => void): unknown;
  once(event: "error", listener: (error: Error) => void): unknown;
  readonly readableEnded: boolean;
  readonly errored: Error | null;
}

function isNodeReadable(body: AsyncIterable<Uint8Array>): body is NodeReadable {
  const b = body as Partial<NodeReadable>;
  return typeof b.on === "function" && typeof b.once === "function" && typeof b.readableEnded === "boolean";
}

/**
 * The whole body of a reply. Under many concurrent small replies, a Readable's async iterator
 * (a promise and listener wiring per chunk, plus its end-of-stream watcher) cost a visible share
 * of each LM call's CPU (bench P4 at c=128). It fails as the iterator did: with the stream's
 * error, or with ERR_STREAM_PREMATURE_CLOSE when the stream closes before its end.
 */
function collect(body: NodeReadable, touch: () => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (body.errored) {
      reject(body.errored);
      return;
    }
    const chunks: Uint8Array[] = [];
    body.on("data", (chunk) => {
      touch();
      chunks.push(chunk);
    });
    body.once("end", () => resolve(Buffer.concat(chunks)));
    body.once("error", reject);
    body.once("close", () => {
      if (!body.readableEnded)
        reject(Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" }));
    });
  });
}

/** How a provider's error replies read: its error object, and its way of saying "prompt too long". */
export interface ErrorDialect {
  serverErrorFrom(json: Record<string, unknown>): ServerError;
  contextWindow(info: CallInfo): (status: number, server: ServerError) => LMError | undefined;
}

/** One POST as a provider makes it, with its retry policy and error dialect. */
export interface PostCall {
  info: CallInfo;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal | undefined;
  retry: RetryOptions;
  dialect: ErrorDialect;
}

/** POSTs with retries and returns `parse(json, status)` of the first 2xx reply; failures become typed errors. */
export function requestJSON<T>(call: PostCall, parse: (json: unknown, status: number) => T): Promise<T> {
  return withRetry(async () => {
    const exchange = await postJSON(call.info, call.headers, call.body, call.signal);
    const text = await readBody(exchange);
    if (!exchange.response.ok) throw replyError(exchange, text, call);
    return parse(parseJSONBody(text, call.info, exchange.response.status), exchange.response.status);
  }, call.retry);
}

/** Opens an SSE reply. Only the connection is retried: once text has been yielded a retry would repeat it. */
export function openEventStream(call: PostCall): Promise<Exchange> {
  return withRetry(async () => {
    const exchange = await postJSON(
      call.info,
      { ...call.headers, accept: "text/event-stream" },
      call.body,
      call.signal,
    );
    if (!exchange.response.ok) throw replyError(exchange, await readBody(exchange), call);
    return exchange;
  }, call.retry);
}

function replyError(exchange: Exchange, text: string, call: PostCall): LMError {
  let server: ServerError = { message: text };
  try {
    const json: unknown = JSON.parse(text);
    if (json !== null && typeof json === "object" && !Array.isArray(json)) {
      server = call.dialect.serverErrorFrom(json as Record<string, unknown>);
    }
  } catch {
    // Not JSON (an HTML error page, a proxy's text): the text itself is the message.
  }
  return statusError(exchange.response, text, call.info, server, call.dialect.contextWindow(call.info));
}
