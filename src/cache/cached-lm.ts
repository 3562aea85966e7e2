import { generateWith, streamWith } from "../lm/compat.js";
import type { LM, LMRequest, LMResponse, LMStreamChunk } from "../lm/types.js";
import type { Cache } from "./cache.js";
import { cacheKey } from "./key.js";

export interface CachedGenerateOptions {
  /** Per-call switch: false goes straight to the LM, neither reading nor writing the cache. */
  enabled?: boolean;
  /** Adapter name, part of the key. */
  adapter?: string;
}

/**
 * One LM call through the cache. This is what modules use, because the per-call switch cannot
 * travel inside an `LMRequest` without reaching the provider's wire. A hit comes back flagged
 * `cached: true` with zero usage; a miss calls the LM and stores its response. Failures are
 * never stored, and a cache problem never fails the call: a request that cannot be keyed (a
 * cycle) simply goes uncached.
 */
export function cachedGenerate(
  lm: LM,
  request: LMRequest,
  cache: Cache | undefined,
  options: CachedGenerateOptions = {},
): Promise<LMResponse> {
  // Not an async function: it would wrap the promise it returns again, on every LM call.
  try {
    const key = requestCacheKey(lm, request, cache, options);
    if (key === undefined || cache === undefined) return generateWith(lm, request);
    // Identical concurrent misses (here, or on other machines sharing a Redis cache) reach the LM once.
    return cache.getOrCompute(key, () => generateWith(lm, request));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The key this call would be cached under, or undefined when it goes uncached: no cache, the
 * cache or this call switched off, or a request that cannot be keyed (a cycle). The one rule
 * for every path that reads the cache (generate here, Predict's streaming path).
 */
export function requestCacheKey(
  lm: LM,
  request: LMRequest,
  cache: Cache | undefined,
  options: CachedGenerateOptions,
): string | undefined {
  if (cache === undefined || options.enabled === false || !cache.enabled) return undefined;
  try {
    return cacheKey(request, {
      provider: lm.provider,
      model: lm.model,
      adapter: options.adapter,
      defaults: lm.defaults,
    });
  } catch {
    return undefined;
  }
}

/**
 * An LM that answers `generate` from the cache when it can. `stream` passes through uncached:
 * a stream's worth is in its timing (text as it is produced), which a replay cannot give, and
 * storing it would mean buffering the whole stream and deciding what an aborted, half-read
 * stream is worth. Callers who want caching use `generate`.
 */
export class CachedLM implements LM {
  readonly specificationVersion = "v2" as const;
  readonly inner: LM;
  readonly cache: Cache;
  private readonly adapter: string | undefined;

  constructor(inner: LM, cache: Cache, options: { adapter?: string } = {}) {
    this.inner = inner;
    this.cache = cache;
    this.adapter = options.adapter;
  }

  get provider(): string {
    return this.inner.provider;
  }

  get model(): string {
    return this.inner.model;
  }

  get defaults(): LM["defaults"] {
    return this.inner.defaults;
  }

  get supportsFunctionCalling(): boolean | undefined {
    return this.inner.supportsFunctionCalling;
  }

  generate(request: LMRequest): Promise<LMResponse> {
    return cachedGenerate(this.inner, request, this.cache, { adapter: this.adapter });
  }

  stream(request: LMRequest): AsyncIterable<LMStreamChunk> {
    return streamWith(this.inner, request);
  }
}

/** Wraps an LM so that `generate` goes through `cache`. */
export function withCache(lm: LM, cache: Cache, options: { adapter?: string } = {}): CachedLM {
  return new CachedLM(lm, cache, options);
}
