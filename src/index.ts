export { ChatAdapter } from "./adapters/chat.js";
export { AdapterParseError } from "./adapters/errors.js";
export { History } from "./adapters/history.js";
export { JSONAdapter } from "./adapters/json.js";
export { TwoStepAdapter } from "./adapters/two-step.js";
export { XMLAdapter } from "./adapters/xml.js";
export type { Adapter } from "./adapters/types.js";
export { Cache } from "./cache/cache.js";
export { ConfigurationError, DSPexError, UnsupportedError } from "./errors.js";
export {
  chainOfThought,
  inspectHistory,
  type LMOptions,
  lm,
  predict,
  programOfThought,
  react,
  signature,
} from "./facade.js";
// The LM call log; `History` is the conversation type (dspy.History).
export { LMHistory } from "./lm/history.js";
export { UsageTracker } from "./lm/usage.js";
export {
  LMAbortedError,
  LMAuthError,
  LMBadResponseError,
  LMConnectionError,
  LMContextWindowError,
  LMError,
  LMRateLimitError,
  LMServerError,
  LMTimeoutError,
  LMUnsupportedContentError,
} from "./lm/errors.js";
export { contentText, fromV1 } from "./lm/compat.js";
export { Audio, File, Image, MediaError } from "./media/index.js";
export {
  type McpClientLike,
  mcpTool,
  mcpTools,
  Tool,
  ToolArgumentsError,
  ToolDefinitionError,
  ToolExecutionError,
} from "./tools/index.js";
export { anthropic } from "./lm/providers/anthropic.js";
export { openai } from "./lm/providers/openai.js";
export { ScriptedLM } from "./lm/providers/scripted.js";
export type {
  ContentPart,
  LM,
  LMRequest,
  LMResponse,
  LMStreamChunk,
  LMV1,
  Message,
  MessageContent,
  Usage,
} from "./lm/types.js";
// An explicit list: internals (PARAMETER, resetSettings, findDeno, preparePythonModules ...) stay in
// their subpath exports, for the few who need them.
export { BestOfN, type BestOfNOptions, NoSuccessfulAttemptError, type RewardFn } from "./modules/best-of-n.js";
export { ChainOfThought, type ChainOfThoughtOptions, type WithReasoning } from "./modules/chain-of-thought.js";
export { InputError, NoLMError } from "./modules/errors.js";
export { Example, type ExampleLike, type Fields } from "./modules/example.js";
export {
  type InputsOfModule,
  Module,
  type ModuleInputs,
  type OutputsOfModule,
  type ProgramState,
  ProgramStateError,
} from "./modules/module.js";
export {
  type ExecPair,
  type PairResult,
  Parallel,
  ParallelCancelledError,
  type ParallelInput,
  type ParallelOptions,
  type ResultsOf,
} from "./modules/parallel.js";
export { Predict, type PredictCallOptions, type PredictConfig } from "./modules/predict.js";
export { Prediction, type PredictionBase } from "./modules/prediction.js";
export { Refine, type RefineOptions } from "./modules/refine.js";
export {
  configure,
  context,
  currentSettings,
  type ModuleCallback,
  type Settings,
  type TraceEntry,
} from "./runtime/settings.js";
export type {
  HistoryValue,
  InferSignature,
  InputsOf,
  OutputsOf,
  SignatureInput,
  UntypedFields,
} from "./signature/infer.js";
export { Signature, SignatureError, type SignatureMap, signatureFromZod } from "./signature/index.js";
export {
  branch,
  cached,
  type CacheStore,
  type MergeStrategy,
  Pipeline,
  PipelineModule,
  type PipelineEvent,
  PipelineError,
  type PipelineResult,
  parallel,
  pipeline,
  pythonStep,
  type RunOptions,
  type Step,
  type StepFn,
  type StepLike,
  type StepOptions,
  type StepReport,
  step,
} from "./pipeline/index.js";
export { shutdown } from "./shutdown.js";
export { StreamListener, StreamListenerError } from "./stream/listener.js";
export type { StatusMessageProvider } from "./stream/status.js";
export { type StreamifyOptions, type StreamingProgram, streamify } from "./stream/streamify.js";
export type { ChunkEvent, PredictionEvent, StatusEvent, StreamEvent, TokenEvent } from "./stream/types.js";
export {
  answerExactMatch,
  answerPassageMatch,
  CompleteAndGrounded,
  Evaluate,
  EvaluateError,
  type EvaluationResult,
  evaluate,
  exactMatch,
  f1,
  hotpotF1,
  type Metric,
  normalizeText,
  SemanticF1,
} from "./evaluate/index.js";
export {
  MultiChainComparison,
  type MultiChainComparisonOptions,
  ProgramOfThought,
  type ProgramOfThoughtOptions,
  PythonChainOfThought,
  PythonModule,
  type PythonModuleOptions,
  PythonPredict,
  type PythonPredictOptions,
  ReAct,
  type ReActOptions,
  SandboxError,
  SandboxLimitError,
  SandboxUnavailableError,
  type ToolDefinition,
} from "./modules/python/index.js";
export {
  CAPABILITIES,
  closeSharedPools,
  configurePool,
  ImpossibleOverrideError,
  type Implementation,
  OPERATIONS,
  type Operation,
  PythonUnavailableError,
  type RouteExplanation,
  Router,
  router,
  UnknownOperationError,
} from "./router/index.js";
export {
  type Document,
  EmbeddingsRetriever,
  type Filters,
  FiltersNotSupportedError,
  FusionRetriever,
  LocalEmbedder,
  localEmbedder,
  type Passage,
  PgFtsRetriever,
  PgVectorRetriever,
  reciprocalRankFusion,
  type Retriever,
  retriever,
  SqliteFtsRetriever,
  SqliteVecRetriever,
} from "./retrieve/index.js";
export { LocalLM, type LocalOptions, local, LocalModelMissingError } from "./lm/index.js";
export {
  bootstrapFewShot,
  bootstrapFewShotWithRandomSearch,
  bootstrapFinetune,
  copro,
  ensemble,
  gepa,
  knnFewShot,
  labeledFewShot,
  EmptyDatasetError,
  miproV2,
  type OptimizeReport,
  type OptimizeResult,
  simba,
} from "./optimize/lazy.js";
export { type SetupOptions, type SetupResult, SetupError, setup } from "./setup/lazy.js";
export { dspexHome } from "./home.js";
export { type Recording, type RecordRunsOptions, recordRuns } from "./studio/record-runs.js";
export { OptionalDependencyMissingError } from "./optional.js";
