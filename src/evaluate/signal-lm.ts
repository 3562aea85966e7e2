/**
 * Module.call() takes no AbortSignal, so Evaluate reaches in-flight LM calls another way: it runs
 * each example in a settings context whose LM adds the run's signal to every request. Predictors
 * with their own `lm` are not reached this way; Evaluate still stops waiting for them on abort.
 */
import type { LM, LMRequest, LMResponse, LMStreamChunk } from "../lm/types.js";

export class SignalLM implements LM {
  readonly specificationVersion = "v1" as const;
  readonly provider: string;
  readonly model: string;
  readonly defaults: LM["defaults"];
  readonly cacheable: boolean | undefined;

  constructor(
    readonly inner: LM,
    private readonly signal: AbortSignal,
  ) {
    this.provider = inner.provider;
    this.model = inner.model;
    this.defaults = inner.defaults;
    this.cacheable = inner.cacheable;
  }

  generate(request: LMRequest): Promise<LMResponse> {
    return this.inner.generate(this.withSignal(request));
  }

  stream(request: LMRequest): AsyncIterable<LMStreamChunk> {
    return this.inner.stream(this.withSignal(request));
  }

  private withSignal(request: LMRequest): LMRequest {
    const signal = request.signal ? AbortSignal.any([request.signal, this.signal]) : this.signal;
    return { ...request, signal };
  }
}
