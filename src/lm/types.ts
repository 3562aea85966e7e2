/**
 * The LM interface, version 1. Kept deliberately small (in the manner of the AI SDK's
 * LanguageModelV3) so providers stay thin and everything else (cache, retries, usage,
 * history) composes around it instead of living inside each provider.
 */

export type Role = "system" | "user" | "assistant";

export interface Message {
  role: Role;
  content: string;
}

export interface JSONSchemaResponseFormat {
  type: "json_schema";
  name: string;
  schema: Record<string, unknown>;
  strict?: boolean;
}

export type ResponseFormat = { type: "text" } | { type: "json_object" } | JSONSchemaResponseFormat;

export interface LMRequest {
  messages: Message[];
  temperature?: number;
  maxTokens?: number;
  /** Number of completions. */
  n?: number;
  stop?: string[];
  responseFormat?: ResponseFormat;
  /** DSPy's rollout_id: distinct ids bypass the cache for otherwise identical requests. */
  rolloutId?: string | number;
  signal?: AbortSignal;
  /** Provider-specific settings, passed through to the wire as-is. */
  providerOptions?: Record<string, unknown>;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface LMResponse {
  /** One text per completion (length n). */
  outputs: string[];
  usage: Usage;
  model: string;
  /** True when served from the cache; cached responses are not counted as usage. */
  cached: boolean;
  finishReasons?: (string | null)[];
}

export interface LMStreamChunk {
  /** Completion index (for n > 1). */
  index: number;
  delta: string;
  /** Set on the chunk that ends completion `index`. */
  finishReason?: string | null;
  /** Set on a final chunk (delta "") when the provider reports usage for the whole stream. */
  usage?: Usage;
}

export interface LM {
  readonly specificationVersion: "v1";
  /** Stable provider id, e.g. "openai"; part of cache keys. */
  readonly provider: string;
  readonly model: string;
  /** Default request settings merged under each request. */
  readonly defaults?: Partial<Omit<LMRequest, "messages" | "signal">>;
  /**
   * False for LMs whose answers must not be replayed from the cache (scripted test LMs,
   * whose whole point is to answer in sequence). Absent means cacheable.
   */
  readonly cacheable?: boolean;
  generate(request: LMRequest): Promise<LMResponse>;
  stream(request: LMRequest): AsyncIterable<LMStreamChunk>;
}

export const emptyUsage = (): Usage => ({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });
