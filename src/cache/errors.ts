import { DSPexError } from "../errors.js";

/** Thrown when a request cannot be turned into a cache key (a cycle, or nesting too deep). */
export class CacheKeyError extends DSPexError {}

/**
 * A cache tier failed: a corrupt or locked SQLite file, an unreachable Redis. `Cache` catches
 * these, warns once and carries on without that tier; only direct users of a store see them.
 */
export class CacheStoreError extends DSPexError {}

/** The SQLite or system error code of a failure ("SQLITE_BUSY", "SQLITE_NOTADB", "ECONNREFUSED"). */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}
