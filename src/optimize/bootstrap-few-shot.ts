import type { LM } from "../lm/types.js";
import type { Module } from "../modules/module.js";
import { kwargs } from "./args.js";
import { ref, runOptimizer } from "./run.js";
import type { OptimizeMetric, OptimizeOptions, OptimizeResult, Trainset } from "./types.js";

export interface BootstrapOptions extends OptimizeOptions {
  /** Decides which traces become demos; without one every trace does. */
  metric?: OptimizeMetric;
  metricThreshold?: number;
  maxBootstrappedDemos?: number;
  maxLabeledDemos?: number;
  maxRounds?: number;
  maxErrors?: number;
  /** The teacher's LM (DSPy's teacher_settings={"lm": ...}). */
  teacherLm?: LM;
  /** A separate teacher program (same predictor names); default: the student with labeled demos. */
  teacher?: Module;
}

/** The constructor arguments shared by the bootstrapping optimizers. */
export function bootstrapInit(options: BootstrapOptions): Record<string, unknown> {
  return kwargs({
    metric: options.metric === undefined ? undefined : ref.metric,
    metric_threshold: options.metricThreshold,
    teacher_settings: options.teacherLm ? { lm: ref.lm("teacher") } : undefined,
    max_bootstrapped_demos: options.maxBootstrappedDemos,
    max_labeled_demos: options.maxLabeledDemos,
    max_rounds: options.maxRounds,
    max_errors: options.maxErrors,
  });
}

/** DSPy's BootstrapFewShot: run a teacher on the trainset and keep the traces the metric accepts as demos. */
export async function bootstrapFewShot<P extends Module>(
  program: P,
  trainset: Trainset,
  options: BootstrapOptions = {},
): Promise<OptimizeResult<P>> {
  const { program: optimized, report } = await runOptimizer(
    program,
    {
      optimizer: "BootstrapFewShot",
      init: bootstrapInit(options),
      compile: options.teacher ? { teacher: ref.teacher } : {},
      trainset,
      ...(options.metric ? { metric: options.metric } : {}),
      ...(options.teacher ? { teacher: options.teacher } : {}),
      lms: { task: options.lm, teacher: options.teacherLm },
    },
    options,
  );
  return { program: optimized, report };
}
