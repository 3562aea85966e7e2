export { Cache, type CacheOptions, type CacheStats } from "./cache.js";
export { CachedLM, type CachedGenerateOptions, cachedGenerate, requestCacheKey, withCache } from "./cached-lm.js";
export { CacheKeyError, CacheStoreError } from "./errors.js";
export { type CacheKeyContext, cacheKey, canonicalRequest } from "./key.js";
export { MemoryLRU, type MemoryLRUOptions, responseSize } from "./memory.js";
export { defaultCachePath } from "./paths.js";
export { RedisStore, type RedisStoreOptions } from "./redis.js";
export { SqliteStore, type SqliteStoreOptions } from "./sqlite.js";
export type { CacheLogger, CacheStore, MaybePromise } from "./store.js";
