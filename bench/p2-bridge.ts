/**
 * P2: `echo` round trip through a pool of 2 real workers (DSPy imported), 100 B and 100 KB
 * payloads: sequential p50/p99 latency, and calls/s with many calls in flight (pipelining).
 * Baseline: Snakepit's published 1,500 ops/s (quoted, not measured here). Goal: p50 <= 100 µs
 * and >= 15,000 calls/s. Also measures the frame codecs that decided MessagePack over JSON.
 *
 *   npx tsx bench/p2-bridge.ts                  a table, then one JSON line {"calls_per_s","p50_us","p99_us"}
 *   npx tsx bench/p2-bridge.ts --summary-only   the JSON line alone
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Packr, Unpackr } from "msgpackr";
import { PythonPool, resolvePython, silentLogger } from "../src/bridge/index.js";
import { median, percentile, type Row, report } from "./row.js";

const SNAKEPIT_OPS = 1500;
const here = dirname(fileURLToPath(import.meta.url));

async function latency(pool: PythonPool, payload: string, calls: number): Promise<{ p50: number; p99: number }> {
  const us: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = process.hrtime.bigint();
    await pool.call("echo", payload);
    us.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return { p50: percentile(us, 50), p99: percentile(us, 99) };
}

async function throughput(pool: PythonPool, tool: string, args: unknown, calls: number, inFlight: number) {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < calls) await pool.call(tool, args);
    }),
  );
  return calls / ((performance.now() - start) / 1000);
}

function nodeCodec(n: number): { json: number; msgpack: number } {
  const m = { k: "call", id: 123456, tool: "echo", args: { text: "x".repeat(n), n: 42, list: [1, 2, 3] } };
  const packr = new Packr({ useRecords: false });
  const unpackr = new Unpackr({ useRecords: false });
  const iters = n <= 100 ? 50_000 : 500;
  const time = (fn: () => void) => {
    for (let i = 0; i < iters / 10; i++) fn();
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < iters; i++) fn();
      runs.push(Number(process.hrtime.bigint() - t) / 1000 / iters);
    }
    return median(runs);
  };
  return {
    json: time(() => JSON.parse(Buffer.from(JSON.stringify(m)).toString("utf8"))),
    msgpack: time(() => unpackr.unpack(packr.pack(m))),
  };
}

function pythonCodec(): Record<string, { json: number; orjson: number; msgpack: number }> | undefined {
  const r = spawnSync(resolvePython().python, [join(here, "p2_codec.py")], { encoding: "utf8" });
  return r.status === 0 ? JSON.parse(r.stdout) : undefined;
}

export interface P2Summary {
  calls_per_s: number;
  p50_us: number;
  p99_us: number;
}

export async function run(options: { runs?: number } = {}): Promise<Row[]> {
  return (await measure(options)).rows;
}

export async function measure(options: { runs?: number } = {}): Promise<{ rows: Row[]; summary: P2Summary }> {
  const runs = options.runs ?? 5;
  const pool = await PythonPool.start({
    name: "p2",
    size: 2,
    concurrency: 64,
    testTools: true,
    queueLimit: 100_000,
    logger: silentLogger,
  });
  const small = "x".repeat(100);
  const large = "x".repeat(100 * 1024);
  const r: Record<string, number[]> = { p50s: [], p99s: [], p50l: [], p99l: [], tps: [], tpl: [], tpt: [] };
  try {
    await latency(pool, small, 2000);
    await throughput(pool, "echo", small, 20_000, 256);
    await latency(pool, large, 200);
    for (let i = 0; i < runs; i++) {
      const s = await latency(pool, small, 2000);
      r.p50s!.push(s.p50);
      r.p99s!.push(s.p99);
      const l = await latency(pool, large, 200);
      r.p50l!.push(l.p50);
      r.p99l!.push(l.p99);
      r.tps!.push(await throughput(pool, "echo", small, 50_000, 256));
      r.tpl!.push(await throughput(pool, "echo", large, 2_000, 32));
      r.tpt!.push(await throughput(pool, "sleep", { seconds: 0 }, 20_000, 256));
    }
  } finally {
    await pool.close();
  }
  const m = (k: string) => median(r[k]!);
  const quoted = "Snakepit published (quoted)";
  const rows: Row[] = [
    {
      measure: "P2 echo 100 B p50",
      unit: "µs/call",
      ours: m("p50s"),
      baseline: null,
      baselineName: "-",
      ratio: null,
      goal: "<= 100 µs",
      met: m("p50s") <= 100,
      note: `p99 ${m("p99s").toFixed(0)} µs; one caller, one call at a time, median of ${runs} runs x 2000 calls`,
    },
    {
      measure: "P2 echo 100 B throughput",
      unit: "calls/s",
      ours: m("tps"),
      baseline: SNAKEPIT_OPS,
      baselineName: quoted,
      ratio: m("tps") / SNAKEPIT_OPS,
      goal: ">= 15000 calls/s (10x)",
      met: m("tps") >= 15_000,
      note: "256 calls in flight over 2 workers; echo runs on the worker's reader thread",
    },
    {
      measure: "P2 sleep(0) 100 B throughput",
      unit: "calls/s",
      ours: m("tpt"),
      baseline: SNAKEPIT_OPS,
      baselineName: quoted,
      ratio: m("tpt") / SNAKEPIT_OPS,
      goal: ">= 15000 calls/s (10x)",
      met: m("tpt") >= 15_000,
      note: "same, through the worker's thread pool (the path of every non-inline tool)",
    },
    {
      measure: "P2 echo 100 KB p50",
      unit: "µs/call",
      ours: m("p50l"),
      baseline: null,
      baselineName: "-",
      ratio: null,
      goal: "-",
      met: null,
      note: `p99 ${m("p99l").toFixed(0)} µs`,
    },
    {
      measure: "P2 echo 100 KB throughput",
      unit: "calls/s",
      ours: m("tpl"),
      baseline: SNAKEPIT_OPS,
      baselineName: quoted,
      ratio: m("tpl") / SNAKEPIT_OPS,
      goal: "-",
      met: null,
      note: "32 calls in flight; 200 KB cross the pipes per call",
    },
  ];
  for (const n of [100, 100 * 1024]) {
    const c = nodeCodec(n);
    const label = n === 100 ? "100 B" : "100 KB";
    rows.push({
      measure: `codec ${label} Node enc+dec`,
      unit: "µs",
      ours: c.msgpack,
      baseline: c.json,
      baselineName: "JSON (stringify/parse + utf8)",
      ratio: c.json / c.msgpack,
      goal: "decides the codec",
      met: null,
      note: "ours = msgpackr",
    });
  }
  const py = pythonCodec();
  if (py) {
    for (const [n, c] of Object.entries(py)) {
      rows.push({
        measure: `codec ${n === "100" ? "100 B" : "100 KB"} Python enc+dec`,
        unit: "µs",
        ours: c.msgpack,
        baseline: c.json,
        baselineName: "stdlib json",
        ratio: c.json / c.msgpack,
        goal: "decides the codec",
        met: null,
        note: `orjson ${c.orjson.toFixed(2)} µs`,
      });
    }
  }
  return { rows, summary: { calls_per_s: Math.round(m("tps")), p50_us: round1(m("p50s")), p99_us: round1(m("p99s")) } };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows, summary } = await measure();
  if (!process.argv.includes("--summary-only")) report(rows);
  console.log(JSON.stringify(summary));
}
