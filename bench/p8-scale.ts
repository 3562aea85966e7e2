/**
 * P8: distributed Evaluate. 1,000 examples against a loopback OpenAI-compatible server with 50 ms
 * latency, sent through a Redis queue to 1, 2 and 4 `dspex worker` processes, each capped at 8
 * jobs at once. Throughput by worker count and the ratio to one worker (goal: >= 3.5x at 4), and
 * the per-job overhead of the queue against a local Evaluate at the same concurrency (8), timed
 * in the same run. Needs redis-server on PATH.
 *
 * The LM server runs in its own process, as in P4. Every process here shares the machine's cores:
 * the load average is printed with the rows, and on a machine with fewer cores than processes
 * the ratio measures the cores as much as the queue.
 *
 *   npx tsx bench/p8-scale.ts            a table
 *   npx tsx bench/p8-scale.ts --json     one JSON array of rows
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Evaluate } from "../src/evaluate/evaluate.js";
import type { LM } from "../src/lm/types.js";
import { Example } from "../src/modules/example.js";
import type { Module } from "../src/modules/module.js";
import type { Prediction } from "../src/modules/prediction.js";
import { configure } from "../src/runtime/settings.js";
import { redisQueue } from "../src/scale/queue.js";
import { startRedis } from "../test/cache/redis-server.js";
import { type RecordedRequest, type Reply, start } from "../test/helpers/loopback-openai.js";
import { type Row, report } from "./row.js";

const here = dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);
const compiled = self.endsWith(".js");
const ext = compiled ? "js" : "ts";
const PROGRAM = join(here, `scale-program.${ext}`);
const CLI = join(here, "..", "src", "cli", `main.${ext}`);

async function serve(latencyMs: number): Promise<void> {
  const server = await start({
    latencyMs,
    script: (req: RecordedRequest): Reply => {
      const messages = (req.body as { messages?: { content: string }[] } | undefined)?.messages ?? [];
      const q = /\bq(\d+)\b/.exec(messages.at(-1)?.content ?? "")?.[1] ?? "";
      return { kind: "completion", outputs: `[[ ## answer ## ]]\na${q}\n\n[[ ## completed ## ]]` };
    },
  });
  process.stdout.write(`${server.url}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => void server.close().then(() => process.exit(0)));
}

function firstLine(child: ChildProcess, stream: "stdout" | "stderr", marker: string): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let buffered = "";
    child[stream]!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split("\n").find((l) => l.includes(marker));
      if (line) resolveLine(line.trim());
    });
    child.once("exit", (code) => reject(new Error(`child exited with ${code}: ${buffered.slice(-400)}`)));
  });
}

function startWorkers(count: number, redis: string, queue: string, lmURL: string): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const args = [
        ...(compiled ? [] : ["--import", "tsx"]),
        CLI,
        "worker",
        "--redis",
        redis,
        "--queue",
        queue,
        "--concurrency",
        "8",
        "--cache",
        "off",
      ];
      const child = spawn(process.execPath, args, {
        env: { ...process.env, DSPEX_BENCH_LM_URL: lmURL },
        stdio: ["ignore", "ignore", "pipe"],
      });
      await firstLine(child, "stderr", "taking jobs");
      return child;
    }),
  );
}

async function stop(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolveStop) => {
          if (c.exitCode !== null) return resolveStop();
          c.once("exit", () => resolveStop());
          c.kill("SIGTERM");
        }),
    ),
  );
}

function devset(n: number, tag: string): Example[] {
  return Array.from({ length: n }, (_, i) =>
    new Example({ question: `q${i} ${tag}`, answer: `a${i}` }).withInputs("question"),
  );
}

export async function run(options: { n?: number; latencyMs?: number; workers?: number[] } = {}): Promise<Row[]> {
  const n = options.n ?? 1000;
  const latencyMs = options.latencyMs ?? 50;
  const counts = options.workers ?? [1, 2, 4];
  const server = spawn(process.execPath, [...process.execArgv, self, "--serve", String(latencyMs)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lmURL = await firstLine(server, "stdout", "http://");
  process.env.DSPEX_BENCH_LM_URL = lmURL;
  const redis = await startRedis();
  const load: number[] = [];
  try {
    configure({ cache: false });
    const mod = (await import(PROGRAM)) as { default: Module; metric: (e: Example, p: Prediction) => boolean; lm: LM };
    configure({ lm: mod.lm });
    // Local baseline: the same program in this process, at one worker's cap (8).
    await new Evaluate({ devset: devset(50, "warm"), metric: mod.metric, concurrency: 8 }).run(mod.default);
    let started = performance.now();
    const local = await new Evaluate({ devset: devset(n, "local"), metric: mod.metric, concurrency: 8 }).run(
      mod.default,
    );
    const localMs = performance.now() - started;
    load.push(loadavg()[0]!);
    const walls = new Map<number, number>();
    for (const w of counts) {
      const name = `bench-${w}-${Date.now()}`;
      const workers = await startWorkers(w, redis.url, name, lmURL);
      const queue = redisQueue({ url: redis.url, name });
      try {
        const evaluate = (set: Example[]) =>
          new Evaluate({ devset: set, metric: mod.metric, queue }).run(mod.default, { programFile: PROGRAM });
        await evaluate(devset(16 * w, `warm${w}`));
        started = performance.now();
        const result = await evaluate(devset(n, `run${w}`));
        walls.set(w, performance.now() - started);
        if (result.score !== local.score) throw new Error(`score ${result.score} != local ${local.score}`);
        load.push(loadavg()[0]!);
      } finally {
        await queue.close();
        await stop(workers);
      }
    }
    const throughput = (ms: number) => (n / ms) * 1000;
    const one = walls.get(1)!;
    const rows: Row[] = counts.map((w) => {
      const ms = walls.get(w)!;
      const ratio = one / ms;
      return {
        measure: `P8 ${w} worker${w > 1 ? "s" : ""}`,
        unit: "examples/s",
        ours: throughput(ms),
        baseline: throughput(one),
        baselineName: "1 worker",
        ratio,
        goal: w === 4 ? ">= 3.5x" : "",
        met: w === 4 ? ratio >= 3.5 : null,
        note: `${n} examples in ${ms.toFixed(0)} ms (ideal ${((n / (8 * w)) * latencyMs).toFixed(0)} ms)`,
      };
    });
    // Per job: what one worker at concurrency 8 spends beyond a local Evaluate at concurrency 8.
    const overheadMs = ((one - localMs) * 8) / n;
    rows.push({
      measure: "P8 per-job overhead",
      unit: "ms/job",
      ours: overheadMs,
      baseline: localMs,
      baselineName: "local Evaluate c=8 (ms total)",
      ratio: one / localMs,
      goal: "",
      met: null,
      note: `1 worker ${one.toFixed(0)} ms vs local ${localMs.toFixed(0)} ms for ${n}; ${cpus().length} cores, load average ${load.map((l) => l.toFixed(1)).join(" / ")} during the runs (other processes share the cores)`,
    });
    return rows;
  } finally {
    await redis.stop();
    server.stdin!.end();
  }
}

if (process.argv.includes("--serve")) {
  await serve(Number(process.argv[process.argv.indexOf("--serve") + 1] ?? 50));
} else if (process.argv[1] === self) {
  report(await run());
  process.exit(0);
}
