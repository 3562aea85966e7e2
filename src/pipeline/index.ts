export { Pipeline, pipeline } from "./pipeline.js";
export {
  branch,
  type CacheStore,
  cached,
  type MergeStrategy,
  parallel,
  type Step,
  type StepFn,
  type StepLike,
  type StepOptions,
  step,
} from "./step.js";
export { type PipelineEvent, PipelineError, type PipelineResult, type RunOptions, type StepReport } from "./types.js";
export { pythonStep } from "./python-step.js";
export { PipelineModule } from "./module.js";
