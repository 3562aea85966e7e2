/**
 * The loaded llama.cpp state behind the local provider: one native runtime per process, one
 * model per file, one context per (file, context size, threads, concurrency), whatever the
 * number of `local()` LMs. A model is hundreds of MB of weights, so this is a resource cache,
 * not configuration: nothing here changes what a request means.
 */
import { availableParallelism } from "node:os";
import type {
  ChatWrapper,
  GbnfJsonSchema,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
  Token,
  TokenBias,
} from "node-llama-cpp";
import { importOptional } from "../../optional.js";
import { LMAbortedError, LMError } from "../errors.js";
import type { ResponseFormat } from "../types.js";
import { assertModelFile } from "./local-model.js";
import { toGrammarSchema } from "./local-grammar.js";

export interface RuntimeOptions {
  modelPath: string;
  contextSize: number;
  threads: number | undefined;
  maxConcurrency: number;
}

const MAX_CACHED_GRAMMARS = 64;

/** A request waiting for its turn: the prompt it will evaluate decides which sequence it gets. */
interface Waiter {
  tokens: readonly Token[] | undefined;
  grant: (sequence: LlamaContextSequence) => void;
}

/**
 * A context and its pool of sequences: each request borrows one sequence and returns it.
 *
 * Requests are evaluated ONE AT A TIME, whatever the number of sequences. node-llama-cpp
 * 3.21.1 samples every sequence of a decoded batch on its own libuv thread, and each sampler
 * reads the batch's logits through llama.cpp accessors that first apply a pending reorder of the
 * output rows (`llama_context::output_reorder`, unsynchronised). A batch's rows need that
 * reorder whenever its tokens were not laid out in sequence order (this context keeps one KV
 * stream per sequence, and llama.cpp then groups a batch by sequence), which concurrent calls
 * cause all the time: concurrent samplers then swap rows under each other and a sequence picks
 * its next token from another sequence's logits. Measured here: greedy answers changed at
 * concurrency 4 (11/16 and 14/16 right against 16/16 at concurrency 1), one sequence writing
 * another's next token at p = 0.9999; with the samplers forced onto one thread
 * (UV_THREADPOOL_SIZE=1) the outputs matched, at 1 and at 2 llama.cpp threads alike.
 * node-llama-cpp 3.22 puts a mutex around those reads. Until then one batch holds one sequence,
 * so it has one output row: nothing to reorder and one sampler. The pool still pays: each
 * sequence keeps its own cached prompt prefix (one per predictor of a program), and the
 * request whose turn comes takes the sequence that shares most of its prompt. What it costs:
 * batched decoding across sequences, which measured 0.70x-1.05x of concurrency 1 on 2 cores
 * anyway (prefill-bound; see docs/notes).
 * @internal kept out of the published types, which must not need the optional node-llama-cpp.
 */
export class LocalRuntime {
  private readonly free: LlamaContextSequence[];
  private readonly waiters: Waiter[] = [];
  /** A sequence is out: the next request waits for its turn (see the class comment). */
  private busy = false;
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private tokenBias: Promise<TokenBias> | undefined;

  constructor(
    readonly llama: Llama,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    /** Resolved once: resolving "auto" inspects the model's Jinja template and costs ~1 s a time. */
    readonly chatWrapper: ChatWrapper,
  ) {
    this.free = [];
    while (context.sequencesLeft > 0) this.free.push(context.getSequence());
  }

  /** Tokens one sequence can hold. */
  get contextSize(): number {
    return this.context.contextSize;
  }

  /**
   * Waits for this request's turn (first come, first served); an abort while waiting leaves the
   * queue untouched. Given the prompt's tokens, takes the free sequence whose cached state
   * shares the longest prefix with them: the completion keeps that prefix and evaluates only the
   * rest, and prefill is most of a short call's time on a CPU (the same signature's system prompt
   * and demos come first in every call, so each predictor of a program keeps "its" sequence warm).
   * The sequence is chosen when the turn comes, so a queued request still gets the warmest one.
   */
  acquire(signal?: AbortSignal, tokens?: readonly Token[]): Promise<LlamaContextSequence> {
    if (signal?.aborted) return Promise.reject(new LMAbortedError(undefined, { provider: "local" }));
    if (!this.busy && this.waiters.length === 0) {
      const ready = this.takeFree(tokens);
      if (ready !== undefined) {
        this.busy = true;
        return Promise.resolve(ready);
      }
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        tokens,
        grant: (sequence) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(sequence);
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new LMAbortedError(undefined, { provider: "local" }));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private takeFree(tokens: readonly Token[] | undefined): LlamaContextSequence | undefined {
    if (this.free.length === 0) return undefined;
    // Without tokens: the most recently used one (a stack), whose state is likeliest to be reused.
    let best = this.free.length - 1;
    if (tokens !== undefined && tokens.length > 0) {
      let bestShared = -1;
      const prompt = tokens as Token[];
      // From the least recently used up, so that on a tie (a prompt no sequence holds) the
      // coldest cache is overwritten and the other predictors' prefixes stay warm.
      for (let i = 0; i < this.free.length; i++) {
        const shared = this.free[i]!.compareContextTokens(prompt).firstDifferentIndex;
        if (shared > bestShared) {
          bestShared = shared;
          best = i;
        }
      }
    }
    return this.free.splice(best, 1)[0];
  }

  release(sequence: LlamaContextSequence): void {
    if (!sequence.disposed) this.free.push(sequence);
    this.busy = false;
    const next = this.waiters[0];
    if (next === undefined) return;
    const chosen = this.takeFree(next.tokens);
    if (chosen === undefined) return;
    this.waiters.shift();
    this.busy = true;
    next.grant(chosen);
  }

  /**
   * Forbids the model's special tokens other than end-of-generation ones, for replies under a
   * grammar. llama.cpp checks a special token's text (e.g. "<|im_start|>") against the grammar as
   * if it were plain text, and our text rules admit it: Qwen2.5-0.5B answered "Portuguese." and
   * then wrote <|im_start|> and a newline 28 times inside a field the grammar keeps free of
   * blank lines. Built once per model (one pass over the vocabulary).
   */
  grammarTokenBias(): Promise<TokenBias> {
    this.tokenBias ??= (async () => {
      const { TokenBias } = await importOptional<typeof import("node-llama-cpp")>("node-llama-cpp");
      const bias = new TokenBias(this.model.tokenizer);
      for (const token of this.model.iterateAllTokens()) {
        if (this.model.isSpecialToken(token) && !this.model.isEogToken(token)) bias.set(token, "never");
      }
      return bias;
    })();
    return this.tokenBias;
  }

  /** A grammar from GBNF text (the ChatAdapter layout), built once per text. */
  gbnfGrammar(gbnf: string): Promise<LlamaGrammar> {
    return this.cachedGrammar(`gbnf:${gbnf}`, () => this.llama.createGrammar({ grammar: gbnf }));
  }

  /** The grammar that enforces `format`, or undefined for plain text. Built once per schema. */
  grammarFor(format: ResponseFormat | undefined, maxStringLength?: number): Promise<LlamaGrammar | undefined> {
    if (format === undefined || format.type === "text") return Promise.resolve(undefined);
    const key = format.type === "json_object" ? "json" : `${maxStringLength ?? ""}:${JSON.stringify(format.schema)}`;
    return this.cachedGrammar(key, () =>
      format.type === "json_object"
        ? this.llama.getGrammarFor("json")
        : this.llama.createGrammarForJsonSchema<GbnfJsonSchema>(toGrammarSchema(format.schema, { maxStringLength })),
    );
  }

  private cachedGrammar(key: string, build: () => Promise<LlamaGrammar>): Promise<LlamaGrammar> {
    let grammar = this.grammars.get(key);
    if (grammar === undefined) {
      grammar = build();
      if (this.grammars.size >= MAX_CACHED_GRAMMARS) this.grammars.delete(this.grammars.keys().next().value!);
      this.grammars.set(key, grammar);
      grammar.catch(() => this.grammars.delete(key));
    }
    return grammar;
  }
}

/** Process-wide cache of loaded runtimes; `unloadLocalModels()` empties it. */
class Registry {
  private llama: Promise<Llama> | undefined;
  private readonly models = new Map<string, Promise<LlamaModel>>();
  private readonly runtimes = new Map<string, Promise<LocalRuntime>>();
  private exitHookInstalled = false;

  get(options: RuntimeOptions): Promise<LocalRuntime> {
    const key = JSON.stringify([options.modelPath, options.contextSize, options.threads, options.maxConcurrency]);
    let runtime = this.runtimes.get(key);
    if (runtime === undefined) {
      runtime = this.load(options);
      this.runtimes.set(key, runtime);
      // A failed load (missing file) must not stick: the user may run set-up and retry.
      runtime.catch(() => this.runtimes.delete(key));
    }
    return runtime;
  }

  private async load(options: RuntimeOptions): Promise<LocalRuntime> {
    assertModelFile(options.modelPath);
    const llama = await this.getLlama();
    let model = this.models.get(options.modelPath);
    if (model === undefined) {
      model = llama.loadModel({ modelPath: options.modelPath, gpuLayers: 0 });
      this.models.set(options.modelPath, model);
      model.catch(() => this.models.delete(options.modelPath));
    }
    let loaded: LlamaModel;
    try {
      loaded = await model;
    } catch (cause) {
      throw new LMError(`Could not load the local model ${options.modelPath}: ${String(cause)}`, {
        provider: "local",
        cause,
        fix: "Check that the file is a GGUF model llama.cpp supports (re-run `npx dspex setup`, or fix DSPEX_MODEL).",
      });
    }
    const context = await loaded.createContext({
      contextSize: Math.min(options.contextSize, loaded.trainContextSize),
      sequences: options.maxConcurrency,
      threads: options.threads ?? defaultThreads(llama),
    });
    const { resolveChatWrapper } = await importOptional<typeof import("node-llama-cpp")>("node-llama-cpp");
    return new LocalRuntime(llama, loaded, context, resolveChatWrapper(loaded));
  }

  private getLlama(): Promise<Llama> {
    if (this.llama === undefined) {
      this.llama = (async () => {
        const { getLlama, LlamaLogLevel } = await importOptional<typeof import("node-llama-cpp")>("node-llama-cpp");
        // CPU only, prebuilt binaries only: never download or compile llama.cpp at run time.
        return getLlama({
          gpu: false,
          build: "never",
          logLevel: LlamaLogLevel.error,
          progressLogs: false,
          maxThreads: availableParallelism(),
        });
      })();
      this.llama.catch(() => {
        this.llama = undefined;
      });
      this.installExitHook();
    }
    return this.llama;
  }

  private installExitHook(): void {
    if (this.exitHookInstalled) return;
    this.exitHookInstalled = true;
    // beforeExit fires once the loop is empty; disposing there frees native memory and
    // threads before Node tears down, so the process never hangs on llama.cpp's workers.
    process.once("beforeExit", () => {
      void this.unload();
    });
  }

  async unload(): Promise<void> {
    const llama = this.llama;
    this.llama = undefined;
    const runtimes = [...this.runtimes.values()];
    this.runtimes.clear();
    this.models.clear();
    this.exitHookInstalled = false;
    for (const r of runtimes) await r.then((rt) => rt.context.dispose()).catch(() => undefined);
    if (llama !== undefined) await llama.then((l) => l.dispose()).catch(() => undefined);
  }
}

/**
 * One thread per core (node-llama-cpp's default is at least 4, which oversubscribes 2 cores).
 * llama.cpp's matrix work splits across threads, so prefill, most of a short call's time,
 * scales with cores on an otherwise idle machine. On a loaded machine its spinning workers
 * lose more than they gain (measured on 2 cores at load 3-4: 116 ms/token decoding with 1
 * thread, 350-790 ms with 2), so `local({ threads: 1 })` is there for shared hosts.
 */
function defaultThreads(llama: Llama): number {
  return Math.max(1, Math.min(llama.cpuMathCores, availableParallelism()));
}

const registry = new Registry();

/** @internal */
export function localRuntime(options: RuntimeOptions): Promise<LocalRuntime> {
  return registry.get(options);
}

/** Disposes every loaded local model and context; the next request loads them again. */
export function unloadLocalModels(): Promise<void> {
  return registry.unload();
}
