/**
 * The contract between the one LM-call path and streamify: the call path only knows that a
 * sink in context may want to run a call streaming; stream/ implements it. This keeps the
 * dependency pointing up (stream/ -> runtime/), never from modules/ into stream/.
 */
import type { Adapter } from "../adapters/types.js";
import type { Cache } from "../cache/cache.js";
import type { CachedGenerateOptions } from "../cache/cached-lm.js";
import type { LM, LMRequest, LMResponse } from "../lm/types.js";
import type { Signature } from "../signature/signature.js";

/** What a streaming predictor call hands the sink: the same pieces the cached call would use. */
export interface StreamCall {
  /** The predictor making the call (a Predict), by identity. */
  predictor: object;
  lm: LM;
  request: LMRequest;
  cache: Cache | undefined;
  cacheOptions: CachedGenerateOptions;
  adapter: Adapter;
  signature: Signature;
}

export interface StreamSink {
  /** Runs the call streaming when a consumer wants this predictor's output; else undefined. */
  generate(call: StreamCall): Promise<LMResponse> | undefined;
}
