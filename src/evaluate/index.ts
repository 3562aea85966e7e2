export { type EvaluationFailure, EvaluateError, MetricError } from "./errors.js";
export {
  type AnswerMatchOptions,
  answerExactMatch,
  answerPassageMatch,
  dprNormalize,
  emScore,
  exactMatch,
  f1,
  f1Score,
  hasAnswer,
  hotpotF1,
  hotpotF1Score,
  normalizeText,
  PY_PUNCTUATION,
  precisionScore,
  pySplit,
} from "./metrics.js";
export {
  AnswerCompleteness,
  AnswerGroundedness,
  CompleteAndGrounded,
  DecompositionalSemanticRecallPrecision,
  type JudgeInputs,
  judgedF1,
  SemanticF1,
  type SemanticF1Options,
  SemanticRecallPrecision,
} from "./auto-evaluation.js";
export {
  Evaluate,
  type EvaluateEvents,
  type EvaluateOptions,
  evaluate,
  type Output,
  type RunOptions,
} from "./evaluate.js";
export { pyRound } from "../py/round.js";
export {
  formatTable,
  resultRecord,
  resultRecords,
  saveCSV,
  saveJSON,
  type TableOptions,
  toCSV,
  toJSON,
  truncateCell,
} from "./results.js";
export type {
  EvaluationQueue,
  EvaluationResult,
  EvaluationRow,
  Metric,
  MetricLike,
  MetricModule,
  MetricValue,
  Program,
  ProgramFileRef,
  ProgramObject,
  ProgressEvent,
  RemoteEvaluation,
} from "./types.js";
