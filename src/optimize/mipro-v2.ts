import type { LM } from "../lm/types.js";
import type { Module } from "../modules/module.js";
import { kwargs } from "./args.js";
import { ref, runOptimizer } from "./run.js";
import type { OptimizeMetric, OptimizeOptions, OptimizeResult, Trainset } from "./types.js";

export interface MIPROv2Options extends OptimizeOptions {
  metric: OptimizeMetric;
  /** Budget preset (default "light"); null to set numCandidates and numTrials yourself. */
  auto?: "light" | "medium" | "heavy" | null;
  numCandidates?: number;
  numTrials?: number;
  /** Proposes instructions; default the task LM. */
  promptModel?: LM;
  teacherLm?: LM;
  maxBootstrappedDemos?: number;
  maxLabeledDemos?: number;
  maxErrors?: number;
  seed?: number;
  initTemperature?: number;
  metricThreshold?: number;
  /** Scores candidates; default 80% of the trainset, as DSPy splits it. */
  valset?: Trainset;
  minibatch?: boolean;
  minibatchSize?: number;
  minibatchFullEvalSteps?: number;
  /**
   * Let the proposer read the program's source. Default false here: DSPy would read the
   * source of the Python proxy standing in for the TS program, which says nothing about it.
   */
  programAwareProposer?: boolean;
  dataAwareProposer?: boolean;
  tipAwareProposer?: boolean;
  fewshotAwareProposer?: boolean;
  viewDataBatchSize?: number;
}

/** DSPy's MIPROv2: bootstrapped demo sets and proposed instructions, searched jointly with Optuna. */
export async function miproV2<P extends Module>(
  program: P,
  trainset: Trainset,
  options: MIPROv2Options,
): Promise<OptimizeResult<P>> {
  const { program: optimized, report } = await runOptimizer(
    program,
    {
      optimizer: "MIPROv2",
      init: kwargs({
        metric: ref.metric,
        prompt_model: ref.lm(options.promptModel ? "prompt" : "task"),
        task_model: ref.lm("task"),
        teacher_settings: options.teacherLm ? { lm: ref.lm("teacher") } : undefined,
        max_bootstrapped_demos: options.maxBootstrappedDemos,
        max_labeled_demos: options.maxLabeledDemos,
        auto: options.auto === undefined ? "light" : options.auto,
        num_candidates: options.numCandidates,
        num_threads: options.numThreads,
        max_errors: options.maxErrors,
        seed: options.seed,
        init_temperature: options.initTemperature,
        metric_threshold: options.metricThreshold,
      }),
      compile: kwargs({
        valset: options.valset ? ref.valset : undefined,
        num_trials: options.numTrials,
        minibatch: options.minibatch,
        minibatch_size: options.minibatchSize,
        minibatch_full_eval_steps: options.minibatchFullEvalSteps,
        program_aware_proposer: options.programAwareProposer ?? false,
        data_aware_proposer: options.dataAwareProposer,
        tip_aware_proposer: options.tipAwareProposer,
        fewshot_aware_proposer: options.fewshotAwareProposer,
        view_data_batch_size: options.viewDataBatchSize,
      }),
      trainset,
      ...(options.valset ? { valset: options.valset } : {}),
      metric: options.metric,
      lms: { task: options.lm, prompt: options.promptModel, teacher: options.teacherLm },
    },
    options,
  );
  return { program: optimized, report };
}
