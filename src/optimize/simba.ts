import type { LM } from "../lm/types.js";
import type { Module } from "../modules/module.js";
import { kwargs } from "./args.js";
import { ref, runOptimizer } from "./run.js";
import type { OptimizeMetric, OptimizeOptions, OptimizeResult, Trainset } from "./types.js";

export interface SIMBAOptions extends OptimizeOptions {
  metric: OptimizeMetric;
  /** Minibatch size (default 32; the trainset must hold at least this many). */
  bsize?: number;
  numCandidates?: number;
  maxSteps?: number;
  maxDemos?: number;
  /** Writes the rules SIMBA appends to instructions; default the task LM. */
  promptModel?: LM;
  teacherLm?: LM;
  demoInputFieldMaxlen?: number;
  temperatureForSampling?: number;
  temperatureForCandidates?: number;
  seed?: number;
}

/** DSPy's SIMBA: stochastic introspective mini-batch ascent (appends demos and self-written rules). */
export async function simba<P extends Module>(
  program: P,
  trainset: Trainset,
  options: SIMBAOptions,
): Promise<OptimizeResult<P>> {
  const { program: optimized, report } = await runOptimizer(
    program,
    {
      optimizer: "SIMBA",
      init: kwargs({
        metric: ref.metric,
        bsize: options.bsize,
        num_candidates: options.numCandidates,
        max_steps: options.maxSteps,
        max_demos: options.maxDemos,
        prompt_model: options.promptModel ? ref.lm("prompt") : undefined,
        teacher_settings: options.teacherLm ? { lm: ref.lm("teacher") } : undefined,
        demo_input_field_maxlen: options.demoInputFieldMaxlen,
        num_threads: options.numThreads,
        temperature_for_sampling: options.temperatureForSampling,
        temperature_for_candidates: options.temperatureForCandidates,
      }),
      compile: kwargs({ seed: options.seed }),
      trainset,
      metric: options.metric,
      lms: { task: options.lm, prompt: options.promptModel, teacher: options.teacherLm },
    },
    options,
  );
  return { program: optimized, report };
}
