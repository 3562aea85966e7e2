/**
 * P6: cold start of a pool of 4 workers with DSPy imported, against a pool of 1, measured
 * in the same run (median of several starts each, after one warm-up start that fills the
 * page cache and the .pyc files). Goal: 4 workers <= 1.5x one worker.
 *
 *   npx tsx bench/p6-coldstart.ts
 */
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { PythonPool, silentLogger } from "../src/bridge/index.js";
import { median, type Row, report } from "./row.js";

async function startMs(size: number): Promise<number> {
  const t = performance.now();
  const pool = await PythonPool.start({ name: `p6-${size}`, size, logger: silentLogger });
  const ms = performance.now() - t;
  await pool.close();
  return ms;
}

export async function run(options: { runs?: number } = {}): Promise<Row[]> {
  const runs = options.runs ?? 3;
  await startMs(1);
  const one: number[] = [];
  const four: number[] = [];
  for (let i = 0; i < runs; i++) {
    one.push(await startMs(1));
    four.push(await startMs(4));
  }
  const ratio = median(four) / median(one);
  const cores = availableParallelism();
  return [
    {
      measure: "P6 cold start, 4 workers vs 1 (dspy imported)",
      unit: "ms",
      ours: median(four),
      baseline: median(one),
      baselineName: "1 worker, same run",
      ratio,
      goal: "<= 1.5x",
      met: ratio <= 1.5,
      note:
        `${cores} cores; workers start in parallel, but importing DSPy is CPU-bound (one start takes ` +
        `${median(one).toFixed(0)} ms), so 4 imports on ${cores} cores cannot take less than about ` +
        `${(4 / Math.min(4, cores)).toFixed(1)}x one; a fork server (import once, fork workers) would be the fix`,
    },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  report(await run());
}
