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
