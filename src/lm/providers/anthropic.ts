import { contentText, firstMediaPart } from "../compat.js";
import {
  LMAuthError,
  LMBadResponseError,
  LMConnectionError,
  LMContextWindowError,
  LMServerError,
  LMUnsupportedContentError,
} from "../errors.js";
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
import { addUsage, isRecord, joinURL, mergeRequest, tokenCount } from "../request.js";
import type { RetryOptions } from "../retry.js";
import { SSEParser } from "../sse.js";
import { headerSecrets } from "../scrub.js";
import { anthropicToolFields, parseArguments } from "../tool-wire.js";
import type { LM, LMRequest, LMResponse, LMStreamChunk, Message, ToolCall, Usage } from "../types.js";
import { type AnthropicBlock, toAnthropicBlocks } from "./anthropic-content.js";

export interface AnthropicOptions {
  model: string;
  /** Defaults to ANTHROPIC_API_KEY. */
  apiKey?: string;
  /** API root without /v1 (default https://api.anthropic.com). */
  baseURL?: string;
  /** max_tokens is required by the Messages API; used when the request sets none (default 1024). */
  maxTokens?: number;
  timeoutMs?: number;
  maxRetries?: number;
  retry?: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs" | "random" | "onRetry">;
  defaults?: LM["defaults"];
  headers?: Record<string, string>;
  /** Sent as anthropic-version (default 2023-06-01). */
  version?: string;
  provider?: string;
}

const DEFAULT_BASE_URL = "https://api.anthropic.com";

/** A client for Anthropic's Messages API. */
export function anthropic(options: AnthropicOptions): LM {
  return new AnthropicMessagesLM(options);
}

type WireContent = string | AnthropicBlock[];

/**
 * The Messages API takes system text at the top level and wants user/assistant turns to
 * alternate, so system messages are lifted out and consecutive same-role turns merged.
 * Content parts become Anthropic blocks (images, documents); see anthropic-content.ts.
 */
export function toAnthropicMessages(
  messages: readonly Message[],
  who: { provider: string; model: string } = { provider: "anthropic", model: "" },
): {
  system: string | undefined;
  messages: { role: "user" | "assistant"; content: WireContent }[];
} {
  const system: string[] = [];
  const turns: { role: "user" | "assistant"; parts: AnthropicBlock[][]; texts: (string | undefined)[] }[] = [];
  messages.forEach((m, index) => {
    if (m.role === "system") {
      system.push(systemText(m.content, index, who));
      return;
    }
    let blocks: AnthropicBlock[] =
      typeof m.content === "string"
        ? [{ type: "text" as const, text: m.content }]
        : toAnthropicBlocks(m.content, index, who);
    let text = typeof m.content === "string" ? m.content : undefined;
    // A tool's result is a tool_result block in a user turn; an assistant's calls are tool_use blocks.
    const role = m.role === "tool" ? "user" : m.role;
    if (m.role === "tool") {
      const content = typeof m.content === "string" ? m.content : blocks;
      blocks = [{ type: "tool_result", tool_use_id: m.toolCallId ?? "", content }];
      text = undefined;
    } else if (m.role === "assistant" && m.toolCalls !== undefined && m.toolCalls.length > 0) {
      blocks = blocks.filter((b) => b.type !== "text" || b.text !== "");
      m.toolCalls.forEach((c, i) => {
        blocks.push({ type: "tool_use", id: c.id ?? `toolu_${index}_${i}`, name: c.name, input: c.args });
      });
      text = undefined;
    }
    const last = turns.at(-1);
    if (last !== undefined && last.role === role) {
      last.parts.push(blocks);
      last.texts.push(text);
    } else turns.push({ role, parts: [blocks], texts: [text] });
  });
  return {
    system: system.length === 0 ? undefined : system.join("\n\n"),
    messages: turns.map((t) => ({
      role: t.role,
      // A single plain-text turn stays a string, as before content parts existed.
      content: t.parts.length === 1 && t.texts[0] !== undefined ? t.texts[0] : t.parts.flat(),
    })),
  };
}

/** Anthropic's system prompt is text; a media part there cannot be sent. */
function systemText(content: Message["content"], index: number, who: { provider: string; model: string }): string {
  const media = firstMediaPart(content);
  if (media !== undefined) {
    throw new LMUnsupportedContentError(
      `${who.provider} takes text only in system messages; message ${index} has a "${media.type}" part.`,
      {
        ...who,
        partType: media.type,
        fix: "move images and files into a user message",
      },
    );
  }
  return contentText(content);
}

export class AnthropicMessagesLM implements LM {
  readonly specificationVersion = "v2" as const;
  readonly supportsFunctionCalling = true;
  readonly provider: string;
  readonly model: string;
  readonly defaults: LM["defaults"];
  readonly baseURL: string;
  readonly #apiKey: string | undefined;
  readonly #options: AnthropicOptions;

  constructor(options: AnthropicOptions) {
    this.#options = { ...options, apiKey: undefined };
    this.provider = options.provider ?? "anthropic";
    this.model = options.model;
    this.defaults = options.defaults;
    this.baseURL = options.baseURL ?? DEFAULT_BASE_URL;
    this.#apiKey = options.apiKey ?? process.env.ANTHROPIC_API_KEY;
  }

  async generate(request: LMRequest): Promise<LMResponse> {
    const merged = mergeRequest(this.defaults, request);
    // The Messages API has no n: each completion is its own request.
    const n = Math.max(1, merged.n ?? 1);
    const results = await Promise.all(Array.from({ length: n }, () => this.generateOne(merged)));
    return {
      outputs: results.map((r) => r.outputs[0] ?? ""),
      usage: results.reduce((acc, r) => addUsage(acc, r.usage), {
        promptTokens: 0,
        completionTokens: 0,
        totalTokens: 0,
      }),
      model: results[0]?.model ?? this.model,
      cached: false,
      finishReasons: results.map((r) => r.finishReasons?.[0] ?? null),
      ...(results.some((r) => r.toolCalls !== undefined) ? { toolCalls: results.map((r) => r.toolCalls?.[0]) } : {}),
    };
  }

  async *stream(request: LMRequest): AsyncIterable<LMStreamChunk> {
    const merged = mergeRequest(this.defaults, request);
    const n = Math.max(1, merged.n ?? 1);
    for (let index = 0; index < n; index++) {
      const info = this.info();
      const exchange = await openEventStream(this.call(info, { ...this.body(merged), stream: true }, merged.signal));
      yield* readStream(exchange, info, index);
    }
  }

  private async generateOne(request: LMRequest): Promise<LMResponse> {
    const info = this.info();
    return requestJSON(this.call(info, this.body(request), request.signal), (json, status) =>
      this.message(json, info, status),
    );
  }

  private call(info: CallInfo, body: unknown, signal: AbortSignal | undefined): PostCall {
    const retry = { ...this.#options.retry, maxRetries: this.#options.maxRetries ?? 3, signal };
    return { info, headers: this.headers(info), body, signal, retry, dialect: DIALECT };
  }

  private info(): CallInfo {
    return {
      provider: this.provider,
      model: this.model,
      url: /\/v1\/?$/.test(this.baseURL) ? joinURL(this.baseURL, "messages") : joinURL(this.baseURL, "v1/messages"),
      secrets: [this.#apiKey, ...headerSecrets(this.#options.headers)],
      timeoutMs: this.#options.timeoutMs ?? 120_000,
    };
  }

  private headers(info: CallInfo): Record<string, string> {
    if ((this.#apiKey === undefined || this.#apiKey === "") && this.baseURL === DEFAULT_BASE_URL) {
      throw new LMAuthError("No Anthropic API key: pass apiKey or set ANTHROPIC_API_KEY.", base(info));
    }
    const headers: Record<string, string> = {
      "anthropic-version": this.#options.version ?? "2023-06-01",
      ...(this.#options.headers ?? {}),
    };
    if (this.#apiKey !== undefined && this.#apiKey !== "") headers["x-api-key"] = this.#apiKey;
    return headers;
  }

  private body(request: LMRequest): Record<string, unknown> {
    const { system, messages } = toAnthropicMessages(request.messages, { provider: this.provider, model: this.model });
    const body: Record<string, unknown> = {
      model: this.model,
      max_tokens: request.maxTokens ?? this.#options.maxTokens ?? 1024,
      messages,
    };
    if (system !== undefined) body.system = system;
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.stop !== undefined && request.stop.length > 0) body.stop_sequences = request.stop;
    return { ...body, ...anthropicToolFields(request), ...(request.providerOptions ?? {}) };
  }

  private message(json: unknown, info: CallInfo, status: number): LMResponse {
    if (!isRecord(json) || !Array.isArray(json.content)) {
      throw new LMBadResponseError(`${info.provider} returned a message without content blocks.`, {
        ...base(info),
        status,
      });
    }
    let text = "";
    const calls: ToolCall[] = [];
    for (const block of json.content) {
      if (isRecord(block) && block.type === "text" && typeof block.text === "string") text += block.text;
      if (isRecord(block) && block.type === "tool_use") {
        const call: ToolCall = {
          name: typeof block.name === "string" ? block.name : "",
          args: parseArguments(block.input),
        };
        if (typeof block.id === "string") call.id = block.id;
        calls.push(call);
      }
    }
    return {
      ...(calls.length > 0 ? { toolCalls: [calls] } : {}),
      outputs: [text],
      usage: wireUsage(json.usage),
      model: typeof json.model === "string" ? json.model : this.model,
      cached: false,
      finishReasons: [typeof json.stop_reason === "string" ? json.stop_reason : null],
    };
  }
}

async function* readStream(exchange: Exchange, info: CallInfo, index: number): AsyncGenerator<LMStreamChunk> {
  const chunks = exchange.response.body[Symbol.asyncIterator]();
  const parser = new SSEParser();
  let usage: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  let complete = false;
  // tool_use blocks by content index: the call, then its input as streamed JSON text.
  const uses = new Map<number, { id?: string; name: string; json: string }>();
  try {
    while (!complete) {
      let read: IteratorResult<Uint8Array>;
      try {
        read = await chunks.next();
      } catch (error) {
        throw exchange.mapError(error);
      }
      if (read.done) break;
      exchange.touch();
      for (const event of parser.feed(read.value)) {
        const json = parseJSONBody(event.data, info, exchange.response.status);
        if (!isRecord(json)) continue;
        const type = typeof json.type === "string" ? json.type : event.event;
        if (type === "error") {
          const err = serverErrorFrom(json);
          // Mid-stream errors are not retried (text was already yielded), whatever their kind.
          throw new LMServerError(
            `${info.provider} stream failed (${err.type ?? "error"}): ${scrubbedSnippet(err.message, info)}`,
            { ...base(info), retryable: false, context: { type: err.type ?? null } },
          );
        }
        if (type === "message_start" && isRecord(json.message)) {
          usage = wireUsage(json.message.usage);
        } else if (type === "content_block_start" && isRecord(json.content_block)) {
          const block = json.content_block;
          if (block.type === "tool_use") {
            const use: { id?: string; name: string; json: string } = {
              name: typeof block.name === "string" ? block.name : "",
              json: "",
            };
            if (typeof block.id === "string") use.id = block.id;
            uses.set(tokenCount(json.index), use);
          }
        } else if (type === "content_block_delta" && isRecord(json.delta)) {
          if (json.delta.type === "text_delta" && typeof json.delta.text === "string" && json.delta.text !== "") {
            yield { index, delta: json.delta.text };
          } else if (json.delta.type === "input_json_delta" && typeof json.delta.partial_json === "string") {
            const use = uses.get(tokenCount(json.index));
            if (use !== undefined) use.json += json.delta.partial_json;
          }
        } else if (type === "message_delta") {
          if (isRecord(json.usage)) {
            const completionTokens = tokenCount(json.usage.output_tokens);
            usage = { ...usage, completionTokens, totalTokens: usage.promptTokens + completionTokens };
          }
          if (uses.size > 0) {
            const toolCalls = [...uses.entries()]
              .sort(([a], [b]) => a - b)
              .map(
                ([, u]): ToolCall => ({
                  ...(u.id === undefined ? {} : { id: u.id }),
                  name: u.name,
                  args: parseArguments(u.json),
                }),
              );
            uses.clear();
            yield { index, delta: "", toolCalls };
          }
          if (isRecord(json.delta) && typeof json.delta.stop_reason === "string") {
            yield { index, delta: "", finishReason: json.delta.stop_reason };
          }
        } else if (type === "message_stop") {
          complete = true;
          break;
        }
      }
    }
    if (!complete) {
      throw new LMConnectionError(`The ${info.provider} stream ended before message_stop.`, {
        ...base(info),
        retryable: false,
      });
    }
    yield { index, delta: "", usage };
  } finally {
    exchange.done();
    if (!complete) exchange.abort();
  }
}

function base(info: CallInfo): { provider: string; model: string } {
  return { provider: info.provider, model: info.model };
}

function wireUsage(usage: unknown): Usage {
  if (!isRecord(usage)) return { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  // Cached prompt tokens are still prompt tokens; Anthropic reports them apart from input_tokens.
  const promptTokens =
    tokenCount(usage.input_tokens) +
    tokenCount(usage.cache_creation_input_tokens) +
    tokenCount(usage.cache_read_input_tokens);
  const completionTokens = tokenCount(usage.output_tokens);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

function serverErrorFrom(json: Record<string, unknown>): ServerError {
  const err = json.error;
  if (isRecord(err)) {
    const out: ServerError = { message: typeof err.message === "string" ? err.message : JSON.stringify(err) };
    if (typeof err.type === "string") out.type = err.type;
    return out;
  }
  return { message: typeof json.message === "string" ? json.message : "" };
}

const CONTEXT_PATTERN = /prompt is too long|context (limit|window|length)|exceed.*context/i;

function contextWindow(info: CallInfo) {
  return (status: number, server: ServerError): LMContextWindowError | undefined => {
    const tooLarge = status === 413 || server.type === "request_too_large";
    if (!tooLarge && !(status === 400 && CONTEXT_PATTERN.test(server.message))) return undefined;
    return new LMContextWindowError(
      `The request does not fit ${info.model}'s context window: ${scrubbedSnippet(server.message, info)}`,
      { ...base(info), status, context: { type: server.type ?? null } },
    );
  };
}

const DIALECT: ErrorDialect = { serverErrorFrom, contextWindow };
