export * from "./errors.js";
export { type CallInfo, type ServerError } from "./http.js";
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
export { REDACTED, safeURL, scrubSecrets, scrubValue } from "./scrub.js";
export { type SSEEvent, SSEParser } from "./sse.js";
export * from "./types.js";
export { OpenAIChatLM, type OpenAIOptions, openai } from "./providers/openai.js";
export { AnthropicMessagesLM, type AnthropicOptions, anthropic, toAnthropicMessages } from "./providers/anthropic.js";
