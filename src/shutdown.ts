/**
 * One call to end a DSPex process cleanly: every shared Python pool, every loaded local model
 * and embedder, and the caches (the default one and one set with configure()) are closed, pending
 * cache writes flushed. Everything is started again on next use, so calling it twice is safe.
 */
import { Cache } from "./cache/cache.js";
import { unloadLocalModels } from "./lm/providers/local-runtime.js";
import { unloadLocalEmbedders } from "./retrieve/local-embedder.js";
import { closeDefaultCache } from "./runtime/default-cache.js";
import { configure, currentSettings } from "./runtime/settings.js";

export async function shutdown(): Promise<void> {
  const configured = currentSettings().cache;
  const results = await Promise.allSettled([
    // Loaded here, not at import: a process that never used a pool has none to close.
    import("./bridge/shared-pools.js").then((pools) => pools.closeSharedPools()),
    unloadLocalModels(),
    unloadLocalEmbedders(),
    closeDefaultCache(),
    configured instanceof Cache ? configured.close() : Promise.resolve(),
  ]);
  if (configured instanceof Cache) configure({ cache: undefined });
  // Every part is closed even when one fails; the first failure is then reported.
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
