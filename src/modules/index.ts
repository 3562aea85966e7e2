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
} from "./settings.js";
