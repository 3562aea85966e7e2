export { findDeno } from "./deno.js";
export {
  SandboxError,
  SandboxLimitError,
  SandboxUnavailableError,
  ToolArgumentsError,
  ToolDefinitionError,
} from "./errors.js";
export { MultiChainComparison, type MultiChainComparisonOptions } from "./multi-chain-comparison.js";
export { PythonChainOfThought, PythonPredict, type PythonPredictOptions } from "./predict.js";
export { ProgramOfThought, type ProgramOfThoughtOptions } from "./program-of-thought.js";
export { PythonModule, type PythonModuleOptions, preparePythonModules } from "./python-module.js";
export { ReAct, type ReActOptions } from "./react.js";
export type { ToolDefinition } from "./tools.js";
