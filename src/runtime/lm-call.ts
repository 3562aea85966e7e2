/**
 * One LM call in context, as DSPy's `BaseLM.__call__`: the only place that decides which LM
 * answers (the caller's, the context's, else the embedded default), whether and under which
 * tag the cache is used, where the call is recorded (history, usage), which callbacks and spans
 * see it, and whether a streamify consumer gets its text as it arrives. Predict, the Python LM
 * callback (modules/python/node-lm.ts) and the optimizer host each make their LM calls here.
 */
import type { Adapter } from "../adapters/types.js";
import type { Cache } from "../cache/cache.js";
import { cachedGenerate } from "../cache/cached-lm.js";
import type { LM, LMRequest, LMResponse } from "../lm/types.js";
import type { Signature } from "../signature/signature.js";
import { observe, observing } from "./observe.js";
import { defaultCache } from "./default-cache.js";
import { embeddedDefaultLM } from "./default-lm.js";
import { NoLMError } from "./errors.js";
import { recordCall } from "./record-call.js";
import { currentSettings, type Settings } from "./settings.js";

/** The cache tag of prompts DSPy built in Python (its settings may differ from our adapters'). */
export const DSPY_PROMPTS = "dspy";

export interface LMCallOptions {
  /** The LM to use before the context's (a predictor's own, a run's role LM). */
  lm?: LM;
  /** The settings to run under; default the current context. Python's callbacks pass the caller's, captured. */
  settings?: Settings;
  /** Who built the prompt: an adapter's name, or DSPY_PROMPTS. Part of the cache key. */
  cacheTag?: string;
  /** false skips the cache for this call. */
  cache?: boolean;
  /** A predictor call that a streamify consumer may want to stream. */
  stream?: { predictor: object; signature: Signature; adapter: Adapter };
  /** Named in the error when no LM can be found. */
  caller?: string;
}

/** The LM a call in `settings` uses: the given one, the context's, else the embedded model (unless switched off). */
export function resolveLM(settings: Settings, lm: LM | undefined, caller = "LM call"): LM {
  const chosen = lm ?? settings.lm ?? (settings.embeddedDefault === false ? undefined : embeddedDefaultLM());
  if (!chosen) throw new NoLMError(caller);
  return chosen;
}

/** The cache a call in `settings` with `lm` reads and writes, if any. */
export function cacheFor(settings: Settings, lm: LM): Cache | undefined {
  return settings.cache === false || lm.cacheable === false ? undefined : (settings.cache ?? defaultCache());
}

export function lmCall(request: LMRequest, options: LMCallOptions = {}): Promise<LMResponse> {
  const settings = options.settings ?? currentSettings();
  const lm = resolveLM(settings, options.lm, options.caller);
  const req = settings.signal && !request.signal ? { ...request, signal: settings.signal } : request;
  // Unobserved (no callback, no tracing SDK): no event subject, no closure; run() is async, so it never throws.
  if (!observing(settings)) return run(lm, req, settings, options);
  return observe(settings, "lm", { instance: lm, name: lm.model, inputs: req }, () => run(lm, req, settings, options));
}

async function run(lm: LM, request: LMRequest, settings: Settings, options: LMCallOptions): Promise<LMResponse> {
  const cache = cacheFor(settings, lm);
  const cacheOptions = { enabled: options.cache, adapter: options.cacheTag };
  const started = Date.now();
  const stream = options.stream;
  const streamed =
    stream === undefined || settings.stream === undefined
      ? undefined
      : settings.stream.generate({ ...stream, lm, request, cache, cacheOptions });
  const response = await (streamed ?? cachedGenerate(lm, request, cache, cacheOptions));
  recordCall(settings, lm, request, response, started);
  return response;
}
