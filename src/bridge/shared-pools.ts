/**
 * The process's shared Python pools, one per preset, started on first use and closed at exit.
 * Optimizers, Python-only modules and retrievers all go through here so that a program never
 * starts more workers than the presets allow. Tests and servers can close them explicitly.
 */
import { type Operation, poolFor } from "./capabilities.js";
import type { PythonPool } from "./pool.js";
import type { PresetName } from "./presets.js";
import type { PoolOptions } from "./options.js";

/** Python modules whose tools every shared pool offers: DSPy-backed modules, retrievers, optimizers. */
const DEFAULT_MODULES = ["dspex_worker.modules_python", "dspex_worker.retrievers", "dspex_worker.optimize"];

const pools = new Map<PresetName, Promise<PythonPool>>();
/** The started pools, to see synchronously whether one was closed or gave up for good. */
const started = new Map<PresetName, PythonPool>();
/** After a failed start, when the next may begin (1 s, doubling to 60 s), and the error until then. */
const backoff = new Map<PresetName, { until: number; delayMs: number; error: unknown }>();
const overrides = new Map<PresetName, PoolOptions>();

/** Options for a preset's shared pool (size, env, modules ...), applied when it next starts. */
export function configurePool(preset: PresetName, options: PoolOptions): void {
  overrides.set(preset, { ...overrides.get(preset), ...options });
}

/**
 * The shared pool for `preset`, started on first use. A pool that failed to start, was closed, or
 * gave up for good is replaced on a later call, no sooner than a backoff after the last failed
 * start (so a broken venv is not respawned on every call). A restart storm in a running pool is
 * not final: the pool pauses and starts its workers again itself (PythonPool).
 */
export function sharedPool(preset: PresetName): Promise<PythonPool> {
  let pool = pools.get(preset);
  const current = started.get(preset);
  if (pool && current && (current.closed || current.failureNow()?.permanent)) {
    pools.delete(preset);
    started.delete(preset);
    pool = undefined;
  }
  if (!pool) {
    const wait = backoff.get(preset);
    if (wait && Date.now() < wait.until) return Promise.reject(wait.error);
    const configured = overrides.get(preset);
    // The pool (and the codec's msgpackr addon) loads with the first pool, not with `import("dspex")`.
    pool = import("./pool.js").then(({ PythonPool }) =>
      PythonPool.start({
        preset,
        name: preset,
        modules: [...DEFAULT_MODULES],
        ...configured,
        // DSPy's tqdm bars would only reach our logger as noise: progress comes as events instead.
        env: { TQDM_DISABLE: "1", ...configured?.env },
      }),
    );
    pools.set(preset, pool);
    const starting = pool;
    pool.then(
      (p) => {
        if (pools.get(preset) === starting) started.set(preset, p);
        backoff.delete(preset);
      },
      (error: unknown) => {
        if (pools.get(preset) === starting) pools.delete(preset);
        const delayMs = Math.min((wait?.delayMs ?? 500) * 2, 60_000);
        backoff.set(preset, { until: Date.now() + delayMs, delayMs, error });
      },
    );
  }
  return pool;
}

/** The shared pool that the capability table names for `op`'s Python implementation. */
export function sharedPoolFor(op: Operation): Promise<PythonPool> {
  return sharedPool(poolFor(op));
}

/** Closes every shared pool (they also close on process exit). */
export async function closeSharedPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  started.clear();
  backoff.clear();
  await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close()));
}
