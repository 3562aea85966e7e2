/**
 * The design's four pools. The design sizes (8/2/4/2) are ceilings: a pool never gets more
 * workers than the machine has cores, so on 2 cores each preset runs at most 2 workers.
 */
import { availableParallelism } from "node:os";

export type PresetName = "modules" | "optimizers" | "retrievers" | "multimodal";

export interface PresetDefaults {
  size: number;
  /** Calls in flight per worker: DSPy modules mostly wait on LM callbacks, so several fit. */
  concurrency: number;
  timeoutMs: number;
  queueLimit: number;
  maxRequestsPerWorker: number;
  maxRssMb: number;
}

const designed: Record<PresetName, PresetDefaults> = {
  modules: {
    size: 8,
    concurrency: 8,
    timeoutMs: 120_000,
    queueLimit: 10_000,
    maxRequestsPerWorker: 10_000,
    maxRssMb: 1024,
  },
  optimizers: {
    size: 2,
    concurrency: 1,
    timeoutMs: 6 * 60 * 60_000,
    queueLimit: 100,
    maxRequestsPerWorker: 100,
    maxRssMb: 4096,
  },
  retrievers: {
    size: 4,
    concurrency: 4,
    timeoutMs: 60_000,
    queueLimit: 10_000,
    maxRequestsPerWorker: 50_000,
    maxRssMb: 2048,
  },
  multimodal: {
    size: 2,
    concurrency: 2,
    timeoutMs: 300_000,
    queueLimit: 1_000,
    maxRequestsPerWorker: 1_000,
    maxRssMb: 4096,
  },
};

export const presetNames = Object.keys(designed) as PresetName[];

export function isPresetName(name: string | undefined): name is PresetName {
  return name !== undefined && name in designed;
}

export function presetDefaults(name: PresetName, cores = availableParallelism()): PresetDefaults {
  const d = designed[name];
  return { ...d, size: Math.max(1, Math.min(d.size, cores)) };
}
