/**
 * Predict: formats a signature with the adapter, calls the LM (through the cache), parses
 * the completions, and records the call in the trace for optimizers. Its behaviour follows
 * DSPy's `Predict.forward`, including the one-time JSONAdapter fallback.
 */
import { AdapterParseError } from "../adapters/errors.js";
import { ChatAdapter } from "../adapters/chat.js";
import { JSONAdapter } from "../adapters/json.js";
import { parseWithToolCalls, planNativeTools } from "../adapters/native-tools.js";
import type { Adapter, ExtractionCall } from "../adapters/types.js";
import type { LM, LMRequest, LMResponse } from "../lm/types.js";
import type { InputsOf, OutputsOf, SignatureInput } from "../signature/infer.js";
import { Signature, type SignatureState } from "../signature/signature.js";
import { observeSync } from "../runtime/observe.js";
import { lmCall, resolveLM } from "../runtime/lm-call.js";
import type { PredictConfig } from "../runtime/predict-config.js";
import type { ExtraInput } from "../runtime/overrides.js";
import type { Fields } from "./example.js";
import { Module, type ModuleInputs, PARAMETER, type Parameter, ProgramStateError } from "./module.js";
import { Prediction } from "./prediction.js";
import { validateInputs } from "./validate-inputs.js";
import { checkLM, currentSettings, type Settings } from "../runtime/settings.js";

export type { PredictConfig } from "../runtime/predict-config.js";

export interface PredictCallOptions {
  config?: PredictConfig;
  demos?: readonly Fields[];
  lm?: LM;
  signature?: Signature;
  signal?: AbortSignal;
}

/** Everything one LM round trip of a Predict call needs, whichever adapter formats it. */
interface GenerateCall {
  lm: LM;
  signature: Signature;
  demos: readonly Fields[];
  inputs: Fields;
  config: PredictConfig;
  settings: Settings;
  options: PredictCallOptions;
}

const chatAdapter = new ChatAdapter();
const jsonAdapter = new JSONAdapter();

/**
 * `S` is the signature as given, which types the call: `new Predict("question -> answer: int")`
 * takes `{ question: string }` and resolves to a `Prediction<{ answer: number }>`. `Predict`
 * alone (a signature only known at run time) is untyped.
 */
export class Predict<const S extends SignatureInput = string>
  extends Module<InputsOf<S>, OutputsOf<S>>
  implements Parameter
{
  readonly [PARAMETER] = true as const;
  signature: Signature;
  demos: Fields[] = [];
  config: PredictConfig;
  lm: LM | undefined = undefined;
  traces: unknown[] = [];
  train: unknown[] = [];

  constructor(signature: S, config: PredictConfig = {}) {
    super();
    this.signature = Signature.from(signature);
    this.config = config;
  }

  override call(inputs: ModuleInputs<InputsOf<S>>, options?: PredictCallOptions): Promise<Prediction<OutputsOf<S>>> {
    // An Example stands for the typed inputs; validateInputs checks them at run time.
    return options ? this.forward(inputs as InputsOf<S>, options) : super.call(inputs);
  }

  async forward(inputs: InputsOf<S>, options: PredictCallOptions = {}): Promise<Prediction<OutputsOf<S>>> {
    const settings = currentSettings();
    // A per-call or per-module `lm` is checked as configure() checks it (a "provider/model" string
    // would otherwise fail deep inside the call as "lm.generate is not a function").
    checkLM(options.lm);
    checkLM(this.lm);
    // The caller's name (for the error when no LM is found) is built only when it is needed.
    const lm =
      options.lm ?? this.lm ?? settings.lm ?? resolveLM(settings, undefined, `Predict(${this.signature.spec})`);
    let signature = options.signature ?? this.signature;
    const demos = options.demos ?? this.demos;
    let config = options.config ? { ...this.config, ...options.config } : this.config;
    let callInputs = validateInputs(signature, inputs, { strict: settings.strictInputs === true, warn: settings.warn });
    const override = settings.overrides?.(this);
    if (override !== undefined) {
      if (override.config !== undefined) config = { ...override.config, ...config };
      // DSPy's Refine adds the hint inside the adapter call, so its trace shows `hint_` too.
      for (const extra of override.inputs ?? []) {
        callInputs = { ...callInputs, [extra.name]: extra.value };
        signature = withExtraInput(signature, extra);
      }
    }

    const adapter = settings.adapter ?? chatAdapter;
    // DSPy retries once with JSONAdapter when ChatAdapter's output cannot be parsed.
    const fallback =
      (adapter.name === "chat" || adapter.name === "xml") && settings.useJSONFallback !== false
        ? jsonAdapter
        : undefined;
    const call: GenerateCall = { lm, signature, demos, inputs: callInputs, config, settings, options };
    let completions: Fields[];
    let response: LMResponse;
    try {
      [completions, response] = await this.generate(adapter, call);
    } catch (error) {
      if (!(error instanceof AdapterParseError) || !fallback) throw error;
      [completions, response] = await this.generate(fallback, call);
    }

    // The adapter parsed and validated every output field against the signature's types.
    const prediction = Prediction.fromCompletions(completions as OutputsOf<S>[]);
    prediction.lmUsage = response.usage;
    const trace = settings.trace;
    if (trace) {
      const max = settings.maxTraceSize ?? 10_000;
      if (trace.length >= max) trace.shift();
      trace.push({ predictor: this, inputs: callInputs, prediction });
    }
    return prediction;
  }

  private async generate(
    adapter: Adapter,
    { lm, signature, demos, inputs, config, settings, options }: GenerateCall,
  ): Promise<[Fields[], LMResponse]> {
    // Native function calling: the tools leave the prompt and go to the LM as function tools.
    const tools = planNativeTools(adapter, lm, signature, inputs);
    const promptSignature = tools?.signature ?? signature;
    const callbacks = settings.callbacks;
    // Checked here, not only inside observeSync: without callbacks no event objects are built.
    const observed = callbacks !== undefined && callbacks.length > 0;
    const messages = observed
      ? observeSync(
          settings,
          "adapterFormat",
          adapterEvent(adapter, { signature: promptSignature, demos, inputs }),
          () => adapter.format(promptSignature, demos, inputs),
        )
      : adapter.format(promptSignature, demos, inputs);
    const request = buildRequest(messages, config, lm, options.signal ?? settings.signal);
    if (tools !== undefined) request.tools = tools.tools;
    if (adapter.responseFormat && promptSignature.outputFields.length > 0) {
      const format = adapter.responseFormat(promptSignature);
      if (format) request.responseFormat = format;
    }
    const response = await lmCall(request, {
      lm,
      settings,
      cacheTag: adapter.name,
      cache: config.cache,
      stream: { predictor: this, signature: promptSignature, adapter },
    });
    // DSPy's Adapter refuses an empty completion before parsing (unless it carries tool calls).
    response.outputs.forEach((completion, i) => {
      if (completion === "" && !(tools !== undefined && (response.toolCalls?.[i]?.length ?? 0) > 0)) {
        throw new AdapterParseError({
          adapter: adapter.constructor.name,
          completion,
          expectedFields: signature.outputFields.map((f) => f.name),
          reason: "The LM returned an empty or null response.",
        });
      }
    });
    if (adapter.extract && tools === undefined) {
      const extract = adapter.extract.bind(adapter);
      const call: ExtractionCall = async (extractionLM, by, sig, extractionMessages) => {
        const extraction: LMRequest = { messages: extractionMessages };
        const format = by.responseFormat?.(sig);
        if (format) extraction.responseFormat = format;
        const signal = options.signal ?? settings.signal;
        if (signal) extraction.signal = signal;
        const out = await lmCall(extraction, { lm: extractionLM, settings, cacheTag: by.name });
        return out.outputs[0] ?? "";
      };
      const extracted: Fields[] = [];
      for (const completion of response.outputs) extracted.push(await extract(signature, completion, call));
      return [extracted, response];
    }
    const parse = (completion: string, i: number): Fields =>
      tools === undefined
        ? adapter.parse(signature, completion)
        : parseWithToolCalls(tools, adapter, completion, response.toolCalls?.[i]);
    const completions = response.outputs.map((completion, i) =>
      observed
        ? observeSync(settings, "adapterParse", adapterEvent(adapter, { signature, completion }), () =>
            parse(completion, i),
          )
        : parse(completion, i),
    );
    return [completions, response];
  }

  /** DSPy's Predict state: `{ traces, train, demos, signature, lm }`. */
  override dumpState(): Record<string, unknown> {
    return {
      traces: this.traces,
      train: this.train,
      demos: this.demos.map((d) => (typeof d.toDict === "function" ? (d.toDict as () => Fields)() : { ...d })),
      signature: this.signature.dumpState(),
      lm: null,
    };
  }

  override loadState(state: Record<string, unknown>): this {
    const sig = state.signature as SignatureState | undefined;
    if (!sig || typeof sig.instructions !== "string" || !Array.isArray(sig.fields)) {
      throw new ProgramStateError("Predictor state has no valid `signature` entry", {
        fix: "load a state saved by DSPex or Python dspy (save format: { demos, signature, lm })",
      });
    }
    this.signature = this.signature.loadState(sig);
    this.demos = Array.isArray(state.demos) ? (state.demos as Fields[]).map((d) => ({ ...d })) : [];
    this.traces = Array.isArray(state.traces) ? state.traces : [];
    this.train = Array.isArray(state.train) ? state.train : [];
    return this;
  }

  reset(): void {
    this.lm = undefined;
    this.traces = [];
    this.train = [];
    this.demos = [];
  }
}

function adapterEvent(adapter: Adapter, inputs: unknown): { instance: Adapter; name: string; inputs: unknown } {
  return { instance: adapter, name: adapter.constructor.name, inputs };
}

function buildRequest(
  messages: LMRequest["messages"],
  config: PredictConfig,
  lm: LM,
  signal: AbortSignal | undefined,
): LMRequest {
  const request: LMRequest = { messages };
  if (config.temperature !== undefined) request.temperature = config.temperature;
  if (config.maxTokens !== undefined) request.maxTokens = config.maxTokens;
  if (config.stop !== undefined) request.stop = config.stop;
  if (config.rolloutId !== undefined) request.rolloutId = config.rolloutId;
  if (config.providerOptions !== undefined) request.providerOptions = config.providerOptions;
  if (signal) request.signal = signal;
  const n = config.n ?? lm.defaults?.n ?? 1;
  if (n > 1) {
    request.n = n;
    // DSPy raises a near-greedy temperature for n > 1, or every completion would be the same.
    const temperature = request.temperature ?? lm.defaults?.temperature;
    if (temperature === undefined || temperature <= 0.15) request.temperature = 0.7;
  }
  return request;
}

const EXTENDED = new WeakMap<Signature, Map<string, Signature>>();

/** The signature plus an override's extra input (Refine's `hint_`), made once per signature. */
function withExtraInput(signature: Signature, extra: ExtraInput): Signature {
  let bySignature = EXTENDED.get(signature);
  if (bySignature === undefined) {
    bySignature = new Map();
    EXTENDED.set(signature, bySignature);
  }
  const key = `${extra.name}\0${extra.description}`;
  let extended = bySignature.get(key);
  if (extended === undefined) {
    extended = signature.append(extra.name, "input", { desc: extra.description });
    bySignature.set(key, extended);
  }
  return extended;
}
