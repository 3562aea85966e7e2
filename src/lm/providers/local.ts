/**
 * The embedded offline LM: a GGUF model run in-process by llama.cpp (node-llama-cpp 3.21.1,
 * CPU, prebuilt binaries only). Each request renders its messages through the model's own chat
 * template and runs on a borrowed context sequence, so requests share nothing but the weights.
 * JSON response formats become grammars, so even a 135M model answers in parseable JSON.
 */
import { basename } from "node:path";
import type { ChatHistoryItem, LlamaContextSequence, LlamaText, Token } from "node-llama-cpp";
import { importOptional } from "../../optional.js";
import { contentText, firstMediaPart } from "../compat.js";
import { LMAbortedError, LMContextWindowError, LMError, LMUnsupportedContentError } from "../errors.js";
import { mergeRequest } from "../request.js";
import type { LM, LMRequest, LMResponse, LMStreamChunk, Message, Usage } from "../types.js";
import { defaultModelPath } from "./local-model.js";
import { type LocalRuntime, localRuntime } from "./local-runtime.js";
import { AsyncQueue } from "./local-queue.js";
import { type ChatGrammar, chatGrammar } from "./local-chat-grammar.js";
import { generateLayout } from "./local-layout.js";

export interface LocalOptions {
  /** A GGUF file; default: $DSPEX_MODEL, else the model `dspex setup` installed in the DSPex home. */
  modelPath?: string;
  /** Tokens per request (prompt + completion); capped at the model's training context. Default 4096. */
  contextSize?: number;
  /**
   * CPU threads for evaluation; default: $DSPEX_THREADS, else one per core. On a host whose
   * cores are busy with other work, 1 can be much faster (llama.cpp's threads wait for each other).
   */
  threads?: number;
  /**
   * Sequences of the one context, each keeping the cached prompt prefix of the requests it served
   * (e.g. one per predictor of a program); a request takes the one sharing most of its prompt.
   * Requests are evaluated one at a time and the others wait in a queue: node-llama-cpp 3.21.1
   * gives wrong tokens when it samples several sequences of one batch (see LocalRuntime).
   * Default 4.
   */
  maxConcurrency?: number;
  defaults?: LM["defaults"];
  /**
   * Under a JSON-schema grammar, caps every string the schema leaves unbounded at this many
   * characters (also settable per request as `providerOptions.maxStringLength`). Small models tend to ramble in one field until the token budget runs out and
   * the later fields are never written; a cap makes the grammar close the string in time.
   */
  maxStringLength?: number;
  /**
   * Constrain replies to ChatAdapter requests with a grammar built from the declared output
   * fields (see local-chat-grammar.ts): headers in order, typed values, bounded text, no
   * placeholder echoes. Default true; also settable per request as `providerOptions.chatGrammar`.
   */
  chatGrammar?: boolean;
}

/** The token cap for a reply when neither the request nor a grammar sets a smaller one. */
export const DEFAULT_MAX_TOKENS = 1024;

/**
 * Sampling settings read from `providerOptions` (all optional): topK, topP, minP, seed,
 * repeatPenalty (a number, or false to turn node-llama-cpp's default off).
 */
interface Sampling {
  topK?: number;
  topP?: number;
  minP?: number;
  seed?: number;
  repeatPenalty?: false | { penalty: number };
}

interface Completion {
  text: string;
  finishReason: string;
  completionTokens: number;
}

/** Output tokens reserved when a prompt fills the context, so we fail fast instead of shifting it. */
const MIN_COMPLETION_TOKENS = 16;

export class LocalLM implements LM {
  readonly specificationVersion = "v2" as const;
  readonly provider = "local";
  readonly model: string;
  readonly modelPath: string;
  readonly defaults: LM["defaults"];
  /** The threads asked for; undefined: one per core. */
  readonly threads: number | undefined;
  readonly #options: { contextSize: number; threads: number | undefined; maxConcurrency: number };

  constructor(options: LocalOptions = {}) {
    this.modelPath = options.modelPath ?? defaultModelPath();
    this.model = basename(this.modelPath);
    // The string cap travels in the default provider options, so cache keys (which include an
    // LM's defaults) tell apart answers produced under different caps.
    const providerOptions = {
      ...options.defaults?.providerOptions,
      ...(options.maxStringLength === undefined ? {} : { maxStringLength: options.maxStringLength }),
      ...(options.chatGrammar === false ? { chatGrammar: false } : {}),
    };
    this.defaults =
      Object.keys(providerOptions).length === 0 ? options.defaults : { ...options.defaults, providerOptions };
    this.threads = options.threads ?? threadsFromEnv();
    this.#options = {
      contextSize: options.contextSize ?? 4096,
      threads: this.threads,
      maxConcurrency: Math.max(1, options.maxConcurrency ?? 4),
    };
  }

  /** Loads the model now instead of on the first request (e.g. before timing). */
  async load(): Promise<void> {
    await this.#runtime();
  }

  /** Tokens in `text` under this model's tokenizer. */
  async countTokens(text: string): Promise<number> {
    const runtime = await this.#runtime();
    return runtime.model.tokenize(text, false).length;
  }

  async generate(request: LMRequest): Promise<LMResponse> {
    const req = mergeRequest(this.defaults, request);
    // Refuse media before a model is loaded or a sequence borrowed.
    toChatHistory(req.messages, { provider: this.provider, model: this.model });
    const runtime = await this.#runtime();
    const plan = planPrompt(runtime, req, { provider: this.provider, model: this.model });
    const sequence = await runtime.acquire(req.signal, plan.tokens);
    try {
      const outputs: string[] = [];
      const finishReasons: (string | null)[] = [];
      let promptTokens = 0;
      let completionTokens = 0;
      for (let i = 0; i < Math.max(1, req.n ?? 1); i++) {
        const run = await this.#complete(runtime, sequence, req, plan);
        outputs.push(run.completion.text);
        finishReasons.push(run.completion.finishReason);
        promptTokens = run.promptTokens;
        completionTokens += run.completion.completionTokens;
      }
      return { outputs, usage: usage(promptTokens, completionTokens), model: this.model, cached: false, finishReasons };
    } finally {
      runtime.release(sequence);
    }
  }

  async *stream(request: LMRequest): AsyncIterable<LMStreamChunk> {
    const req = mergeRequest(this.defaults, request);
    toChatHistory(req.messages, { provider: this.provider, model: this.model });
    // Our own controller too, so that a consumer who stops reading stops the generation.
    const stop = new AbortController();
    const signal = req.signal === undefined ? stop.signal : AbortSignal.any([req.signal, stop.signal]);
    const queue = new AsyncQueue<LMStreamChunk>();
    const produce = async () => {
      const runtime = await this.#runtime();
      const plan = planPrompt(runtime, req, { provider: this.provider, model: this.model });
      const sequence = await runtime.acquire(signal, plan.tokens);
      try {
        let promptTokens = 0;
        let completionTokens = 0;
        const n = Math.max(1, req.n ?? 1);
        for (let index = 0; index < n; index++) {
          const run = await this.#complete(runtime, sequence, { ...req, signal }, plan, (delta) => {
            if (delta !== "") queue.push({ index, delta });
          });
          queue.push({ index, delta: "", finishReason: run.completion.finishReason });
          promptTokens = run.promptTokens;
          completionTokens += run.completion.completionTokens;
        }
        queue.push({ index: 0, delta: "", usage: usage(promptTokens, completionTokens) });
      } finally {
        runtime.release(sequence);
      }
    };
    produce().then(
      () => queue.close(),
      (error: unknown) => queue.fail(error),
    );
    try {
      yield* queue;
    } finally {
      stop.abort();
    }
  }

  async #runtime(): Promise<LocalRuntime> {
    return localRuntime({ modelPath: this.modelPath, ...this.#options });
  }

  async #complete(
    runtime: LocalRuntime,
    sequence: LlamaContextSequence,
    req: LMRequest,
    plan: PromptPlan,
    onText?: (text: string) => void,
  ): Promise<{ completion: Completion; promptTokens: number }> {
    const { LlamaCompletion } = await importOptional<typeof import("node-llama-cpp")>("node-llama-cpp");
    // A plain completion of the prompt the chat wrapper rendered (planPrompt): those exact tokens
    // chose the sequence, and LlamaCompletion keeps the sequence's matching prefix, evaluating
    // only the rest. The chat wrapper's end-of-turn triggers come with the plan.
    const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
    const { layout, room } = plan;
    const promptTokens = plan.tokens.length;
    try {
      const cap = req.providerOptions?.maxStringLength;
      const inSegments = layout !== undefined && segmented(req);
      const grammar =
        layout === undefined
          ? await runtime.grammarFor(req.responseFormat, typeof cap === "number" ? cap : undefined)
          : inSegments
            ? undefined
            : await runtime.gbnfGrammar(layout.gbnf);
      const sampling = samplingOptions(req.providerOptions);
      let completionTokens = 0;
      // The model's turn opens with the layout's first header (in `history`); streams see it first.
      if (layout !== undefined) onText?.(layout.prefix);
      const stops = [...plan.stopTriggers, ...(req.stop ?? [])];
      const maxTokens = Math.min(req.maxTokens ?? layout?.maxTokens ?? DEFAULT_MAX_TOKENS, room);
      const options = {
        temperature: req.temperature ?? 0,
        ...(grammar === undefined && !inSegments ? {} : { tokenBias: await runtime.grammarTokenBias() }),
        ...(stops.length > 0 ? { customStopTriggers: stops } : {}),
        ...(req.signal === undefined ? {} : { signal: req.signal }),
        ...sampling,
        ...(onText === undefined ? {} : { onTextChunk: onText }),
      };
      if (inSegments) {
        const run = await generateLayout(runtime, completion, plan.tokens, layout, maxTokens, options);
        const finishReason = run.truncated ? "length" : "stop";
        return {
          completion: { text: layout.prefix + run.text, finishReason, completionTokens: run.completionTokens },
          promptTokens,
        };
      }
      const result = await completion.generateCompletionWithMeta(plan.tokens, {
        ...options,
        maxTokens,
        ...(grammar === undefined ? {} : { grammar }),
        onToken: (tokens: Token[]) => {
          completionTokens += tokens.length;
        },
      });
      const reason = result.metadata.stopReason;
      // A grammar ends JSON with newlines that say "done"; they are not part of the answer.
      const response = grammar === undefined ? result.response : result.response.trimEnd();
      const text = layout === undefined ? response : layout.prefix + response;
      return {
        completion: { text, finishReason: reason === "maxTokens" ? "length" : "stop", completionTokens },
        promptTokens,
      };
    } catch (error) {
      // An interrupted evaluation may leave half a turn in the sequence; start the next one clean.
      await sequence.clearHistory().catch(() => undefined);
      if (req.signal?.aborted)
        throw new LMAbortedError(undefined, { provider: this.provider, model: this.model, cause: error });
      if (error instanceof LMError) throw error;
      throw new LMError(`Local generation failed: ${error instanceof Error ? error.message : String(error)}`, {
        provider: this.provider,
        model: this.model,
        cause: error,
      });
    } finally {
      completion.dispose({ disposeSequence: false });
    }
  }
}

interface PromptPlan {
  /** The ChatAdapter layout grammar, when the request is a plain-text ChatAdapter one. */
  layout: ChatGrammar | undefined;
  /** Texts that end the model's turn under its chat template. */
  stopTriggers: LlamaText[];
  /** The prompt as the model will read it (chooses the sequence with the longest cached prefix). */
  tokens: Token[];
  /** Tokens left for the reply. */
  room: number;
}

/**
 * What a request will evaluate, worked out before a sequence is borrowed: a prompt that does
 * not fit fails at once, and the tokens pick the sequence that already holds most of them.
 */
function planPrompt(runtime: LocalRuntime, req: LMRequest, who: { provider: string; model: string }): PromptPlan {
  // A plain-text ChatAdapter request gets the layout grammar (a JSON response format wins).
  const layout =
    (req.responseFormat === undefined || req.responseFormat.type === "text") &&
    req.providerOptions?.chatGrammar !== false
      ? chatGrammar(req.messages, req.maxTokens === undefined ? {} : { maxTokens: req.maxTokens })
      : undefined;
  const history = toChatHistory(req.messages, who, layout?.prefix);
  const state = runtime.chatWrapper.generateContextState({ chatHistory: history });
  const tokens = state.contextText.tokenize(runtime.model.tokenizer);
  const room = runtime.contextSize - tokens.length;
  if (room < MIN_COMPLETION_TOKENS) {
    throw new LMContextWindowError(
      `The prompt is ${tokens.length} tokens; the local context holds ${runtime.contextSize}.`,
      { ...who, context: { promptTokens: tokens.length, contextSize: runtime.contextSize } },
    );
  }
  // The wrapper's end-of-turn texts (most are end-of-generation tokens, which stop anyway).
  const stopTriggers = state.stopGenerationTriggers.filter((t) => t.values.length > 0);
  return { layout, tokens, room, stopTriggers };
}

/** The embedded offline LM (see LocalOptions). The model loads on the first request. */
export function local(options: LocalOptions = {}): LocalLM {
  return new LocalLM(options);
}

/**
 * DSPy messages to node-llama-cpp's chat history, ending on the model turn to generate. The
 * embedded models read text only: text parts are joined, and any other part fails with a typed
 * error before the model is touched.
 * @internal kept out of the published types, which must not need the optional node-llama-cpp.
 */
export function toChatHistory(
  messages: readonly Message[],
  who: { provider: string; model: string } = { provider: "local", model: "" },
  /** Text that opens the model's new turn (the layout grammar's first header). */
  prefix?: string,
): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m, index) => {
    const media = firstMediaPart(m.content);
    if (media !== undefined) {
      throw new LMUnsupportedContentError(
        `The embedded model ${who.model || "(local)"} reads text only; message ${index} has a "${media.type}" part.`,
        { ...who, partType: media.type, context: { message: index } },
      );
    }
    const text = contentText(m.content);
    return m.role === "system"
      ? { type: "system", text }
      : m.role === "user"
        ? { type: "user", text }
        : { type: "model", response: [text] };
  });
  // A trailing assistant message is a prefix to continue; otherwise open a fresh model turn.
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: prefix === undefined ? [] : [prefix] });
  return history;
}

/**
 * Segmented layout generation is the default; `providerOptions.segmentedLayout: false` turns it
 * off. A request with stop strings is decoded whole: the provider appends header text without
 * decoding it, so a stop string inside a header would never be seen.
 */
function segmented(req: LMRequest): boolean {
  return req.providerOptions?.segmentedLayout !== false && (req.stop?.length ?? 0) === 0;
}

function threadsFromEnv(): number | undefined {
  const raw = process.env.DSPEX_THREADS;
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new LMError(`DSPEX_THREADS must be a positive integer, got ${JSON.stringify(raw)}.`, {
      provider: "local",
      retryable: false,
      fix: "Unset DSPEX_THREADS (one thread per core) or set it to e.g. 1.",
    });
  }
  return n;
}

function samplingOptions(options: Record<string, unknown> | undefined): Sampling {
  const out: Sampling = {};
  if (options === undefined) return out;
  for (const key of ["topK", "topP", "minP", "seed"] as const) {
    const v = options[key];
    if (typeof v === "number" && Number.isFinite(v)) out[key] = v;
  }
  const rp = options.repeatPenalty;
  if (rp === false) out.repeatPenalty = false;
  else if (typeof rp === "number") out.repeatPenalty = { penalty: rp };
  return out;
}

function usage(promptTokens: number, completionTokens: number): Usage {
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
