/**
 * The cache used when `configure()` names none: memory LRU in front of SQLite under the
 * user's cache dir, as DSPy caches by default. Created on first use so that importing
 * DSPex never touches the disk.
 */
import { Cache } from "../cache/cache.js";

let instance: Cache | undefined;

export function defaultCache(): Cache {
  instance ??= new Cache();
  return instance;
}

/** Closes the default cache's store (flushing pending writes); the next use opens a new one. */
export async function closeDefaultCache(): Promise<void> {
  const cache = instance;
  instance = undefined;
  await cache?.close();
}
