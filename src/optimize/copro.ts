import type { LM } from "../lm/types.js";
import type { Module } from "../modules/module.js";
import { kwargs } from "./args.js";
import { ref, runOptimizer } from "./run.js";
import type { OptimizeMetric, OptimizeOptions, OptimizeResult, Trainset } from "./types.js";

export interface COPROOptions extends OptimizeOptions {
  metric: OptimizeMetric;
  /** Writes the candidate instructions; default the task LM. */
  promptModel?: LM;
  /** Candidates per round (more than 1; default 10). */
  breadth?: number;
  /** Rounds (default 3). */
  depth?: number;
  initTemperature?: number;
  trackStats?: boolean;
}

/** DSPy's COPRO: coordinate ascent over each predictor's instructions and output prefix. */
export async function copro<P extends Module>(
  program: P,
  trainset: Trainset,
  options: COPROOptions,
): Promise<OptimizeResult<P>> {
  const { program: optimized, report } = await runOptimizer(
    program,
    {
      optimizer: "COPRO",
      init: kwargs({
        metric: ref.metric,
        prompt_model: ref.lm(options.promptModel ? "prompt" : "task"),
        breadth: options.breadth,
        depth: options.depth,
        init_temperature: options.initTemperature,
        track_stats: options.trackStats,
      }),
      compile: { eval_kwargs: kwargs({ num_threads: options.numThreads, display_progress: false }) },
      trainset,
      metric: options.metric,
      lms: { task: options.lm, prompt: options.promptModel },
    },
    options,
  );
  return { program: optimized, report };
}
