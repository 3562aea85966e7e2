/**
 * dspy.Predict and dspy.ChainOfThought run in a worker: the Python side of the router's
 * `{ implementation: "python" }` for predict and chainOfThought. Same signature, same state
 * (predictor names as DSPy gives them: `self` for Predict, `predict` for ChainOfThought), prompts by DSPy.
 */
import { Signature, type SignatureMap } from "../../signature/signature.js";
import type { PredictConfig } from "../predict.js";
import { PythonModule, type PythonModuleOptions, signatureToWire } from "./python-module.js";

export interface PythonPredictOptions extends PythonModuleOptions {
  config?: Omit<PredictConfig, "cache" | "providerOptions">;
}

function wireConfig(c: PythonPredictOptions["config"] = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (c.temperature !== undefined) out.temperature = c.temperature;
  if (c.maxTokens !== undefined) out.max_tokens = c.maxTokens;
  if (c.n !== undefined) out.n = c.n;
  if (c.stop !== undefined) out.stop = c.stop;
  if (c.rolloutId !== undefined) out.rollout_id = c.rolloutId;
  return out;
}

const CONFIG = Symbol("config");

export class PythonPredict extends PythonModule {
  protected readonly kind: string = "predict";
  readonly signature: Signature;
  readonly [CONFIG]: PythonPredictOptions["config"];

  constructor(signature: string | Signature | SignatureMap, options: PythonPredictOptions = {}) {
    super(options);
    this.signature = Signature.from(signature);
    this[CONFIG] = options.config;
  }

  protected spec(): Record<string, unknown> {
    return { signature: signatureToWire(this.signature), config: wireConfig(this[CONFIG]) };
  }
}

export class PythonChainOfThought extends PythonPredict {
  protected override readonly kind: string = "chain_of_thought";
}
