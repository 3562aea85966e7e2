/**
 * The functional facade: short constructors for people coming from DSPy
 * (`signature()`, `predict()`, `chainOfThought()`, `lm("openai/gpt-4o-mini")`).
 */
import { ConfigurationError } from "./errors.js";
import { printHistory } from "./lm/history.js";
import { anthropic } from "./lm/providers/anthropic.js";
import { openai } from "./lm/providers/openai.js";
import type { LM } from "./lm/types.js";
import { ChainOfThought, type ChainOfThoughtOptions } from "./modules/chain-of-thought.js";
import { Predict, type PredictConfig } from "./modules/predict.js";
import { ProgramOfThought, type ProgramOfThoughtOptions } from "./modules/python/program-of-thought.js";
import { ReAct, type ReActOptions } from "./modules/python/react.js";
import { defaultHistory } from "./runtime/record-call.js";
import { currentSettings } from "./runtime/settings.js";
import type { InputsOf, OutputsOf, SignatureInput } from "./signature/infer.js";
import { Signature } from "./signature/signature.js";

/** `signature("question -> answer: int")` is a `Signature<{ question: string }, { answer: number }>`. */
export function signature<const S extends SignatureInput>(
  spec: S,
  instructions?: string,
): Signature<InputsOf<S>, OutputsOf<S>> {
  return Signature.from(spec, instructions);
}

export function predict<const S extends SignatureInput>(spec: S, config?: PredictConfig): Predict<S> {
  return new Predict(spec, config);
}

export function chainOfThought<const S extends SignatureInput>(
  spec: S,
  options?: ChainOfThoughtOptions,
): ChainOfThought<S> {
  return new ChainOfThought(spec, options);
}

export function react<const S extends SignatureInput>(spec: S, options: ReActOptions): ReAct<S> {
  return new ReAct(spec, options);
}

export function programOfThought<const S extends SignatureInput>(
  spec: S,
  options?: ProgramOfThoughtOptions,
): ProgramOfThought<S> {
  return new ProgramOfThought(spec, options);
}

export interface LMOptions {
  apiKey?: string;
  baseURL?: string;
  temperature?: number;
  maxTokens?: number;
  timeoutMs?: number;
  maxRetries?: number;
}

/** DSPy's `dspy.LM("provider/model")`: picks the provider from the prefix. */
export function lm(spec: string, options: LMOptions = {}): LM {
  const slash = spec.indexOf("/");
  if (slash <= 0) {
    throw new ConfigurationError(`LM "${spec}" has no provider prefix`, {
      fix: 'write "provider/model", e.g. "openai/gpt-4o-mini" or "anthropic/claude-sonnet-4-5"',
    });
  }
  const provider = spec.slice(0, slash);
  const model = spec.slice(slash + 1);
  const defaults: LM["defaults"] = {};
  if (options.temperature !== undefined) defaults.temperature = options.temperature;
  if (options.maxTokens !== undefined) defaults.maxTokens = options.maxTokens;
  const common = {
    model,
    defaults,
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    ...(options.baseURL !== undefined ? { baseURL: options.baseURL } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
  };
  switch (provider) {
    case "openai":
      return openai(common);
    case "anthropic":
      return anthropic(common);
    default:
      // Any other prefix is taken to be an OpenAI-compatible server (vLLM, Ollama, LM Studio ...).
      if (options.baseURL === undefined) {
        throw new ConfigurationError(`Unknown LM provider "${provider}"`, {
          fix: 'use "openai/...", "anthropic/...", or give { baseURL } for an OpenAI-compatible server',
        });
      }
      return openai({ ...common, provider });
  }
}

/** DSPy's `dspy.inspect_history(n)`: prints the last n LM calls made in the current context. */
export function inspectHistory(n = 1, options: { colors?: boolean } = {}): void {
  printHistory(n, currentSettings().history ?? defaultHistory(), options);
}
