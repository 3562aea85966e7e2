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
 *   --workers 1,4  --n 1000  --kill-lock-ms 10000,2000 (lost-worker rows; "" for none)
 *   npx tsx bench/p8-scale.ts --json     one JSON array of rows
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
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

function startWorkers(
  count: number,
  redis: string,
  queue: string,
  lmURL: string,
  lockMs?: number,
): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const args = [
        ...(compiled ? [] : ["--import", "tsx"]),
        // e.g. DSPEX_BENCH_WORKER_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the workers.
        ...(process.env.DSPEX_BENCH_WORKER_FLAGS?.split(" ").filter(Boolean) ?? []),
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
        ...(lockMs === undefined ? [] : ["--lock-ms", String(lockMs)]),
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
          if (c.exitCode !== null || c.signalCode !== null) return resolveStop();
          c.once("exit", () => resolveStop());
          c.kill("SIGTERM");
        }),
    ),
  );
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux); NaN elsewhere. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU ms used by each part of a run, read before and after it. */
function cpuMeter(parts: Record<string, () => number>): () => Record<string, number> {
  const start = Object.fromEntries(Object.entries(parts).map(([k, f]) => [k, f()]));
  return () => Object.fromEntries(Object.entries(parts).map(([k, f]) => [k, f() - start[k]!]));
}

const selfCpu = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

function perJob(cpu: Record<string, number>, n: number): string {
  const total = Object.values(cpu).reduce((a, b) => a + b, 0);
  const parts = Object.entries(cpu).map(([k, v]) => `${k} ${(v / n).toFixed(2)}`);
  // The run cannot be shorter than its CPU time spread over every core of the machine.
  const floor = total / cpus().length;
  return `CPU ms/job: ${parts.join(", ")}; total ${(total / n).toFixed(2)} (CPU floor ${floor.toFixed(0)} ms on ${cpus().length} cores)`;
}

/** Redis's own count of each command it ran (INFO commandstats). */
async function commandStats(client: import("ioredis").Redis | undefined): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const info = (await client?.info("commandstats")) ?? "";
  for (const m of info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) out.set(m[1]!, Number(m[2]));
  return out;
}

function diffStats(after: Map<string, number>, before: Map<string, number>, n: number): string {
  const rows = [...after]
    .map(([k, v]): [string, number] => [k, (v - (before.get(k) ?? 0)) / n])
    .filter(([k, v]) => v >= 0.05 && k !== "info")
    .sort((a, b) => b[1] - a[1]);
  return rows.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ");
}

function devset(n: number, tag: string): Example[] {
  return Array.from({ length: n }, (_, i) =>
    new Example({ question: `q${i} ${tag}`, answer: `a${i}` }).withInputs("question"),
  );
}

export interface P8Options {
  n?: number;
  latencyMs?: number;
  workers?: number[];
  /**
   * Lock durations (ms) for the lost-worker rows: 4 workers, one SIGKILLed when a third of the
   * examples are done; the row is the wall time beyond the 4-worker run. Default [10000] (the
   * worker's default lock); [] leaves them out.
   */
  killLockMs?: number[];
}

export async function run(options: P8Options = {}): Promise<Row[]> {
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
  let stats: import("ioredis").Redis | undefined;
  try {
    configure({ cache: false });
    const mod = (await import(PROGRAM)) as { default: Module; metric: (e: Example, p: Prediction) => boolean; lm: LM };
    configure({ lm: mod.lm });
    // Local baseline: the same program in this process, at one worker's cap (8).
    await new Evaluate({ devset: devset(50, "warm"), metric: mod.metric, concurrency: 8 }).run(mod.default);
    let started = performance.now();
    let meter = cpuMeter({ coordinator: selfCpu, lm: () => cpuMs(server.pid) });
    const local = await new Evaluate({ devset: devset(n, "local"), metric: mod.metric, concurrency: 8 }).run(
      mod.default,
    );
    const localMs = performance.now() - started;
    const localCpu = meter();
    load.push(loadavg()[0]!);
    const walls = new Map<number, number>();
    const cpu = new Map<number, Record<string, number>>();
    const commands = new Map<number, string>();
    const { Redis } = await import("ioredis");
    stats = new Redis(redis.url);
    for (const w of counts) {
      const name = `bench-${w}-${Date.now()}`;
      const workers = await startWorkers(w, redis.url, name, lmURL);
      const queue = redisQueue({ url: redis.url, name });
      try {
        const evaluate = (set: Example[]) =>
          new Evaluate({ devset: set, metric: mod.metric, queue }).run(mod.default, { programFile: PROGRAM });
        await evaluate(devset(16 * w, `warm${w}`));
        meter = cpuMeter({
          coordinator: selfCpu,
          workers: () => workers.reduce((sum, c) => sum + cpuMs(c.pid), 0),
          redis: () => cpuMs(redis.pid),
          lm: () => cpuMs(server.pid),
        });
        const commandsBefore = await commandStats(stats);
        started = performance.now();
        const result = await evaluate(devset(n, `run${w}`));
        walls.set(w, performance.now() - started);
        cpu.set(w, meter());
        commands.set(w, diffStats(await commandStats(stats), commandsBefore, n));
        if (result.score !== local.score) throw new Error(`score ${result.score} != local ${local.score}`);
        load.push(loadavg()[0]!);
      } finally {
        await queue.close();
        await stop(workers);
      }
    }
    // What a lost worker costs: the jobs it held wait for their locks to lapse (plus up to one
    // stalled check, half the lock) before another worker reruns them.
    const lost = new Map<number, { ms: number; killedAt: number }>();
    for (const lockMs of counts.includes(4) ? (options.killLockMs ?? [10_000]) : []) {
      const name = `bench-kill-${lockMs}-${Date.now()}`;
      const workers = await startWorkers(4, redis.url, name, lmURL, lockMs);
      const queue = redisQueue({ url: redis.url, name });
      try {
        const evaluate = (set: Example[], onProgress?: (e: { done: number }) => void) =>
          new Evaluate({ devset: set, metric: mod.metric, queue }).run(mod.default, {
            programFile: PROGRAM,
            ...(onProgress ? { onProgress } : {}),
          });
        await evaluate(devset(64, `warmkill${lockMs}`));
        let killedAt = 0;
        started = performance.now();
        const result = await evaluate(devset(n, `kill${lockMs}`), (e) => {
          if (e.done === Math.floor(n / 3) && killedAt === 0) {
            workers[0]!.kill("SIGKILL");
            killedAt = performance.now() - started;
          }
        });
        lost.set(lockMs, { ms: performance.now() - started, killedAt });
        if (result.score !== local.score) throw new Error(`score ${result.score} != local ${local.score}`);
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
        note: `${n} examples in ${ms.toFixed(0)} ms (ideal ${((n / (8 * w)) * latencyMs).toFixed(0)} ms); ${perJob(cpu.get(w)!, n)}; Redis commands/job: ${commands.get(w)}`,
      };
    });
    for (const [lockMs, { ms, killedAt }] of lost) {
      const four = walls.get(4)!;
      rows.push({
        measure: `P8 lost worker (lock ${lockMs / 1000} s)`,
        unit: "ms",
        ours: ms - four,
        baseline: four,
        baselineName: "4 workers, none lost (ms)",
        ratio: ms / four,
        goal: "",
        met: null,
        note: `4 workers, one SIGKILLed at ${killedAt.toFixed(0)} ms (a third done): ${n} examples in ${ms.toFixed(0)} ms, every row once, score equal to local`,
      });
    }
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
      note: `1 worker ${one.toFixed(0)} ms vs local ${localMs.toFixed(0)} ms for ${n}; local ${perJob(localCpu, n)}; ${cpus().length} cores, load average ${load.map((l) => l.toFixed(1)).join(" / ")} during the runs (other processes share the cores)`,
    });
    return rows;
  } finally {
    stats?.disconnect();
    await redis.stop();
    server.stdin!.end();
  }
}

if (process.argv.includes("--serve")) {
  await serve(Number(process.argv[process.argv.indexOf("--serve") + 1] ?? 50));
} else if (process.argv[1] === self) {
  // --workers 1,4 (1 is always run: it is the baseline); --n 1000.
  const flag = (name: string): string | undefined => {
    const at = process.argv.indexOf(name);
    return at < 0 ? undefined : process.argv[at + 1];
  };
  const workers = flag("--workers")?.split(",").map(Number);
  report(
    await run({
      ...(workers ? { workers: [...new Set([1, ...workers])].sort((a, b) => a - b) } : {}),
      ...(flag("--n") ? { n: Number(flag("--n")) } : {}),
      ...(flag("--kill-lock-ms") ? { killLockMs: flag("--kill-lock-ms")!.split(",").filter(Boolean).map(Number) } : {}),
    }),
  );
  process.exit(0);
}
