/**
 * The LM interface, version 2. Kept deliberately small (in the manner of the AI SDK's
 * LanguageModelV3) so providers stay thin and everything else (cache, retries, usage,
 * history) composes around it instead of living inside each provider.
 *
 * Version 2 lets a message's content be a list of parts in OpenAI's chat shape (text,
 * image_url, input_audio, file), which is what DSPy's adapters produce for Image, Audio and
 * File values. Version 1 providers (string content only) still work: the one LM-call path
 * (`generateWith`/`streamWith` in compat.ts) joins text-only parts into a string for them and
 * refuses media with an LMUnsupportedContentError. See docs in README ("LM interface v2").
 */

/** "tool" carries a tool's result back to the LM (native function calling). */
export type Role = "system" | "user" | "assistant" | "tool";

export interface TextPart {
  type: "text";
  text: string;
}

export interface ImageURLPart {
  type: "image_url";
  /** An http(s)/gs URL or a data URI (data:image/png;base64,...). */
  image_url: { url: string; detail?: "auto" | "low" | "high" };
}

export interface InputAudioPart {
  type: "input_audio";
  /** Base64 audio bytes (no data: prefix) and their format ("wav", "mp3", ...). */
  input_audio: { data: string; format: string };
}

export interface FilePart {
  type: "file";
  /** file_data is a data URI; file_id refers to a file uploaded to the provider beforehand. */
  file: { file_data?: string; file_id?: string; filename?: string };
}

export type ContentPart = TextPart | ImageURLPart | InputAudioPart | FilePart;

export type MessageContent = string | ContentPart[];

export interface Message {
  role: Role;
  content: MessageContent;
  /** On an assistant message: the tool calls it made (native function calling). */
  toolCalls?: ToolCall[];
  /** On a tool message: the id of the call this is the result of. */
  toolCallId?: string;
  /** On a tool message: the tool's name. */
  name?: string;
}

/** One call of a tool the LM asked for; `args` already parsed from the wire's JSON. */
export interface ToolCall {
  id?: string;
  name: string;
  args: Record<string, unknown>;
}

/** A tool offered to the LM, in OpenAI's shape (DSPy's `format_as_litellm_function_call`). */
export interface FunctionToolSpec {
  type: "function";
  function: {
    name: string;
    description: string;
    parameters: { type: "object"; properties: Record<string, unknown>; required: string[] };
  };
}

export type ToolChoice = "auto" | "none" | "required" | { name: string };

/** A version 1 message: string content only. */
export interface MessageV1 {
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
  /** Tools the LM may call (native function calling). */
  tools?: FunctionToolSpec[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
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
  /** Per completion: the tool calls the LM made, when it made any. */
  toolCalls?: (ToolCall[] | undefined)[];
}

export interface LMStreamChunk {
  /** Completion index (for n > 1). */
  index: number;
  delta: string;
  /** Set on the chunk that ends completion `index`. */
  finishReason?: string | null;
  /** Set on a final chunk (delta "") when the provider reports usage for the whole stream. */
  usage?: Usage;
  /** Set (with delta "") once completion `index`'s tool calls are complete. */
  toolCalls?: ToolCall[];
}

export interface LM {
  /**
   * "v2": messages may carry content parts. "v1": the provider only ever receives string
   * content (see LMV1); media parts fail before reaching it.
   */
  readonly specificationVersion: "v1" | "v2";
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
  /** True when the provider takes `tools` and returns tool calls (DSPy's `supports_function_calling`). */
  readonly supportsFunctionCalling?: boolean;
  generate(request: LMRequest): Promise<LMResponse>;
  stream(request: LMRequest): AsyncIterable<LMStreamChunk>;
}

/** The request a version 1 provider receives: every message's content is a string. */
export type LMRequestV1 = Omit<LMRequest, "messages"> & { messages: MessageV1[] };

/** A version 1 provider, typed as it was written: string content only. Wrap it with `fromV1`. */
export interface LMV1 extends Omit<LM, "specificationVersion" | "generate" | "stream"> {
  readonly specificationVersion: "v1";
  generate(request: LMRequestV1): Promise<LMResponse>;
  stream(request: LMRequestV1): AsyncIterable<LMStreamChunk>;
}

export const emptyUsage = (): Usage => ({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });
