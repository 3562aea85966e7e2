/**
 * A module loaded on first use instead of at `import("dspex")`: native addons (better-sqlite3),
 * big builtins (node:https with TLS, node:crypto) and CLI-only packages cost a cold start
 * tens of milliseconds each, and most programs never touch some of them.
 */
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export function onFirstUse<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= load(specifier) as T;
    return loaded;
  };
}
