/**
 * Memory: RSS of a Python worker at rest and after 10k calls, and Node's RSS after 100k Predict
 * calls with ScriptedLM. The goal is that nothing grows without bound: we report the growth over
 * the second half of each run, which a leak keeps paying and a warm-up does not.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { PythonPool } from "../src/bridge/pool.js";
import { ScriptedLM } from "../src/lm/providers/scripted.js";
import { Predict } from "../src/modules/predict.js";
import { configure, resetSettings } from "../src/runtime/settings.js";
import { report, type Row } from "./row.js";

const MB = 1024 * 1024;

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

async function pythonWorker(): Promise<Row[]> {
  const pool = await PythonPool.start({ name: "mem", size: 1, startMode: "spawn" });
  try {
    const pid = pool.stats().workers[0]!.pid!;
    const atRest = rssOf(pid);
    const payload = { text: "x".repeat(100) };
    const readings: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      await pool.call("echo", payload);
      if (i === 4_999) readings.push(rssOf(pid));
    }
    readings.push(rssOf(pid));
    const growth = readings[1]! - readings[0]!;
    return [
      {
        measure: "MEM python worker",
        unit: "MiB RSS",
        ours: readings[1]!,
        baseline: atRest,
        baselineName: "same worker at rest",
        ratio: readings[1]! / atRest,
        goal: "bounded (< 5 MiB growth over calls 5k..10k)",
        met: growth < 5,
        note: `at rest ${atRest.toFixed(1)} MiB, after 5k ${readings[0]!.toFixed(1)}, after 10k ${readings[1]!.toFixed(1)} MiB`,
      },
    ];
  } finally {
    await pool.close();
  }
}

async function nodePredict(): Promise<Row[]> {
  const N = 100_000;
  const lm = new ScriptedLM({ "": { answer: "Paris" } });
  configure({ lm, cache: false });
  const predict = new Predict("question -> answer");
  const start = process.memoryUsage().rss / MB;
  let half = 0;
  try {
    for (let i = 0; i < N; i++) {
      await predict.call({ question: `q${i}` });
      // ScriptedLM records every request for tests; keep only the count so the bench measures us.
      if (lm.requests.length > 1000) lm.requests.length = 0;
      if (i === N / 2 - 1) {
        global.gc?.();
        half = process.memoryUsage().rss / MB;
      }
    }
  } finally {
    resetSettings();
  }
  global.gc?.();
  const end = process.memoryUsage().rss / MB;
  return [
    {
      measure: "MEM node Predict x100k",
      unit: "MiB RSS",
      ours: end,
      baseline: start,
      baselineName: "same process before the calls",
      ratio: end / start,
      goal: "bounded (< 20 MiB growth over calls 50k..100k)",
      met: end - half < 20,
      note: `before ${start.toFixed(1)}, after 50k ${half.toFixed(1)}, after 100k ${end.toFixed(1)} MiB (history keeps the last 1,000 calls)`,
    },
  ];
}

export async function run(): Promise<Row[]> {
  return [...(await pythonWorker()), ...(await nodePredict())];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) report(await run());
