import { randomUUID } from "node:crypto";
import type { RedisOptions } from "ioredis";
import { ConfigurationError } from "../errors.js";
import { importOptional } from "../optional.js";
import type { LMResponse } from "../lm/types.js";
import { CacheStoreError, errorCode } from "./errors.js";
import { type CacheStore, fromJSON, toStored } from "./store.js";

/**
 * The part of an ioredis client the store uses; an ioredis `Redis` is one. Declared here so that
 * our published types do not need ioredis (an optional peer) installed.
 */
export interface RedisClientLike {
  readonly status: string;
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  set(key: string, value: string, px: "PX", milliseconds: number): Promise<unknown>;
  set(key: string, value: string, px: "PX", milliseconds: number, nx: "NX"): Promise<"OK" | null>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
  exists(key: string): Promise<number>;
  del(key: string): Promise<number>;
  scan(cursor: string, match: "MATCH", pattern: string, count: "COUNT", n: number): Promise<[string, string[]]>;
  unlink(...keys: string[]): Promise<number>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: "error", listener: (error: Error) => void): unknown;
}

export interface RedisStoreOptions {
  /** An ioredis client to use. It stays the caller's: `close()` leaves it open. */
  client?: RedisClientLike;
  /** Connection URL when no client is given, e.g. "redis://127.0.0.1:6379/0". */
  url?: string;
  /** Further ioredis options when no client is given (they override ours). */
  redisOptions?: Record<string, unknown>;
  /** Prefix of every key, so one Redis can hold other data and several caches. */
  keyPrefix?: string;
  /** Entry lifetime, enforced by Redis itself (PX). */
  ttlMs?: number;
  /**
   * How long one command may take before it fails (and `Cache` goes memory-only). Without it
   * ioredis queues commands while reconnecting, and a call would hang on a lost server.
   */
  commandTimeoutMs?: number;
}

const DEFAULT_PREFIX = "dspex:cache:v1:";
/** Locks live beside the entries (`<prefix>lock:<key>`), so clear() removes stale ones too. */
const LOCK_INFIX = "lock:";
/** Deletes the lock only if it still holds our token (it may have expired and been taken since). */
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/**
 * Responses in Redis, for caches shared by many machines. Same contract as the SQLite store;
 * values are the same JSON. ioredis is loaded on first use, so programs that never use Redis
 * never load it.
 */
export class RedisStore implements CacheStore {
  readonly name = "redis";
  readonly keyPrefix: string;
  private readonly options: RedisStoreOptions;
  private readonly ttlMs: number | undefined;
  private client: Promise<RedisClientLike> | undefined;
  private readonly owned: boolean;
  private closed = false;

  constructor(options: RedisStoreOptions = {}) {
    if (options.ttlMs !== undefined && !(options.ttlMs > 0)) {
      throw new ConfigurationError(`ttlMs must be positive, got ${options.ttlMs}`);
    }
    this.options = options;
    this.keyPrefix = options.keyPrefix ?? DEFAULT_PREFIX;
    this.ttlMs = options.ttlMs;
    this.owned = options.client === undefined;
    if (options.client !== undefined) this.client = Promise.resolve(options.client);
  }

  async get(key: string): Promise<LMResponse | undefined> {
    const redis = await this.connection();
    let text: string | null;
    try {
      text = await redis.get(this.keyPrefix + key);
    } catch (error) {
      throw redisError("read", error);
    }
    if (text === null) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return fromJSON(parsed);
  }

  async set(key: string, value: LMResponse): Promise<void> {
    const redis = await this.connection();
    const json = JSON.stringify(toStored(value));
    try {
      if (this.ttlMs === undefined) await redis.set(this.keyPrefix + key, json);
      else await redis.set(this.keyPrefix + key, json, "PX", this.ttlMs);
    } catch (error) {
      throw redisError("write", error);
    }
  }

  async delete(key: string): Promise<boolean> {
    const redis = await this.connection();
    try {
      return (await redis.del(this.keyPrefix + key)) > 0;
    } catch (error) {
      throw redisError("write", error);
    }
  }

  /** Deletes this cache's keys (those under the prefix) and nothing else in the database. */
  async clear(): Promise<void> {
    const redis = await this.connection();
    const pattern = escapeGlob(this.keyPrefix) + "*";
    try {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== "0");
    } catch (error) {
      throw redisError("write", error);
    }
  }

  /** A lock `SET NX PX` with a random token; release deletes it only while it is still ours. */
  async claim(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const redis = await this.connection();
    const lock = this.keyPrefix + LOCK_INFIX + key;
    const token = randomUUID();
    let got: string | null;
    try {
      got = await redis.set(lock, token, "PX", Math.max(1, Math.ceil(ttlMs)), "NX");
    } catch (error) {
      throw redisError("write", error);
    }
    if (got !== "OK") return undefined;
    return async () => {
      try {
        await redis.eval(RELEASE, 1, lock, token);
      } catch {
        // The lock expires by itself (PX): a failed release only delays the waiters.
      }
    };
  }

  async claimed(key: string): Promise<boolean> {
    const redis = await this.connection();
    try {
      return (await redis.exists(this.keyPrefix + LOCK_INFIX + key)) === 1;
    } catch (error) {
      throw redisError("read", error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.owned || this.client === undefined) return;
    const redis = await this.client.catch(() => undefined);
    if (redis === undefined) return;
    // QUIT would wait in the offline queue (up to the command timeout) for a server that is not there.
    if (redis.status !== "ready") {
      redis.disconnect();
      return;
    }
    try {
      await redis.quit();
    } catch {
      redis.disconnect();
    }
  }

  private connection(): Promise<RedisClientLike> {
    if (this.closed) {
      return Promise.reject(new CacheStoreError("The Redis cache store is closed", { context: { store: "redis" } }));
    }
    this.client ??= this.connect();
    return this.client;
  }

  private async connect(): Promise<RedisClientLike> {
    const { Redis: RedisClient } = await importOptional<typeof import("ioredis")>("ioredis");
    const timeout = this.options.commandTimeoutMs ?? 2000;
    const base: RedisOptions = {
      commandTimeout: timeout,
      connectTimeout: timeout,
      maxRetriesPerRequest: 1,
      // ioredis waits this long for a socket that never connected to close, holding the process
      // open after close(); a healthy socket closes at once anyway.
      disconnectTimeout: 200,
      ...(this.options.redisOptions as RedisOptions | undefined),
    };
    const redis = this.options.url === undefined ? new RedisClient(base) : new RedisClient(this.options.url, base);
    // Without a listener ioredis prints every connection error itself; failures reach the
    // cache through the rejected commands instead.
    redis.on("error", () => undefined);
    return redis;
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

function redisError(operation: "read" | "write", cause: unknown): CacheStoreError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CacheStoreError(`Redis cache ${operation} failed: ${reason}`, {
    context: { store: "redis", operation, code: errorCode(cause) },
    fix: "Check that the Redis server is reachable, or use the SQLite cache.",
    cause,
  });
}
