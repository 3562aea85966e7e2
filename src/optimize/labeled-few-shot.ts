import type { Module } from "../modules/module.js";
import { runOptimizer } from "./run.js";
import type { OptimizeOptions, OptimizeResult, Trainset } from "./types.js";

export interface LabeledFewShotOptions extends OptimizeOptions {
  /** Demos per predictor (DSPy's k, default 16). */
  k?: number;
  /** Sample randomly (seeded) rather than take the first k (default true). */
  sample?: boolean;
}

/** DSPy's LabeledFewShot: trainset examples as demos for every predictor. Makes no LM calls. */
export async function labeledFewShot<P extends Module>(
  program: P,
  trainset: Trainset,
  options: LabeledFewShotOptions = {},
): Promise<OptimizeResult<P>> {
  const { program: optimized, report } = await runOptimizer(
    program,
    {
      optimizer: "LabeledFewShot",
      init: options.k === undefined ? {} : { k: options.k },
      compile: options.sample === undefined ? {} : { sample: options.sample },
      trainset,
      needsLM: false,
    },
    options,
  );
  return { program: optimized, report };
}
