/**
 * DSPy's MultiChainComparison, run in a worker: it compares `m` earlier attempts (each with a
 * `reasoning` or `rationale` and the last output field) and produces a corrected answer.
 * Call it with `{ completions, ...inputs }`, as in DSPy.
 */
import type { InputsOf, OutputsOf, SignatureInput, Simplify } from "../../signature/infer.js";
import { Signature } from "../../signature/signature.js";
import type { Fields } from "../example.js";
import type { PredictConfig } from "../predict.js";
import { plain, PythonModule, type PythonModuleOptions, signatureToWire } from "./python-module.js";

export interface MultiChainComparisonOptions extends PythonModuleOptions {
  /** How many attempts are compared (DSPy's `M`, default 3). */
  m?: number;
  /** DSPy's default: 0.7. */
  temperature?: number;
  config?: Omit<PredictConfig, "cache" | "providerOptions" | "rolloutId">;
}

const CONFIG = Symbol("config");

/** DSPy's MultiChainComparison takes the attempts to compare as `completions`. */
export type MultiChainInputs<I> = Simplify<I & { completions: readonly Fields[] }>;
/** Its prediction leads with DSPy's `rationale` field. */
export type MultiChainOutputs<O> = Simplify<{ rationale: string } & O>;

export class MultiChainComparison<const S extends SignatureInput = string> extends PythonModule<
  MultiChainInputs<InputsOf<S>>,
  MultiChainOutputs<OutputsOf<S>>
> {
  protected readonly kind = "multi_chain_comparison";
  protected override readonly extraInputKeys = ["completions"];
  readonly signature: Signature;
  readonly m: number;
  readonly temperature: number;
  readonly [CONFIG]: MultiChainComparisonOptions["config"];

  constructor(signature: S, options: MultiChainComparisonOptions = {}) {
    super(options);
    this.signature = Signature.from(signature);
    this.m = options.m ?? 3;
    this.temperature = options.temperature ?? 0.7;
    this[CONFIG] = options.config;
  }

  protected spec(): Record<string, unknown> {
    const c = this[CONFIG] ?? {};
    const config: Record<string, unknown> = {};
    if (c.maxTokens !== undefined) config.max_tokens = c.maxTokens;
    if (c.n !== undefined) config.n = c.n;
    if (c.stop !== undefined) config.stop = c.stop;
    return { signature: signatureToWire(this.signature), m: this.m, temperature: this.temperature, config };
  }

  protected override wireInputs(inputs: Fields): Fields {
    const { completions, ...rest } = inputs;
    return { ...(plain(rest) as Fields), completions: plain(completions ?? []) };
  }
}
