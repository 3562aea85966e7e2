import type { LMResponse } from "../lm/types.js";

export type MaybePromise<T> = T | Promise<T>;

/**
 * What a cache tier implements. Memory and SQLite answer synchronously, Redis asynchronously;
 * the union return types let the synchronous tiers stay free of promise overhead on the hot
 * path while one `Cache` drives any of them.
 */
export interface CacheStore {
  /** Short name used in warnings and stats ("memory", "sqlite", "redis"). */
  readonly name: string;
  get(key: string): MaybePromise<LMResponse | undefined>;
  set(key: string, value: LMResponse): MaybePromise<void>;
  delete(key: string): MaybePromise<boolean>;
  clear(): MaybePromise<void>;
  close(): MaybePromise<void>;
  /**
   * Single flight across processes (Redis): claims the right to compute `key` for `ttlMs`.
   * Resolves to a release function, or undefined when another process holds the claim.
   */
  claim?(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
  /** Whether some process holds the claim on `key` now. */
  claimed?(key: string): Promise<boolean>;
}

/** Where the warnings about a broken tier go. */
export interface CacheLogger {
  warn(message: string): void;
}

/**
 * A plain, detached copy of a response as it is stored: usage kept (it is what the original call
 * cost), `cached` false, arrays copied so the caller can never mutate what the cache holds.
 */
export function toStored(value: LMResponse): LMResponse {
  const stored: LMResponse = {
    outputs: value.outputs.slice(),
    usage: { ...value.usage },
    model: value.model,
    cached: false,
  };
  if (value.finishReasons !== undefined) stored.finishReasons = value.finishReasons.slice();
  return stored;
}

/** Reads back a stored value after JSON parsing; anything not shaped like a response is rejected. */
export function fromJSON(value: unknown): LMResponse | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Partial<LMResponse>;
  if (!Array.isArray(v.outputs) || typeof v.model !== "string") return undefined;
  for (const o of v.outputs) if (typeof o !== "string") return undefined;
  const usage = v.usage;
  const response: LMResponse = {
    outputs: v.outputs,
    usage: {
      promptTokens: typeof usage?.promptTokens === "number" ? usage.promptTokens : 0,
      completionTokens: typeof usage?.completionTokens === "number" ? usage.completionTokens : 0,
      totalTokens: typeof usage?.totalTokens === "number" ? usage.totalTokens : 0,
    },
    model: v.model,
    cached: false,
  };
  if (Array.isArray(v.finishReasons)) response.finishReasons = v.finishReasons;
  return response;
}
