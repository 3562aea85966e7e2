/**
 * Rate limits shared by every machine that talks to one provider: requests per minute and tokens
 * per minute as token buckets in Redis, plus a shared back-off that a 429 on any machine sets
 * for all of them. Time is Redis's own (`TIME`), so machines' clocks need not agree.
 */
import type { Redis } from "ioredis";
import { ConfigurationError } from "../errors.js";
import { generateWith, streamWith } from "../lm/compat.js";
import { LMAbortedError, LMRateLimitError } from "../lm/errors.js";
import type { LM, LMRequest, LMResponse, LMStreamChunk } from "../lm/types.js";
import { loadIORedis } from "./bullmq.js";

export interface SharedRateLimitOptions {
  /** Redis URL shared by the machines. */
  url: string;
  /** Requests per minute across all machines. */
  rpm?: number;
  /** Tokens per minute across all machines (charged with each response's usage). */
  tpm?: number;
  /**
   * The budget's name. Default: the LM's provider id, so every model of one provider shares it;
   * give e.g. "openai/gpt-4o-mini" for a per-model limit.
   */
  key?: string;
  /** Requests that may go at once after a quiet spell (bucket size). Default: one second's worth. */
  burst?: number;
  /** Back-off every machine takes after a 429 without Retry-After. Default 1000 ms (doubling, to 30 s). */
  backoffMs?: number;
  /** How many 429s one call rides out (backing off each time) before it fails. Default 5. */
  maxRateLimitRetries?: number;
  prefix?: string;
}

/**
 * Acquires a request and (while the token budget is spent) waits; returns 0 when granted, else
 * the milliseconds to wait. KEYS: requests bucket, tokens bucket, back-off. ARGV: rpm, tpm,
 * request burst, token burst.
 */
const ACQUIRE = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
local until_ = tonumber(redis.call("GET", KEYS[3]) or "0")
if until_ > now then wait = until_ - now end
local function refill(key, perMinute, burst)
  local v = redis.call("HMGET", key, "tokens", "at")
  local tokens = tonumber(v[1]) or burst
  local at = tonumber(v[2]) or now
  tokens = math.min(burst, tokens + (now - at) * perMinute / 60000)
  return tokens
end
local rpm = tonumber(ARGV[1])
local tpm = tonumber(ARGV[2])
local r, k
if rpm > 0 then
  r = refill(KEYS[1], rpm, tonumber(ARGV[3]))
  if r < 1 then wait = math.max(wait, math.ceil((1 - r) * 60000 / rpm)) end
end
if tpm > 0 then
  k = refill(KEYS[2], tpm, tonumber(ARGV[4]))
  if k <= 0 then wait = math.max(wait, math.ceil((1 - k) * 60000 / tpm)) end
  redis.call("HSET", KEYS[2], "tokens", k, "at", now)
  redis.call("PEXPIRE", KEYS[2], 120000)
end
if rpm > 0 then
  if wait == 0 then r = r - 1 end
  redis.call("HSET", KEYS[1], "tokens", r, "at", now)
  redis.call("PEXPIRE", KEYS[1], 120000)
end
return wait
`;

/** Charges tokens a response used. KEYS: tokens bucket. ARGV: tpm, token burst, tokens used. */
const CHARGE = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call("HMGET", KEYS[1], "tokens", "at")
local burst = tonumber(ARGV[2])
local tokens = tonumber(v[1]) or burst
local at = tonumber(v[2]) or now
tokens = math.min(burst, tokens + (now - at) * tonumber(ARGV[1]) / 60000) - tonumber(ARGV[3])
redis.call("HSET", KEYS[1], "tokens", tokens, "at", now)
redis.call("PEXPIRE", KEYS[1], 120000)
return 0
`;

/** Sets the shared back-off to at least `ms` from now. KEYS: back-off. ARGV: ms. */
const BACKOFF = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
local current = tonumber(redis.call("GET", KEYS[1]) or "0")
if until_ > current then redis.call("SET", KEYS[1], until_, "PX", tonumber(ARGV[1]) + 1000) end
return until_
`;

/** One shared budget: the Redis side of the limiter, usable around any LM. */
export class SharedRateLimit {
  readonly key: string;
  readonly rpm: number;
  readonly tpm: number;
  private readonly burst: number;
  private readonly tokenBurst: number;
  private readonly backoffMs: number;
  readonly maxRateLimitRetries: number;
  private readonly keys: [string, string, string];
  private readonly url: string;
  private client: Promise<Redis> | undefined;

  constructor(options: SharedRateLimitOptions & { key: string }) {
    this.url = options.url;
    this.rpm = nonNegative("rpm", options.rpm ?? 0);
    this.tpm = nonNegative("tpm", options.tpm ?? 0);
    if (this.rpm === 0 && this.tpm === 0) {
      throw new ConfigurationError("A shared rate limit needs rpm or tpm", {
        fix: "pass { rpm: 500 } or { tpm: 200000 }",
      });
    }
    this.burst = options.burst ?? Math.max(1, this.rpm / 60);
    this.tokenBurst = Math.max(1, this.tpm / 60);
    this.backoffMs = options.backoffMs ?? 1000;
    this.maxRateLimitRetries = options.maxRateLimitRetries ?? 5;
    this.key = options.key;
    const base = `${options.prefix ?? "dspex:ratelimit"}:${options.key}`;
    this.keys = [`${base}:requests`, `${base}:tokens`, `${base}:backoff`];
  }

  /** Waits until this machine may send one request. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const redis = await this.redis();
    for (;;) {
      signal?.throwIfAborted();
      const wait = Number(await redis.eval(ACQUIRE, 3, ...this.keys, this.rpm, this.tpm, this.burst, this.tokenBurst));
      if (wait <= 0) return;
      await sleep(Math.min(wait, 5000), signal);
    }
  }

  /** Charges a response's tokens to the shared budget. */
  async charge(tokens: number): Promise<void> {
    if (this.tpm === 0 || !(tokens > 0)) return;
    const redis = await this.redis();
    await redis.eval(CHARGE, 1, this.keys[1], this.tpm, this.tokenBurst, tokens);
  }

  /** Makes every machine on this budget wait: after a 429, for Retry-After or the back-off. */
  async backOff(attempt: number, retryAfterMs?: number): Promise<void> {
    const ms = retryAfterMs ?? Math.min(30_000, this.backoffMs * 2 ** attempt);
    const redis = await this.redis();
    await redis.eval(BACKOFF, 1, this.keys[2], Math.max(1, Math.ceil(ms)));
  }

  async close(): Promise<void> {
    const redis = await this.client?.catch(() => undefined);
    redis?.disconnect();
    this.client = undefined;
  }

  private redis(): Promise<Redis> {
    this.client ??= loadIORedis().then(({ Redis }) => {
      const redis = new Redis(this.url, { maxRetriesPerRequest: null });
      redis.on("error", () => undefined);
      return redis;
    });
    return this.client;
  }
}

/**
 * An LM whose calls draw on a budget shared through Redis. A 429 from the provider sets a
 * back-off that every machine on the budget honours, and the call waits and tries again.
 */
export class RateLimitedLM implements LM {
  // v2: content parts pass through; generateWith brings them down for a v1 inner LM.
  readonly specificationVersion = "v2" as const;
  readonly inner: LM;
  readonly limit: SharedRateLimit;

  constructor(inner: LM, limit: SharedRateLimit) {
    this.inner = inner;
    this.limit = limit;
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

  get cacheable(): LM["cacheable"] {
    return this.inner.cacheable;
  }

  get supportsFunctionCalling(): boolean | undefined {
    return this.inner.supportsFunctionCalling;
  }

  async generate(request: LMRequest): Promise<LMResponse> {
    for (let attempt = 0; ; attempt++) {
      await this.limit.acquire(request.signal);
      try {
        const response = await generateWith(this.inner, request);
        await this.limit.charge(response.usage.totalTokens);
        return response;
      } catch (error) {
        if (!(error instanceof LMRateLimitError) || attempt >= this.limit.maxRateLimitRetries) throw error;
        await this.limit.backOff(attempt, error.retryAfterMs);
      }
    }
  }

  async *stream(request: LMRequest): AsyncIterable<LMStreamChunk> {
    await this.limit.acquire(request.signal);
    yield* streamWith(this.inner, request);
  }
}

/** Wraps `lm` so that its calls share rpm/tpm budgets (and 429 back-offs) with other machines. */
export function sharedRateLimit(lm: LM, options: SharedRateLimitOptions): RateLimitedLM {
  return new RateLimitedLM(lm, new SharedRateLimit({ ...options, key: options.key ?? lm.provider }));
}

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) throw new ConfigurationError(`${name} must be >= 0, got ${value}`);
  return value;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(new LMAbortedError("The call was aborted while waiting for the shared rate limit"));
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
