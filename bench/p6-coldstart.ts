/**
 * P6: cold start of a pool of 4 workers with DSPy imported, against a pool of 1, measured in
 * the same run (median of several starts each, after one warm-up start that fills the page
 * cache and the .pyc files). Goal: 4 workers <= 1.5x one worker.
 *
 * The goal is measured in fork mode (the default on Linux): the pool's fork server imports DSPy
 * once and forks the workers, and its own start counts in both figures. Spawn mode, where every
 * worker imports DSPy itself, is measured in the same run for reference.
 *
 *   npx tsx bench/p6-coldstart.ts
 */
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { PythonPool, silentLogger } from "../src/bridge/index.js";
import { median, type Row, report } from "./row.js";

type StartMode = "fork" | "spawn";

async function startMs(size: number, startMode: StartMode): Promise<number> {
  const t = performance.now();
  const pool = await PythonPool.start({ name: `p6-${startMode}-${size}`, size, startMode, logger: silentLogger });
  const ms = performance.now() - t;
  if (pool.stats().startMode !== startMode) throw new Error(`pool started in ${pool.stats().startMode} mode`);
  await pool.close();
  return ms;
}

export async function run(options: { runs?: number } = {}): Promise<Row[]> {
  const runs = options.runs ?? 3;
  const cores = availableParallelism();
  await startMs(1, "spawn");
  const times: Record<`${StartMode}-${1 | 4}`, number[]> = { "fork-1": [], "fork-4": [], "spawn-1": [], "spawn-4": [] };
  // Interleaved, so drift in the machine's load touches every figure alike.
  for (let i = 0; i < runs; i++) {
    for (const mode of ["fork", "spawn"] as const) {
      times[`${mode}-1`].push(await startMs(1, mode));
      times[`${mode}-4`].push(await startMs(4, mode));
    }
  }
  const m = (key: keyof typeof times) => median(times[key]);
  const forkRatio = m("fork-4") / m("fork-1");
  const spawnRatio = m("spawn-4") / m("spawn-1");
  return [
    {
      measure: "P6 cold start, 4 workers vs 1 (dspy imported, fork mode)",
      unit: "ms",
      ours: m("fork-4"),
      baseline: m("fork-1"),
      baselineName: "1 worker, fork mode, same run",
      ratio: forkRatio,
      goal: "<= 1.5x",
      met: forkRatio <= 1.5,
      note:
        `${cores} cores; the fork server imports DSPy once (its start counts in both figures) and ` +
        `forks each worker, which shares the imported modules copy-on-write`,
    },
    {
      measure: "P6 reference: 4 workers vs 1, spawn mode",
      unit: "ms",
      ours: m("spawn-4"),
      baseline: m("spawn-1"),
      baselineName: "1 worker, spawn mode, same run",
      ratio: spawnRatio,
      goal: "reference",
      met: null,
      note:
        `every spawned worker imports DSPy itself (${m("spawn-1").toFixed(0)} ms of CPU each), so 4 imports on ` +
        `${cores} cores take about ${(4 / Math.min(4, cores)).toFixed(1)}x one`,
    },
    {
      measure: "P6 reference: 4 workers, fork vs spawn mode",
      unit: "ms",
      ours: m("fork-4"),
      baseline: m("spawn-4"),
      baselineName: "4 workers, spawn mode, same run",
      ratio: m("fork-4") / m("spawn-4"),
      goal: "reference",
      met: null,
    },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  report(await run());
}
