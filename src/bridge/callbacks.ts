/**
 * Python -> Node calls. Only functions registered by name can be called (an allowlist); the
 * built-in `lm` callback runs DSPy's LM requests with an LM that stays in Node, so provider
 * credentials never reach Python: only messages and settings cross.
 */
import { DSPexError } from "../errors.js";
import { generateWith } from "../lm/compat.js";
import type {
  ContentPart,
  LM,
  LMRequest,
  LMResponse,
  Message,
  MessageContent,
  ResponseFormat,
  Role,
} from "../lm/types.js";

export interface CallbackContext {
  pool: string;
  workerId: string;
  /** The Node call on whose behalf Python is calling back, when there is one. */
  parentCallId: number | undefined;
  parentTool: string | undefined;
  /** The LM for this call: the call's `lm` option, else the pool's. */
  lm: LM | undefined;
}

export type CallbackFn = (args: unknown, context: CallbackContext) => unknown;

export class CallbackError extends DSPexError {}

/** What NodeLM (python/dspex_worker/lm_proxy.py) sends. */
export interface LMCallbackArgs {
  messages: { role: string; content: unknown }[];
  settings?: Record<string, unknown>;
  model?: string;
}

const ROLES: Record<string, Role> = { system: "system", developer: "system", user: "user", assistant: "assistant" };

/**
 * DSPy's message content as ours: a string, or OpenAI-shaped parts (what DSPy's adapters make of
 * dspy.Image, dspy.Audio and dspy.File). Parts are checked, not trusted: Python is another process.
 */
function content(value: unknown, index: number): MessageContent {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) throw new CallbackError(`message ${index}: content must be a string or a list of parts`);
  return value.map((part, k): ContentPart => {
    const p = (part ?? {}) as Record<string, unknown>;
    const bad = (why: string): never => {
      throw new CallbackError(`message ${index}, part ${k}: ${why}`, {
        fix: "content parts are {type: text|image_url|input_audio|file} in OpenAI's chat shape",
      });
    };
    const obj = (key: string): Record<string, unknown> => {
      const v = p[key];
      return v !== null && typeof v === "object" && !Array.isArray(v)
        ? (v as Record<string, unknown>)
        : bad(`"${key}" must be an object`);
    };
    const str = (o: Record<string, unknown>, key: string): string =>
      typeof o[key] === "string" ? (o[key] as string) : bad(`"${key}" must be a string`);
    const optional = (o: Record<string, unknown>, key: string): Record<string, string> =>
      typeof o[key] === "string" ? { [key]: o[key] as string } : {};
    switch (p.type) {
      case "text":
        return { type: "text", text: str(p, "text") };
      case "image_url": {
        const image = obj("image_url");
        const detail = image.detail;
        return {
          type: "image_url",
          image_url: {
            url: str(image, "url"),
            ...(detail === "auto" || detail === "low" || detail === "high" ? { detail } : {}),
          },
        };
      }
      case "input_audio": {
        const audio = obj("input_audio");
        return { type: "input_audio", input_audio: { data: str(audio, "data"), format: str(audio, "format") } };
      }
      case "file": {
        const file = obj("file");
        return {
          type: "file",
          file: { ...optional(file, "file_data"), ...optional(file, "file_id"), ...optional(file, "filename") },
        };
      }
      default:
        return bad(`content part of type "${String(p.type)}" is not supported`);
    }
  });
}

/** DSPy/LiteLLM settings -> our LMRequest. Unknown settings pass through as provider options. */
export function toLMRequest(args: LMCallbackArgs): LMRequest {
  if (!args || !Array.isArray(args.messages)) throw new CallbackError("lm callback: `messages` must be a list");
  const messages: Message[] = args.messages.map((m, i) => {
    const role = ROLES[m.role];
    if (!role) throw new CallbackError(`message ${i}: role "${m.role}" is not supported`);
    return { role, content: content(m.content, i) };
  });
  const request: LMRequest = { messages };
  const providerOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args.settings ?? {})) {
    if (value === null || value === undefined) continue;
    switch (key) {
      case "temperature":
        request.temperature = Number(value);
        break;
      case "max_tokens":
      case "max_completion_tokens":
        request.maxTokens = Number(value);
        break;
      case "n":
      case "num_generations":
        request.n = Number(value);
        break;
      case "stop":
        request.stop = Array.isArray(value) ? value.map(String) : [String(value)];
        break;
      case "rollout_id":
        request.rolloutId = typeof value === "number" ? value : String(value);
        break;
      case "response_format":
        request.responseFormat = value as ResponseFormat;
        break;
      default:
        providerOptions[key] = value;
    }
  }
  if (Object.keys(providerOptions).length > 0) request.providerOptions = providerOptions;
  return request;
}

export interface LMCallbackReply {
  outputs: string[];
  usage: LMResponse["usage"];
  model: string;
  cached: boolean;
  finishReasons: (string | null)[];
}

export async function serveLM(lm: LM, args: LMCallbackArgs): Promise<LMCallbackReply> {
  const response = await generateWith(lm, toLMRequest(args));
  return {
    outputs: response.outputs,
    usage: response.usage,
    model: response.model,
    cached: response.cached,
    finishReasons: response.finishReasons ?? response.outputs.map(() => "stop"),
  };
}

/** The `lm` callback every pool has unless the caller registers its own under that name. */
export const lmCallback: CallbackFn = (args, context) => {
  if (!context.lm) {
    throw new CallbackError("Python asked for an LM call but no LM is configured", {
      fix: "pass { lm } to PythonPool.start(...) or to the call's options",
    });
  }
  return serveLM(context.lm, args as LMCallbackArgs);
};
