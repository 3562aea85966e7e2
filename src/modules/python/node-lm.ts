/**
 * The LM a Python-backed call is served with: the LM of the caller's context, run through the
 * same cache, history and usage accounting as a native Predict, so Python's LM calls count in Node.
 * Python's callbacks arrive outside the caller's async context, which is why the settings are
 * captured here, when the call starts.
 */
import { cachedGenerate } from "../../cache/cached-lm.js";
import { streamWith } from "../../lm/compat.js";
import type { LM, LMRequest, LMResponse, LMStreamChunk } from "../../lm/types.js";
import { defaultCache } from "../../runtime/default-cache.js";
import { NoLMError } from "../errors.js";
import { recordCall } from "../../runtime/record-call.js";
import type { Settings } from "../../runtime/settings.js";

export function contextLM(settings: Settings, module: string, override?: LM): LM {
  const lm = override ?? settings.lm;
  if (!lm) throw new NoLMError(module);
  const cache = settings.cache === false || lm.cacheable === false ? undefined : (settings.cache ?? defaultCache());
  const signal = settings.signal;
  return {
    specificationVersion: "v2",
    provider: lm.provider,
    model: lm.model,
    ...(lm.defaults ? { defaults: lm.defaults } : {}),
    async generate(request: LMRequest): Promise<LMResponse> {
      const req = signal && !request.signal ? { ...request, signal } : request;
      const started = Date.now();
      // "dspy" keys these apart from native prompts: DSPy may add settings our adapters do not.
      const response = await cachedGenerate(lm, req, cache, { adapter: "dspy" });
      recordCall(settings, lm, req, response, started);
      return response;
    },
    stream(request: LMRequest): AsyncIterable<LMStreamChunk> {
      return streamWith(lm, request);
    },
  };
}
