import type { Module } from "../modules/module.js";
import { kwargs } from "./args.js";
import { type BootstrapOptions, bootstrapInit } from "./bootstrap-few-shot.js";
import { ref, runOptimizer } from "./run.js";
import type { OptimizeMetric, OptimizeResult, Trainset } from "./types.js";

export interface RandomSearchOptions extends BootstrapOptions {
  metric: OptimizeMetric;
  /** Random demo sets tried besides the zero-shot, labeled-only and unshuffled ones (default 16). */
  numCandidatePrograms?: number;
  stopAtScore?: number;
  /** Scores candidates here; default the trainset. */
  valset?: Trainset;
  labeledSample?: boolean;
}

/** DSPy's BootstrapFewShotWithRandomSearch: several bootstrapped demo sets, the best on the valset wins. */
export async function bootstrapFewShotWithRandomSearch<P extends Module>(
  program: P,
  trainset: Trainset,
  options: RandomSearchOptions,
): Promise<OptimizeResult<P>> {
  const { program: optimized, report } = await runOptimizer(
    program,
    {
      optimizer: "BootstrapFewShotWithRandomSearch",
      init: {
        ...bootstrapInit(options),
        ...kwargs({
          num_candidate_programs: options.numCandidatePrograms,
          num_threads: options.numThreads,
          stop_at_score: options.stopAtScore,
        }),
      },
      compile: kwargs({
        valset: options.valset ? ref.valset : undefined,
        teacher: options.teacher ? ref.teacher : undefined,
        labeled_sample: options.labeledSample,
      }),
      trainset,
      ...(options.valset ? { valset: options.valset } : {}),
      metric: options.metric,
      ...(options.teacher ? { teacher: options.teacher } : {}),
      lms: { task: options.lm, teacher: options.teacherLm },
    },
    options,
  );
  return { program: optimized, report };
}
