/**
 * Soak: native Predict and Python-backed Predict calls together at a fixed concurrency for a
 * while, reporting resident memory growth per 1,000 calls for Node and for each worker. Growth is
 * the least-squares slope of RSS over calls in the second half of the run (the first half is
 * warm-up: JIT, allocator arenas, caches filling to their caps), so a leak shows as a steady
 * positive slope and a plateau as about zero.
 *
 *   npx tsx bench/soak.ts [--seconds 300] [--concurrency 64] [--workers 2]
 *
 * Prints one JSON line at the end. Timings on a shared machine are noisy; memory slopes much less so.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { PythonPool } from "../src/bridge/pool.js";
import type { LM, LMRequest, LMResponse, LMStreamChunk } from "../src/lm/types.js";
import { Predict } from "../src/modules/predict.js";
import { PythonPredict } from "../src/modules/python/predict.js";
import { context } from "../src/runtime/settings.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "300" },
    concurrency: { type: "string", default: "64" },
    workers: { type: "string", default: "2" },
  },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const workers = Number(values.workers);

/** Answers at once with a ChatAdapter completion; never cached, keeps nothing. */
class InstantLM implements LM {
  readonly specificationVersion = "v2" as const;
  readonly provider = "soak";
  readonly model = "instant";
  readonly cacheable = false;
  async generate(request: LMRequest): Promise<LMResponse> {
    const last = request.messages.at(-1);
    const n = typeof last?.content === "string" ? last.content.length : 0;
    return {
      outputs: [`[[ ## answer ## ]]\nlength ${n}\n\n[[ ## completed ## ]]`],
      usage: { promptTokens: n, completionTokens: 4, totalTokens: n + 4 },
      model: this.model,
      cached: false,
    };
  }
  // biome-ignore lint/correctness/useYield: a soak LM never streams
  async *stream(): AsyncIterable<LMStreamChunk> {
    throw new Error("InstantLM does not stream");
  }
}

function rssMbOf(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return num / den;
}

async function main(): Promise<void> {
  // No recycling: the point is to see growth, not to hide it.
  const pool = await PythonPool.start({
    name: "soak",
    size: workers,
    concurrency: Math.max(1, Math.ceil(concurrency / 2 / workers)),
    modules: ["dspex_worker.modules_python"],
    maxRequestsPerWorker: 0,
    maxRssMb: 0,
  });
  const pids = pool.stats().workers.map((w) => w.pid!);
  const lm = new InstantLM();
  const native = new Predict("question -> answer");
  const python = new PythonPredict("question -> answer", { pool });
  const samples: { calls: number; node: number; workers: number[] }[] = [];
  let calls = 0;
  let nativeCalls = 0;
  let pythonCalls = 0;
  let wrong = 0;
  const errors = new Map<string, number>();
  const sample = () =>
    samples.push({ calls, node: process.memoryUsage().rss / 1024 / 1024, workers: pids.map(rssMbOf) });
  sample();
  const end = Date.now() + seconds * 1000;
  const started = Date.now();
  await context({ lm }, () =>
    Promise.all(
      Array.from({ length: concurrency }, async (_, lane) => {
        for (let i = 0; Date.now() < end; i++) {
          const usePython = (lane + i) % 2 === 1;
          try {
            const question = `lane ${lane} call ${i}: ${"context ".repeat(20)}`;
            const pred = await (usePython ? python : native).call({ question });
            if (!/^length \d+$/.test(String(pred.answer))) wrong++;
            if (usePython) pythonCalls++;
            else nativeCalls++;
          } catch (err) {
            const name = (err as Error).name;
            errors.set(name, (errors.get(name) ?? 0) + 1);
          }
          calls++;
          if (calls % 1000 === 0) sample();
        }
      }),
    ),
  );
  const wallS = (Date.now() - started) / 1000;
  sample();
  const alive = pool.stats().workers.map((w) => w.pid);
  await pool.close();
  const half = samples.slice(Math.floor(samples.length / 2));
  const xs = half.map((s) => s.calls / 1000);
  const result = {
    bench: "soak",
    seconds: wallS,
    concurrency,
    workers,
    calls,
    nativeCalls,
    pythonCalls,
    callsPerSecond: Math.round(calls / wallS),
    errors: Object.fromEntries(errors),
    wrong,
    workersReplaced: alive.some((p) => !pids.includes(p as number)),
    nodeRssMb: { start: samples[0]!.node, end: samples.at(-1)!.node },
    workerRssMb: pids.map((_, i) => ({ start: samples[0]!.workers[i], end: samples.at(-1)!.workers[i] })),
    // KiB per 1,000 calls of all kinds (python calls are half of them), second half of the run.
    nodeGrowthKiBPer1000Calls:
      slope(
        xs,
        half.map((s) => s.node),
      ) * 1024,
    workerGrowthKiBPer1000Calls: pids.map(
      (_, i) =>
        slope(
          xs,
          half.map((s) => s.workers[i]!),
        ) * 1024,
    ),
  };
  console.log(JSON.stringify(result));
}

await main();
