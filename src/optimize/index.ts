export { type BootstrapFinetuneOptions, bootstrapFinetune } from "./bootstrap-finetune.js";
export { type BootstrapOptions, bootstrapFewShot } from "./bootstrap-few-shot.js";
export { cloneProgram } from "./clone.js";
export { EmptyDatasetError } from "./structure.js";
export { type COPROOptions, copro } from "./copro.js";
export { type EnsembleOptions, ensemble } from "./ensemble.js";
export { type GEPAOptions, gepa } from "./gepa.js";
export { OPTIMIZE_MODULE, RunNotActiveError, type TextEmbedder } from "./host.js";
export { PythonCompiledProgram } from "./kept-program.js";
export { type KNNFewShotOptions, knnFewShot } from "./knn-few-shot.js";
export { type LabeledFewShotOptions, labeledFewShot } from "./labeled-few-shot.js";
export { type MIPROv2Options, miproV2 } from "./mipro-v2.js";
export { optimizerPool } from "./run.js";
export { type RandomSearchOptions, bootstrapFewShotWithRandomSearch } from "./random-search.js";
export { type SIMBAOptions, simba } from "./simba.js";
export type {
  BuiltinMetric,
  FeedbackMetric,
  OptimizeMetric,
  OptimizeOptions,
  OptimizeProgress,
  OptimizeReport,
  OptimizeResult,
  OptimizeScores,
  ParetoFront,
  ScoreWithFeedback,
  Trainset,
} from "./types.js";
