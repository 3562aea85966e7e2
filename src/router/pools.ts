/**
 * The process's shared Python pools, one per preset, started on first use and closed at exit.
 * Optimizers, Python-only modules and retrievers all go through here so that a program never
 * starts more workers than the presets allow. Tests and servers can close them explicitly.
 */
import { PythonPool } from "../bridge/pool.js";
import type { PresetName } from "../bridge/presets.js";
import type { PoolOptions } from "../bridge/options.js";

/** Python modules whose tools every shared pool offers: DSPy-backed modules, retrievers, optimizers. */
const DEFAULT_MODULES = ["dspex_worker.modules_python", "dspex_worker.retrievers", "dspex_worker.optimize"];

const pools = new Map<PresetName, Promise<PythonPool>>();
const overrides = new Map<PresetName, PoolOptions>();

/** Options for a preset's shared pool (size, env, modules ...), applied when it next starts. */
export function configurePool(preset: PresetName, options: PoolOptions): void {
  overrides.set(preset, { ...overrides.get(preset), ...options });
}

/** The shared pool for `preset`, started on first use. A pool that failed to start is retried next time. */
export function sharedPool(preset: PresetName): Promise<PythonPool> {
  let pool = pools.get(preset);
  if (!pool) {
    const configured = overrides.get(preset);
    pool = PythonPool.start({
      preset,
      name: preset,
      modules: [...DEFAULT_MODULES],
      ...configured,
      // DSPy's tqdm bars would only reach our logger as noise: progress comes as events instead.
      env: { TQDM_DISABLE: "1", ...configured?.env },
    });
    pools.set(preset, pool);
    pool.catch(() => pools.delete(preset));
  }
  return pool;
}

/** Closes every shared pool (they also close on process exit). */
export async function closeSharedPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close()));
}
