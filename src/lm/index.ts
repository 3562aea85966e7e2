export * from "./errors.js";
export type { CallInfo, ServerError } from "./http.js";
export { addUsage, mergeRequest } from "./request.js";
export {
  backoffDelay,
  isRetryable,
  parseRetryAfter,
  type RetryOptions,
  sleep,
  transportErrorCode,
  withRetry,
} from "./retry.js";
export { headerSecrets, REDACTED, safeURL, scrubSecrets, scrubValue } from "./scrub.js";
export { type SSEEvent, SSEParser } from "./sse.js";
export * from "./types.js";
export { contentText, firstMediaPart, fromV1, generateWith, streamWith, toV1Request } from "./compat.js";
export { type AnthropicBlock, parseDataURI, toAnthropicBlocks } from "./providers/anthropic-content.js";
export { OpenAIChatLM, type OpenAIOptions, openai } from "./providers/openai.js";
export { AnthropicMessagesLM, type AnthropicOptions, anthropic, toAnthropicMessages } from "./providers/anthropic.js";
export {
  formatHistory,
  type HistoryEntry,
  type InspectOptions,
  LMHistory,
  printHistory,
  pythonTimestamp,
} from "./history.js";
export {
  followExample,
  type RecordedLMRequest,
  type ScriptedAnswer,
  ScriptedLM,
  type ScriptedLMOptions,
} from "./providers/scripted.js";
export { type TrackingOptions, withTracking } from "./tracked.js";
export { UsageTracker, type UsageSnapshot, type UsageTotals } from "./usage.js";
export { LocalLM, type LocalOptions, local } from "./providers/local.js";
export {
  DEFAULT_MODEL_FILE,
  DEFAULT_MODEL_PACKAGE,
  defaultModelPath,
  LocalModelMissingError,
} from "./providers/local-model.js";
export { unloadLocalModels } from "./providers/local-runtime.js";
