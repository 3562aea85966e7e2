import { ConfigurationError } from "../errors.js";
import type { LM } from "../lm/types.js";
import type { Module } from "../modules/module.js";
import { kwargs } from "./args.js";
import { ref, runOptimizer } from "./run.js";
import type { FeedbackMetric, OptimizeOptions, OptimizeResult, Trainset } from "./types.js";

export interface GEPAOptions extends OptimizeOptions {
  /** Returns a score, or `{ score, feedback }` that the reflection LM reads. */
  metric: FeedbackMetric;
  /** Reads traces and feedback and rewrites instructions (required, as in DSPy). */
  reflectionLm: LM;
  /** Exactly one budget: auto, maxFullEvals or maxMetricCalls. */
  auto?: "light" | "medium" | "heavy";
  maxFullEvals?: number;
  maxMetricCalls?: number;
  reflectionMinibatchSize?: number;
  candidateSelectionStrategy?: "pareto" | "current_best";
  skipPerfectScore?: boolean;
  useMerge?: boolean;
  maxMergeInvocations?: number;
  failureScore?: number;
  perfectScore?: number;
  /** Keep per-candidate scores (report.scores.candidates); default true here. */
  trackStats?: boolean;
  seed?: number;
  /** Pareto validation set; default the trainset. */
  valset?: Trainset;
}

/** DSPy's GEPA: reflective prompt evolution driven by textual feedback from the metric. */
export async function gepa<P extends Module>(
  program: P,
  trainset: Trainset,
  options: GEPAOptions,
): Promise<OptimizeResult<P>> {
  const budgets = [options.auto, options.maxFullEvals, options.maxMetricCalls].filter((b) => b !== undefined);
  if (budgets.length !== 1) {
    throw new ConfigurationError("GEPA needs exactly one budget", {
      fix: 'pass one of { auto: "light" }, { maxFullEvals: n } or { maxMetricCalls: n }',
    });
  }
  if (!options.reflectionLm) {
    throw new ConfigurationError("GEPA needs a reflection LM", { fix: "pass { reflectionLm }" });
  }
  const { program: optimized, report } = await runOptimizer(
    program,
    {
      optimizer: "GEPA",
      init: kwargs({
        metric: ref.metric,
        auto: options.auto,
        max_full_evals: options.maxFullEvals,
        max_metric_calls: options.maxMetricCalls,
        reflection_minibatch_size: options.reflectionMinibatchSize,
        candidate_selection_strategy: options.candidateSelectionStrategy,
        reflection_lm: ref.lm("reflection"),
        skip_perfect_score: options.skipPerfectScore,
        use_merge: options.useMerge,
        max_merge_invocations: options.maxMergeInvocations,
        num_threads: options.numThreads,
        failure_score: options.failureScore,
        perfect_score: options.perfectScore,
        track_stats: options.trackStats ?? true,
        seed: options.seed,
      }),
      compile: kwargs({ valset: options.valset ? ref.valset : undefined }),
      trainset,
      ...(options.valset ? { valset: options.valset } : {}),
      metric: options.metric,
      lms: { task: options.lm, reflection: options.reflectionLm },
    },
    options,
  );
  return { program: optimized, report };
}
