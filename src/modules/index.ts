export { BestOfN, type BestOfNOptions, NoSuccessfulAttemptError, type RewardFn } from "./best-of-n.js";
export {
  type ExecPair,
  Parallel,
  ParallelCancelledError,
  type ParallelInput,
  type ParallelOptions,
} from "./parallel.js";
export { Refine, type RefineOptions } from "./refine.js";
export { ChainOfThought, type ChainOfThoughtOptions } from "./chain-of-thought.js";
export { InputError, NoLMError } from "./errors.js";
export { Example, type Fields } from "./example.js";
export {
  DSPY_SAVE_METADATA,
  isParameter,
  Module,
  PARAMETER,
  type Parameter,
  type ProgramState,
  ProgramStateError,
} from "./module.js";
export { Predict, type PredictCallOptions, type PredictConfig } from "./predict.js";
export { Prediction } from "./prediction.js";
export {
  configure,
  context,
  currentSettings,
  type ModuleCallback,
  resetSettings,
  type Settings,
  type TraceEntry,
} from "../runtime/settings.js";
