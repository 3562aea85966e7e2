import { DSPexError } from "../errors.js";
import { emptyUsage, type LMResponse } from "../lm/types.js";
import { MemoryLRU, type MemoryLRUOptions } from "./memory.js";
import { SqliteStore, type SqliteStoreOptions } from "./sqlite.js";
import { type CacheLogger, type CacheStore, type MaybePromise, toStored } from "./store.js";

export interface CacheOptions {
  /** The global switch: a disabled cache answers every get with a miss and stores nothing. */
  enabled?: boolean;
  /** The in-process LRU in front of the shared tier. Default on, 100,000 entries / 256 MiB. */
  memory?: boolean | MemoryLRUOptions<LMResponse>;
  /** The SQLite tier. Default on, at {@link defaultCachePath}. Ignored when `store` is given. */
  disk?: boolean | SqliteStoreOptions;
  /**
   * Another shared tier instead of SQLite (a RedisStore, say). A function is called on first
   * use, so that a failure to open is caught like any other.
   */
  store?: CacheStore | (() => CacheStore);
  /** Entry lifetime for the memory and SQLite tiers, unless their own options set one. */
  ttlMs?: number;
  /** Receives the single warning about a failed tier. Default: console. */
  logger?: CacheLogger;
  /**
   * With a shared tier that supports it (Redis): the same request missed by several processes at
   * once reaches the LM once; the others wait for its result. `lockMs` bounds the wait (a holder
   * that died or hangs is given up on after it). Default on, 30,000 ms; `false` turns it off.
   */
  singleFlight?: boolean | { lockMs?: number };
  /**
   * With a `store` function: after the shared tier failed, open a fresh one this long after the
   * failure instead of staying memory-only for good (a Redis restart, say). Default: never.
   */
  reopenAfterMs?: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Failures of the shared tier (each one after the first is silent). */
  errors: number;
  memoryHits: number;
  storeHits: number;
  writes: number;
  /** The tiers in use now, e.g. "memory+sqlite", "memory" after SQLite failed, or "off". */
  mode: string;
}

type StoreState =
  | { kind: "none" }
  | { kind: "pending"; name: string; open: () => CacheStore }
  | { kind: "open"; store: CacheStore }
  | { kind: "failed"; name: string; reopen?: { open: () => CacheStore; at: number } };

const DEFAULT_MEMORY: MemoryLRUOptions<LMResponse> = { maxEntries: 100_000, maxBytes: 256 * 1024 * 1024 };

/**
 * The response cache: a memory LRU in front of a shared tier (SQLite by default, or Redis).
 * It never throws into a call: when the shared tier fails (a corrupt file, a lock held too long,
 * a lost server) it warns once and goes on memory-only, because a cache that breaks the calls it
 * was meant to speed up is worse than none. Values come back as hits: detached copies flagged
 * `cached: true` with zero usage, since a hit cost nothing.
 */
export class Cache {
  /** The global switch; may be flipped at any time. */
  enabled: boolean;
  private readonly memory: MemoryLRU<LMResponse> | undefined;
  private state: StoreState;
  private readonly logger: CacheLogger;
  private warned = false;
  private readonly pending = new Set<Promise<void>>();
  private counts = { hits: 0, misses: 0, errors: 0, memoryHits: 0, storeHits: 0, writes: 0 };
  private readonly lockMs: number | undefined;
  private readonly reopenAfterMs: number | undefined;
  /** The function that opens the shared tier, when one was given (what a reopen calls). */
  private readonly opener: (() => CacheStore) | undefined;
  /** Computations in flight in this process, by key: concurrent identical misses share one. */
  private readonly inflight = new Map<string, Promise<LMResponse>>();

  constructor(options: CacheOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.logger = options.logger ?? console;
    const flight = options.singleFlight ?? true;
    this.lockMs = flight === false ? undefined : ((flight === true ? undefined : flight.lockMs) ?? 30_000);
    const ttl = options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs };
    const memory = options.memory ?? true;
    this.memory =
      memory === false
        ? undefined
        : new MemoryLRU<LMResponse>({ ...DEFAULT_MEMORY, ...ttl, ...(memory === true ? {} : memory) });

    const store = options.store;
    this.reopenAfterMs = options.reopenAfterMs;
    this.opener = typeof store === "function" ? store : undefined;
    const disk = options.disk ?? true;
    if (store !== undefined) {
      this.state =
        typeof store === "function" ? { kind: "pending", name: "shared", open: store } : { kind: "open", store };
    } else if (disk !== false) {
      const diskOptions = { ...ttl, ...(disk === true ? {} : disk) };
      this.state = { kind: "pending", name: "sqlite", open: () => new SqliteStore(diskOptions) };
    } else {
      this.state = { kind: "none" };
    }
  }

  /** The stored response for `key` as a hit, or undefined on a miss (or when disabled). */
  async get(key: string): Promise<LMResponse | undefined> {
    if (!this.enabled) return undefined;
    return this.memoryHit(key) ?? this.sharedLookup(key);
  }

  /** A memory-tier hit, counted; undefined when the memory tier lacks `key`. */
  private memoryHit(key: string): LMResponse | undefined {
    const fromMemory = this.memory?.get(key);
    if (fromMemory === undefined) return undefined;
    this.counts.hits++;
    this.counts.memoryHits++;
    return asHit(fromMemory);
  }

  /**
   * The shared tier's answer after a memory miss (a hit is copied into memory), or a counted
   * miss. Synchronous for a synchronous tier (SQLite), a promise for Redis.
   */
  private sharedLookup(key: string): MaybePromise<LMResponse | undefined> {
    const store = this.shared();
    if (store === undefined) return this.missed();
    let got: MaybePromise<LMResponse | undefined>;
    try {
      got = store.get(key);
    } catch (error) {
      this.fail(store, error);
      return this.missed();
    }
    if (!isPromiseLike(got)) return this.storeHit(key, got);
    return Promise.resolve(got).then(
      (value) => this.storeHit(key, value),
      (error: unknown) => {
        this.fail(store, error);
        return this.missed();
      },
    );
  }

  private storeHit(key: string, value: LMResponse | undefined): LMResponse | undefined {
    if (value === undefined) return this.missed();
    this.memory?.set(key, value);
    this.counts.hits++;
    this.counts.storeHits++;
    return asHit(value);
  }

  private missed(): undefined {
    this.counts.misses++;
    return undefined;
  }

  /**
   * The stored response for `key`, else `compute()`'s, stored. Identical misses share one
   * computation: in this process always, across processes through the shared tier's claim
   * (Redis) when it has one. A shared result comes back as a hit (`cached: true`, zero usage).
   */
  getOrCompute(key: string, compute: () => Promise<LMResponse>): Promise<LMResponse> {
    // Not async, and the memory and SQLite tiers read synchronously: this is on every cached LM
    // call, and each async layer there costs microtask ticks.
    let found: MaybePromise<LMResponse | undefined>;
    try {
      if (!this.enabled) return compute();
      found = this.memoryHit(key) ?? this.sharedLookup(key);
    } catch (error) {
      return Promise.reject(error);
    }
    if (isPromiseLike(found)) return this.afterLookup(found, key, compute);
    return found !== undefined ? Promise.resolve(found) : this.computeShared(key, compute);
  }

  private async afterLookup(
    found: Promise<LMResponse | undefined>,
    key: string,
    compute: () => Promise<LMResponse>,
  ): Promise<LMResponse> {
    const hit = await found;
    if (hit !== undefined || !this.enabled) return hit ?? compute();
    return this.computeShared(key, compute);
  }

  /** A miss: joins the identical computation in flight, else runs `compute` once and stores it. */
  private async computeShared(key: string, compute: () => Promise<LMResponse>): Promise<LMResponse> {
    const running = this.inflight.get(key);
    if (running) {
      const shared = await running;
      this.counts.misses--;
      this.counts.hits++;
      return asHit(shared);
    }
    const work = this.computeOnce(key, compute);
    this.inflight.set(key, work);
    try {
      return await work;
    } finally {
      this.inflight.delete(key);
    }
  }

  private async computeOnce(key: string, compute: () => Promise<LMResponse>): Promise<LMResponse> {
    const store = this.shared();
    if (this.lockMs === undefined || store?.claim === undefined || store.claimed === undefined) {
      const response = await compute();
      void this.set(key, response);
      return response;
    }
    const deadline = Date.now() + this.lockMs;
    let release: (() => Promise<void>) | undefined;
    try {
      for (;;) {
        release = await store.claim(key, this.lockMs);
        if (release !== undefined) {
          // The previous holder may have stored the value and released between our first lookup
          // and this claim: look once more, or we would pay for the same request twice.
          const stored = await store.get(key);
          if (stored !== undefined) {
            await release();
            return this.sharedHit(key, stored);
          }
          break;
        }
        if (Date.now() >= deadline) break;
        // Another process computes it: wait for its result, or for its claim to lapse.
        const value = await this.waitForOther(store, key, deadline);
        if (value !== undefined) return value;
      }
    } catch (error) {
      this.fail(store, error);
    }
    try {
      const response = await compute();
      // Written before the claim goes, so that the waiters find it.
      await this.set(key, response);
      return response;
    } finally {
      await release?.();
    }
  }

  /** A value another process stored while this one waited: a hit, though the first lookup missed. */
  private sharedHit(key: string, got: LMResponse): LMResponse {
    this.memory?.set(key, got);
    this.counts.hits++;
    this.counts.storeHits++;
    // The earlier lookup counted a miss; this request cost nothing after all.
    this.counts.misses--;
    return asHit(got);
  }

  /** Polls the shared tier until the value appears (a hit), the claim lapses or the deadline passes. */
  private async waitForOther(store: CacheStore, key: string, deadline: number): Promise<LMResponse | undefined> {
    let pause = 10;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 200);
      const got = await store.get(key);
      if (got !== undefined) return this.sharedHit(key, got);
      if (!(await store.claimed!(key))) return undefined;
    }
    return undefined;
  }

  /**
   * Stores a response. The memory tier is written before this returns; the promise settles when
   * the shared tier has it too. It never rejects.
   */
  set(key: string, value: LMResponse): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    const stored = toStored(value);
    this.memory?.set(key, stored);
    this.counts.writes++;
    const store = this.shared();
    if (store === undefined) return Promise.resolve();
    try {
      const done = store.set(key, stored);
      if (isPromiseLike(done)) {
        return this.track(Promise.resolve(done).catch((error: unknown) => this.fail(store, error)));
      }
    } catch (error) {
      this.fail(store, error);
    }
    return Promise.resolve();
  }

  /** Removes one entry from every tier. */
  async delete(key: string): Promise<void> {
    this.memory?.delete(key);
    const store = this.shared();
    if (store === undefined) return;
    try {
      await store.delete(key);
    } catch (error) {
      this.fail(store, error);
    }
  }

  /** Empties every tier (the shared one for every process using it). */
  async clear(): Promise<void> {
    this.memory?.clear();
    const store = this.shared();
    if (store === undefined) return;
    try {
      await store.clear();
    } catch (error) {
      this.fail(store, error);
    }
  }

  stats(): CacheStats {
    return { ...this.counts, mode: this.mode() };
  }

  /** Waits for writes still in flight to the shared tier (Redis's, SQLite's pending batch). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Flushes, then closes the shared tier. The memory tier stays usable. */
  async close(): Promise<void> {
    await this.flush();
    if (this.state.kind !== "open") return;
    const store = this.state.store;
    this.state = { kind: "none" };
    try {
      await store.close();
    } catch {
      // Closing is best effort: the process is done with the store either way.
    }
  }

  private mode(): string {
    if (!this.enabled) return "off";
    const tiers: string[] = [];
    if (this.memory !== undefined) tiers.push("memory");
    if (this.state.kind === "open") tiers.push(this.state.store.name);
    if (this.state.kind === "pending") tiers.push("(unopened)");
    return tiers.length === 0 ? "none" : tiers.join("+");
  }

  /** The shared tier, opened on first use; undefined when there is none or it failed. */
  private shared(): CacheStore | undefined {
    const state = this.state;
    if (state.kind === "open") return state.store;
    if (state.kind === "failed" && state.reopen && Date.now() >= state.reopen.at) {
      this.state = { kind: "pending", name: state.name, open: state.reopen.open };
      return this.shared();
    }
    if (state.kind !== "pending") return undefined;
    try {
      const store = state.open();
      this.state = { kind: "open", store };
      return store;
    } catch (error) {
      this.state = this.failed(state.name);
      this.warnOnce(state.name, error);
      this.counts.errors++;
      return undefined;
    }
  }

  private failed(name: string): StoreState {
    if (this.reopenAfterMs === undefined || this.opener === undefined) return { kind: "failed", name };
    return { kind: "failed", name, reopen: { open: this.opener, at: Date.now() + this.reopenAfterMs } };
  }

  private fail(store: CacheStore, error: unknown): void {
    this.counts.errors++;
    // Only the first failure switches tiers; a late one from a store already dropped is noise.
    if (this.state.kind !== "open" || this.state.store !== store) return;
    this.state = this.failed(store.name);
    this.warnOnce(store.name, error);
    try {
      const closing = store.close();
      if (isPromiseLike(closing)) Promise.resolve(closing).catch(() => undefined);
    } catch {
      // A broken store may fail to close too; it is dropped either way.
    }
  }

  private warnOnce(tier: string, error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    const message = error instanceof Error ? error.message : String(error);
    const what = message.toLowerCase().includes(tier) ? message : `the ${tier} cache failed: ${message}`;
    const next = this.memory === undefined ? "continuing without a cache" : "continuing with the memory cache only";
    const fix = error instanceof DSPexError && error.fix !== undefined ? ` Fix: ${error.fix}` : "";
    this.logger.warn(`dspex: ${what}; ${next}.${fix}`);
  }

  private track(write: Promise<void>): Promise<void> {
    this.pending.add(write);
    const done = write.finally(() => this.pending.delete(write));
    return done;
  }
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

function asHit(value: LMResponse): LMResponse {
  const hit: LMResponse = { outputs: value.outputs.slice(), usage: emptyUsage(), model: value.model, cached: true };
  if (value.finishReasons !== undefined) hit.finishReasons = value.finishReasons.slice();
  return hit;
}
