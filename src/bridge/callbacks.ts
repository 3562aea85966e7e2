/**
 * Python -> Node calls. Only functions registered by name can be called (an allowlist); the
 * built-in `lm` callback runs DSPy's LM requests with an LM that stays in Node, so provider
 * credentials never reach Python: only messages and settings cross.
 */
import { DSPexError } from "../errors.js";
import type { LM, LMRequest, LMResponse, Message, ResponseFormat, Role } from "../lm/types.js";

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

function text(content: unknown, index: number): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        const p = part as { type?: string; text?: unknown };
        if (p?.type === "text" && typeof p.text === "string") return p.text;
        throw new CallbackError(`message ${index}: content part of type "${String(p?.type)}" is not supported`, {
          fix: "only text content can be sent to a Node LM from Python so far",
        });
      })
      .join("");
  }
  throw new CallbackError(`message ${index}: content must be a string or a list of text parts`);
}

/** DSPy/LiteLLM settings -> our LMRequest. Unknown settings pass through as provider options. */
export function toLMRequest(args: LMCallbackArgs): LMRequest {
  if (!args || !Array.isArray(args.messages)) throw new CallbackError("lm callback: `messages` must be a list");
  const messages: Message[] = args.messages.map((m, i) => {
    const role = ROLES[m.role];
    if (!role) throw new CallbackError(`message ${i}: role "${m.role}" is not supported`);
    return { role, content: text(m.content, i) };
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
  const response = await lm.generate(toLMRequest(args));
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
