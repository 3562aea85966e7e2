/**
 * Distributed Evaluate against real parts: a redis-server (persistent, so it can be restarted),
 * `dspex worker` child processes and a loopback OpenAI-compatible LM. Results are compared with
 * a local Evaluate of the same program and state.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Queue } from "bullmq";
import { Evaluate } from "../../src/evaluate/evaluate.js";
import type { EvaluationResult, ProgressEvent } from "../../src/evaluate/types.js";
import { Example } from "../../src/modules/example.js";
import type { LM } from "../../src/lm/types.js";
import type { Module } from "../../src/modules/module.js";
import { UsageTracker } from "../../src/lm/usage.js";
import { configure, context } from "../../src/runtime/settings.js";
import { cloneProgram } from "../../src/optimize/clone.js";
import { type RedisQueue, redisQueue } from "../../src/scale/queue.js";
import { hasRedisServer, type RedisServer, startRedis } from "../cache/redis-server.js";
import type { Loopback } from "../helpers/loopback-openai.js";
import { PROGRAM, runCLI, startLM, startWorkerProcess, type WorkerProcess } from "./helpers.js";

const available = hasRedisServer();
if (!available && process.env.CI) throw new Error("redis-server is missing on CI: .ci/run should install it");

function devset(n: number, from = 0): Example[] {
  return Array.from({ length: n }, (_, i) =>
    new Example({ question: `q${from + i}`, answer: `a${from + i}` }).withInputs("question"),
  );
}

/** What must be identical between a local and a distributed run. */
function summary(result: EvaluationResult) {
  return {
    score: result.score,
    errors: result.errors,
    rows: result.results.map((r) => ({
      index: r.index,
      example: r.example.toDict(),
      prediction: r.prediction.toDict(),
      score: r.score,
      error: r.error?.message,
    })),
  };
}

function progressShape(events: ProgressEvent[]) {
  return events.map((e) => ({ done: e.done, total: e.total })).sort((a, b) => a.done - b.done);
}

describe("distributed Evaluate (redis-server, dspex worker processes, loopback LM)", {
  skip: available ? false : "redis-server is not installed",
}, () => {
  let redis: RedisServer;
  let dir: string;
  let lm: Loopback;
  let workers: WorkerProcess[] = [];
  let program: Module;
  let metric: (e: Example, p: import("../../src/modules/prediction.js").Prediction) => boolean;
  const queues: RedisQueue[] = [];
  const queue = (options: Partial<Parameters<typeof redisQueue>[0]> = {}): RedisQueue => {
    const q = redisQueue({ url: redis.url, sweepMs: 500, ...options });
    queues.push(q);
    return q;
  };

  before(async () => {
    configure({ cache: false });
    dir = mkdtempSync(join(tmpdir(), "dspex-scale-"));
    redis = await startRedis({ dir });
    lm = await startLM(100);
    process.env.DSPEX_TEST_LM_URL = lm.url;
    const mod = (await import(PROGRAM)) as { default: Module; metric: typeof metric; lm: LM };
    // The local runs use the LM the program file exports, as the workers do.
    configure({ lm: mod.lm });
    program = mod.default;
    metric = mod.metric;
    workers = await Promise.all(
      [0, 1, 2].map(() => startWorkerProcess({ redis: redis.url, lmURL: lm.url, concurrency: 2 })),
    );
  });

  after(async () => {
    for (const q of queues) await q.close();
    await Promise.all(workers.map((w) => w.stop()));
    await lm?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives the score, rows, order, progress events and LM usage of a local run", async () => {
    const examples = devset(30);
    const localEvents: ProgressEvent[] = [];
    const localUsage = new UsageTracker();
    const local = await context({ usage: localUsage }, () =>
      new Evaluate({ devset: examples, metric }).run(program, { onProgress: (e) => localEvents.push(e) }),
    );
    const remoteEvents: ProgressEvent[] = [];
    const evaluate = new Evaluate({ devset: examples, metric, queue: queue() });
    const emitted: ProgressEvent[] = [];
    evaluate.on("progress", (e) => emitted.push(e));
    const remoteUsage = new UsageTracker();
    const asked = lm.requests.length;
    const remote = await context({ usage: remoteUsage }, () =>
      evaluate.run(program, { programFile: PROGRAM, onProgress: (e) => remoteEvents.push(e) }),
    );
    assert.deepEqual(summary(remote), summary(local));
    // 27 calls reached the LM during the run (q7, q17, q27 throw first); made on the workers, they
    // count in this scope's tracker as a local run's do.
    assert.equal(lm.requests.length - asked, 27);
    const { lastCall: _l, ...localTotals } = localUsage.snapshot();
    const { lastCall: _r, ...remoteTotals } = remoteUsage.snapshot();
    assert.deepEqual(remoteTotals, localTotals);
    assert.equal(remoteTotals.total.calls, 27);
    assert.deepEqual(
      remote.results.map((r) => r.prediction.lmUsage),
      local.results.map((r) => r.prediction.lmUsage),
    );
    assert.equal(remote.errors, 3); // q7, q17, q27 throw in the program
    assert.ok(remote.score > 0 && remote.score < 100);
    assert.deepEqual(progressShape(remoteEvents), progressShape(localEvents));
    assert.equal(emitted.length, 30);
    const last = remoteEvents.at(-1)!;
    assert.equal(last.sum, localEvents.at(-1)!.sum);
    assert.equal(last.errors, 3);
  });

  it("runs the program with the state it has here (demos travel with each job), scored here or there", async () => {
    const examples = devset(12, 300);
    const tuned = cloneProgram(program);
    const state = tuned.dumpState() as Record<string, { demos: unknown[] }>;
    state.predict!.demos = [{ question: "q1", answer: "a1" }];
    tuned.loadState(state);
    const local = await new Evaluate({ devset: examples, metric }).run(tuned);
    const onWorkers = await new Evaluate({ devset: examples, metric, queue: queue({ scoreOn: "worker" }) }).run(tuned, {
      programFile: PROGRAM,
    });
    const here = await new Evaluate({ devset: examples, metric, queue: queue({ scoreOn: "coordinator" }) }).run(tuned, {
      programFile: { path: PROGRAM, export: "default" },
    });
    assert.deepEqual(summary(onWorkers), summary(local));
    assert.deepEqual(summary(here), summary(local));
    // With demos the LM answers every question right: only the throwing examples (q307) fail.
    const plain = await new Evaluate({ devset: examples, metric }).run(program);
    assert.ok(local.score > plain.score, `${local.score} > ${plain.score}`);
  });

  it("loses nothing and counts nothing twice when a worker is killed mid-job", async () => {
    const examples = devset(60, 1000);
    const local = await new Evaluate({ devset: examples, metric }).run(program);
    const victim = workers[0]!;
    const victimName = `${hostname()}:${victim.proc.pid}`;
    const inspect = new Queue("dspex", { connection: { url: redis.url }, prefix: "dspex" });
    let killedAt = 0;
    let killedJob: string | undefined;
    let killing: Promise<void> | undefined;
    let finished = false;
    // Kill it while Redis shows it holding a job: that job must be taken over by another worker.
    const killWhileBusy = async (): Promise<void> => {
      while (!killedJob && !finished) {
        const busy = (await inspect.getActive()).find((job) => job.processedBy === victimName);
        if (busy) {
          const exited = new Promise((resolve) => victim.proc.once("exit", resolve));
          victim.proc.kill("SIGKILL");
          killedAt = Date.now();
          await exited;
          // The job seen a moment ago may have finished before the signal landed: take one that
          // Redis still shows the dead worker holding (its lock has not lapsed yet).
          const held = (await inspect.getActive()).filter((job) => job.processedBy === victimName);
          killedJob = (held.find((job) => job.id === busy.id) ?? held[0] ?? busy).id;
        } else await new Promise((r) => setTimeout(r, 5));
      }
    };
    const events: ProgressEvent[] = [];
    const remote = await new Evaluate({ devset: examples, metric, queue: queue() }).run(program, {
      programFile: PROGRAM,
      onProgress: (e) => {
        events.push(e);
        if (e.done === 10) killing = killWhileBusy();
      },
    });
    const finishedAt = Date.now();
    finished = true;
    await killing;
    try {
      assert.ok(killedJob, "the worker was killed holding a job");
      assert.deepEqual(summary(remote), summary(local));
      assert.deepEqual(
        events.map((e) => e.done),
        Array.from({ length: 60 }, (_, i) => i + 1),
      );
      assert.equal(new Set(events.map((e) => e.row.index)).size, 60);
      // The job the dead worker held went back to the queue (a stall) and another worker finished it.
      const recovered = await inspect.getJob(killedJob!);
      assert.ok(recovered, "the job is still in Redis");
      assert.ok(recovered.stalledCounter >= 1, `stalled ${recovered.stalledCounter} times`);
      assert.notEqual(recovered.processedBy, victimName);
      assert.ok(recovered.finishedOn);
      console.log(`# lost worker: run ended ${finishedAt - killedAt} ms after the kill (lock 1500 ms)`);
    } finally {
      await inspect.close();
      await victim.kill();
      workers[0] = await startWorkerProcess({ redis: redis.url, lmURL: lm.url, concurrency: 2 });
    }
  });

  it("loses nothing when Redis is stopped for 2 s mid-run (workers and coordinator reconnect)", async () => {
    const examples = devset(90, 2000);
    const local = await new Evaluate({ devset: examples, metric }).run(program);
    let outage: Promise<void> | undefined;
    const events: ProgressEvent[] = [];
    const remote = await new Evaluate({ devset: examples, metric, queue: queue() }).run(program, {
      programFile: PROGRAM,
      onProgress: (e) => {
        events.push(e);
        if (e.done === 15) {
          outage = (async () => {
            const port = redis.port;
            await redis.stop();
            await new Promise((r) => setTimeout(r, 2000));
            redis = await startRedis({ port, dir });
          })();
        }
      },
    });
    await outage;
    assert.ok(outage, "Redis was stopped during the run");
    assert.ok(events.length === 90);
    assert.deepEqual(summary(remote), summary(local));
  });

  it("cancels the outstanding jobs when the run is aborted", async () => {
    const examples = devset(60, 3000);
    const q = queue();
    const controller = new AbortController();
    const before = lm.requests.length;
    await assert.rejects(
      new Evaluate({ devset: examples, metric, queue: q }).run(program, {
        programFile: PROGRAM,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.done === 5) controller.abort();
        },
      }),
      (error: Error) => error.name === "EvaluateError" && /aborted/.test(error.message),
    );
    await new Promise((r) => setTimeout(r, 1000));
    const counts = await q.counts();
    assert.equal(counts.waiting, 0, JSON.stringify(counts));
    assert.equal(counts.active, 0, JSON.stringify(counts));
    const asked = lm.requests.length - before;
    assert.ok(asked < 30, `only the jobs in flight at the abort reached the LM (${asked})`);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(lm.requests.length - before, asked, "nothing more reached the LM after the abort");
  });

  it("dspex eval --redis sends the examples to the workers, with the local score", async () => {
    const examples = devset(12, 4000);
    const data = join(dir, "dev.jsonl");
    writeFileSync(data, examples.map((e) => JSON.stringify(e.toDict())).join("\n"));
    const local = await new Evaluate({ devset: examples, metric }).run(program);
    const before = lm.requests.length;
    // Not spawnSync: the loopback LM the workers call lives in this process's event loop.
    const cli = await runCLI(["eval", PROGRAM, data, "--redis", redis.url, "--json"], { DSPEX_TEST_LM_URL: lm.url });
    assert.equal(cli.status, 0, cli.stderr);
    const out = JSON.parse(cli.stdout.trim().split("\n").at(-1)!) as { score: number; errors: number; n: number };
    assert.deepEqual(out, { score: local.score, errors: local.errors, n: 12 });
    assert.ok(lm.requests.length > before);
  });

  it("dspex worker without --redis is a usage error", async () => {
    const cli = await runCLI(["worker"]);
    assert.equal(cli.status, 2);
    assert.match(cli.stderr, /needs --redis URL/);
  });

  it("needs the program file with a queue", async () => {
    await assert.rejects(
      new Evaluate({ devset: devset(2), metric, queue: queue() }).run(program),
      (error: Error) =>
        error.name === "ConfigurationError" && /programFile/.test((error as { fix?: string }).fix ?? ""),
    );
  });
});
