import { ConfigurationError } from "../errors.js";
import type { LMResponse } from "../lm/types.js";

export interface MemoryLRUOptions<V> {
  /** Most entries kept; the least recently used go first. Default 10,000. */
  maxEntries?: number;
  /** Optional bound on the summed `sizeOf` of the entries. */
  maxBytes?: number;
  /** Size of one value, for `maxBytes`. Default: {@link responseSize}. */
  sizeOf?: (value: V) => number;
  /** Entries older than this are misses. */
  ttlMs?: number;
  /** Clock, for tests of the TTL. */
  now?: () => number;
}

interface Entry<V> {
  key: string;
  value: V;
  size: number;
  /** 0 when the entry never expires. */
  expiresAt: number;
  /** Neighbours in recency order: `older` towards the eviction end. */
  older: Entry<V> | undefined;
  newer: Entry<V> | undefined;
}

/**
 * A least-recently-used map: a Map for lookup plus a doubly linked list for recency, so every
 * operation is O(1). Re-inserting into the Map on each hit, or evicting through its iterator,
 * would leave deleted slots at the front that each eviction has to step over until a rehash.
 */
export class MemoryLRU<V = LMResponse> {
  readonly name = "memory";
  readonly maxEntries: number;
  readonly maxBytes: number | undefined;
  private readonly entries = new Map<string, Entry<V>>();
  private oldest: Entry<V> | undefined = undefined;
  private newest: Entry<V> | undefined = undefined;
  private readonly sizeOf: ((value: V) => number) | undefined;
  private readonly ttlMs: number | undefined;
  private readonly now: () => number;
  private bytes = 0;

  constructor(options: MemoryLRUOptions<V> = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!(maxEntries >= 1)) {
      throw new ConfigurationError(`maxEntries must be at least 1, got ${maxEntries}`, {
        fix: "Use a positive count, or turn the memory tier off with { memory: false }.",
      });
    }
    if (options.maxBytes !== undefined && !(options.maxBytes > 0)) {
      throw new ConfigurationError(`maxBytes must be positive, got ${options.maxBytes}`);
    }
    if (options.ttlMs !== undefined && !(options.ttlMs > 0)) {
      throw new ConfigurationError(`ttlMs must be positive, got ${options.ttlMs}`);
    }
    this.maxEntries = maxEntries;
    this.maxBytes = options.maxBytes;
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;
    // Sizes are only worth computing when something is bounded by them.
    this.sizeOf =
      options.maxBytes === undefined
        ? undefined
        : (options.sizeOf ?? (responseSize as unknown as (value: V) => number));
  }

  get size(): number {
    return this.entries.size;
  }

  /** Summed size of the entries (0 unless maxBytes is set). */
  get totalBytes(): number {
    return this.bytes;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= this.now()) {
      this.remove(key, entry);
      return undefined;
    }
    if (entry !== this.newest) {
      this.unlink(entry);
      this.append(entry);
    }
    return entry.value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: V): void {
    const old = this.entries.get(key);
    if (old !== undefined) this.remove(key, old);
    const size = this.sizeOf === undefined ? 0 : this.sizeOf(value);
    // A value larger than the whole budget would evict everything and then itself.
    if (this.maxBytes !== undefined && size > this.maxBytes) return;
    const expiresAt = this.ttlMs === undefined ? 0 : this.now() + this.ttlMs;
    const entry: Entry<V> = { key, value, size, expiresAt, older: undefined, newer: undefined };
    this.entries.set(key, entry);
    this.append(entry);
    this.bytes += size;
    this.evict();
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.remove(key, entry);
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.oldest = undefined;
    this.newest = undefined;
    this.bytes = 0;
  }

  close(): void {
    this.clear();
  }

  /** Keys from least to most recently used. */
  *keys(): IterableIterator<string> {
    for (let e = this.oldest; e !== undefined; e = e.newer) yield e.key;
  }

  private remove(key: string, entry: Entry<V>): void {
    this.entries.delete(key);
    this.unlink(entry);
    this.bytes -= entry.size;
  }

  private append(entry: Entry<V>): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest === undefined) this.oldest = entry;
    else this.newest.newer = entry;
    this.newest = entry;
  }

  private unlink(entry: Entry<V>): void {
    if (entry.older === undefined) this.oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  private evict(): void {
    while (
      this.entries.size > this.maxEntries ||
      (this.maxBytes !== undefined && this.bytes > this.maxBytes && this.entries.size > 0)
    ) {
      const oldest = this.oldest;
      if (oldest === undefined) return;
      this.remove(oldest.key, oldest);
    }
  }
}

/**
 * Approximate bytes a response holds in memory: UTF-16 text plus a fixed allowance for the
 * objects around it. Close enough to bound memory, cheap enough to run on every set.
 */
export function responseSize(value: LMResponse): number {
  let chars = value.model.length;
  for (const o of value.outputs) chars += o.length;
  if (value.finishReasons !== undefined) for (const r of value.finishReasons) chars += r?.length ?? 0;
  return chars * 2 + 160 + value.outputs.length * 16;
}
