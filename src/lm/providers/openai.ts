import { LMAuthError, LMBadResponseError, LMConnectionError, LMContextWindowError, LMServerError } from "../errors.js";
import {
  type CallInfo,
  type ErrorDialect,
  type Exchange,
  openEventStream,
  parseJSONBody,
  type PostCall,
  requestJSON,
  scrubbedSnippet,
  type ServerError,
} from "../http.js";
import { isRecord, joinURL, mergeRequest, tokenCount } from "../request.js";
import type { RetryOptions } from "../retry.js";
import { SSEParser } from "../sse.js";
import { headerSecrets } from "../scrub.js";
import { OpenAIToolCallAccumulator, openAIMessage, openAIToolCalls, openAIToolFields } from "../tool-wire.js";
import type { LM, LMRequest, LMResponse, LMStreamChunk, ResponseFormat, ToolCall, Usage } from "../types.js";

export interface OpenAIOptions {
  model: string;
  /** Root of an OpenAI-compatible API, up to and including /v1. */
  baseURL?: string;
  /** Defaults to OPENAI_API_KEY; omitted from the request when neither is set (local servers). */
  apiKey?: string;
  /** Per attempt: time to response headers, and the longest silence while reading a body or stream. */
  timeoutMs?: number;
  maxRetries?: number;
  /** Backoff tuning; see RetryOptions. */
  retry?: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs" | "random" | "onRetry">;
  defaults?: LM["defaults"];
  /** Extra HTTP headers (e.g. OpenAI-Organization, or a proxy's own auth). */
  headers?: Record<string, string>;
  /** Provider id used in cache keys and errors (default "openai"). */
  provider?: string;
  /** Ask for a final usage chunk when streaming (stream_options.include_usage); default true. */
  streamUsage?: boolean;
}

const DEFAULT_BASE_URL = "https://api.openai.com/v1";

/** A chat-completions client for OpenAI and any server that speaks its API. */
export function openai(options: OpenAIOptions): LM {
  return new OpenAIChatLM(options);
}

export class OpenAIChatLM implements LM {
  readonly specificationVersion = "v2" as const;
  readonly supportsFunctionCalling = true;
  readonly provider: string;
  readonly model: string;
  readonly defaults: LM["defaults"];
  readonly baseURL: string;
  // Private so that inspecting or serialising the client never shows the key.
  readonly #apiKey: string | undefined;
  readonly #options: OpenAIOptions;

  constructor(options: OpenAIOptions) {
    this.#options = { ...options, apiKey: undefined };
    this.provider = options.provider ?? "openai";
    this.model = options.model;
    this.defaults = options.defaults;
    this.baseURL = options.baseURL ?? DEFAULT_BASE_URL;
    this.#apiKey = options.apiKey ?? process.env.OPENAI_API_KEY;
  }

  async generate(request: LMRequest): Promise<LMResponse> {
    const merged = mergeRequest(this.defaults, request);
    const body = this.body(merged);
    const info = this.info();
    return requestJSON(this.call(info, body, merged.signal), (json, status) => this.completion(json, info, status));
  }

  async *stream(request: LMRequest): AsyncIterable<LMStreamChunk> {
    const merged = mergeRequest(this.defaults, request);
    const body: Record<string, unknown> = { ...this.body(merged), stream: true };
    if (this.#options.streamUsage ?? true) body.stream_options = { include_usage: true };
    const info = this.info();
    const exchange = await openEventStream(this.call(info, body, merged.signal));
    yield* readStream(exchange, info, merged.n ?? 1);
  }

  private call(info: CallInfo, body: unknown, signal: AbortSignal | undefined): PostCall {
    const retry = { ...this.#options.retry, maxRetries: this.#options.maxRetries ?? 3, signal };
    return { info, headers: this.headers(info), body, signal, retry, dialect: DIALECT };
  }

  private info(): CallInfo {
    return {
      provider: this.provider,
      model: this.model,
      url: joinURL(this.baseURL, "chat/completions"),
      secrets: [this.#apiKey, ...headerSecrets(this.#options.headers)],
      timeoutMs: this.#options.timeoutMs ?? 120_000,
    };
  }

  private headers(info: CallInfo): Record<string, string> {
    const headers: Record<string, string> = { ...(this.#options.headers ?? {}) };
    if (this.#apiKey !== undefined && this.#apiKey !== "") {
      headers.authorization = `Bearer ${this.#apiKey}`;
    } else if (this.baseURL === DEFAULT_BASE_URL) {
      throw new LMAuthError("No OpenAI API key: pass apiKey or set OPENAI_API_KEY.", base(info));
    }
    return headers;
  }

  private body(request: LMRequest): Record<string, unknown> {
    const body: Record<string, unknown> = {
      model: this.model,
      // Content parts are already in the chat-completions shape (text, image_url, input_audio, file).
      messages: request.messages.map(openAIMessage),
    };
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
    if (request.n !== undefined && request.n !== 1) body.n = request.n;
    if (request.stop !== undefined && request.stop.length > 0) body.stop = request.stop;
    if (request.responseFormat !== undefined) body.response_format = wireResponseFormat(request.responseFormat);
    return { ...body, ...openAIToolFields(request), ...(request.providerOptions ?? {}) };
  }

  private completion(json: unknown, info: CallInfo, status: number): LMResponse {
    const choices = isRecord(json) ? json.choices : undefined;
    if (!Array.isArray(choices) || choices.length === 0) {
      const err = isRecord(json) && json.error !== undefined ? serverErrorFrom(json) : undefined;
      const what = err === undefined ? "no choices" : `an error: ${scrubbedSnippet(err.message, info)}`;
      throw new LMBadResponseError(`${info.provider} returned ${what}.`, { ...base(info), status });
    }
    const ordered = [...choices].sort(
      (a, b) => tokenCount(isRecord(a) ? a.index : 0) - tokenCount(isRecord(b) ? b.index : 0),
    );
    const outputs: string[] = [];
    const finishReasons: (string | null)[] = [];
    const toolCalls: (ToolCall[] | undefined)[] = [];
    for (const choice of ordered) {
      if (!isRecord(choice)) throw new LMBadResponseError(`${info.provider} returned a malformed choice.`, base(info));
      const message = choice.message;
      const content = isRecord(message) ? message.content : choice.text;
      if (content !== null && content !== undefined && typeof content !== "string") {
        throw new LMBadResponseError(`${info.provider} returned non-text message content.`, base(info));
      }
      if (!isRecord(message) && typeof choice.text !== "string") {
        throw new LMBadResponseError(`${info.provider} returned a choice without a message.`, base(info));
      }
      outputs.push(content ?? "");
      finishReasons.push(typeof choice.finish_reason === "string" ? choice.finish_reason : null);
      toolCalls.push(openAIToolCalls(message));
    }
    return {
      ...(toolCalls.some((c) => c !== undefined) ? { toolCalls } : {}),
      outputs,
      usage: wireUsage(isRecord(json) ? json.usage : undefined),
      model: isRecord(json) && typeof json.model === "string" ? json.model : this.model,
      cached: false,
      finishReasons,
    };
  }
}

async function* readStream(exchange: Exchange, info: CallInfo, n: number): AsyncGenerator<LMStreamChunk> {
  const chunks = exchange.response.body[Symbol.asyncIterator]();
  const parser = new SSEParser();
  const finished = new Set<number>();
  const tools = new OpenAIToolCallAccumulator();
  let usage: Usage | undefined;
  let complete = false;
  try {
    for (;;) {
      let read: IteratorResult<Uint8Array>;
      try {
        read = await chunks.next();
      } catch (error) {
        throw exchange.mapError(error);
      }
      if (read.done) break;
      exchange.touch();
      for (const event of parser.feed(read.value)) {
        if (event.data === "[DONE]") {
          complete = true;
          break;
        }
        const json = parseJSONBody(event.data, info, exchange.response.status);
        if (isRecord(json) && json.error !== undefined) {
          const err = serverErrorFrom(json);
          throw new LMServerError(`${info.provider} stream failed: ${scrubbedSnippet(err.message, info)}`, {
            ...base(info),
            retryable: false,
          });
        }
        if (isRecord(json) && isRecord(json.usage)) usage = wireUsage(json.usage);
        const choices = isRecord(json) && Array.isArray(json.choices) ? json.choices : [];
        for (const choice of choices) {
          if (!isRecord(choice)) continue;
          const index = tokenCount(choice.index);
          const delta = isRecord(choice.delta) && typeof choice.delta.content === "string" ? choice.delta.content : "";
          const finishReason = typeof choice.finish_reason === "string" ? choice.finish_reason : undefined;
          tools.feed(index, choice.delta);
          if (finishReason !== undefined) {
            finished.add(index);
            const calls = tools.take(index);
            if (calls !== undefined) yield { index, delta: "", toolCalls: calls };
          }
          if (delta !== "" || finishReason !== undefined) {
            yield finishReason === undefined ? { index, delta } : { index, delta, finishReason };
          }
        }
      }
      if (complete) break;
    }
    // Some servers omit [DONE]; a stream whose every completion finished is still whole.
    if (!complete && finished.size < n) {
      throw new LMConnectionError(
        `The ${info.provider} stream ended before it was complete (no [DONE], ${n - finished.size} of ${n} completion(s) unfinished).`,
        { ...base(info), retryable: false },
      );
    }
    complete = true;
    if (usage !== undefined) yield { index: 0, delta: "", usage };
  } finally {
    exchange.done();
    // Leaving early (break, abort, error) must close the connection, not leave it streaming.
    if (!complete) exchange.abort();
  }
}

function base(info: CallInfo): { provider: string; model: string } {
  return { provider: info.provider, model: info.model };
}

function wireResponseFormat(format: ResponseFormat): Record<string, unknown> {
  if (format.type !== "json_schema") return { type: format.type };
  const jsonSchema: Record<string, unknown> = { name: format.name, schema: format.schema };
  if (format.strict !== undefined) jsonSchema.strict = format.strict;
  return { type: "json_schema", json_schema: jsonSchema };
}

function wireUsage(usage: unknown): Usage {
  if (!isRecord(usage)) return { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  const promptTokens = tokenCount(usage.prompt_tokens);
  const completionTokens = tokenCount(usage.completion_tokens);
  const total = tokenCount(usage.total_tokens);
  return { promptTokens, completionTokens, totalTokens: total || promptTokens + completionTokens };
}

function serverErrorFrom(json: Record<string, unknown>): ServerError {
  const err = json.error;
  if (typeof err === "string") return { message: err };
  if (isRecord(err)) {
    const out: ServerError = { message: typeof err.message === "string" ? err.message : JSON.stringify(err) };
    if (typeof err.code === "string") out.code = err.code;
    if (typeof err.type === "string") out.type = err.type;
    return out;
  }
  if (typeof json.message === "string") return { message: json.message };
  if (typeof json.detail === "string") return { message: json.detail };
  return { message: "" };
}

const CONTEXT_PATTERN =
  /context[ _-]?(length|window)|maximum context|too many tokens|prompt is too long|exceeds? the (model's )?max/i;

function contextWindow(info: CallInfo) {
  return (status: number, server: ServerError): LMContextWindowError | undefined => {
    if (status !== 400 && status !== 413) return undefined;
    if (server.code !== "context_length_exceeded" && !CONTEXT_PATTERN.test(server.message)) return undefined;
    return new LMContextWindowError(
      `The request does not fit ${info.model}'s context window: ${scrubbedSnippet(server.message, info)}`,
      { ...base(info), status, context: { code: server.code ?? null } },
    );
  };
}

const DIALECT: ErrorDialect = { serverErrorFrom, contextWindow };
