/**
 * The LM a Python-backed call is served with: the LM of the caller's context, through the one
 * LM-call path (cache, history, usage, callbacks), so Python's LM calls count in Node as a
 * native Predict's do. Python's callbacks arrive outside the caller's async context, which is
 * why the settings are captured here, when the call starts.
 */
import { streamWith } from "../../lm/compat.js";
import type { LM, LMRequest, LMResponse, LMStreamChunk } from "../../lm/types.js";
import { DSPY_PROMPTS, lmCall, resolveLM } from "../../runtime/lm-call.js";
import type { Settings } from "../../runtime/settings.js";

export function contextLM(settings: Settings, module: string, override?: LM): LM {
  const lm = resolveLM(settings, override, module);
  return {
    specificationVersion: "v2",
    provider: lm.provider,
    model: lm.model,
    ...(lm.defaults ? { defaults: lm.defaults } : {}),
    generate(request: LMRequest): Promise<LMResponse> {
      return lmCall(request, { lm, settings, cacheTag: DSPY_PROMPTS });
    },
    stream(request: LMRequest): AsyncIterable<LMStreamChunk> {
      return streamWith(lm, request);
    },
  };
}
