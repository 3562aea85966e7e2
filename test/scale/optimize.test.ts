/**
 * Distributed optimization: real DSPy's BootstrapFewShot runs in the coordinator's Python pool,
 * and every program run it asks Node for goes through the Redis queue to `dspex worker`
 * processes. The optimized state must equal a local run's.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PythonPool } from "../../src/bridge/pool.js";
import type { LM } from "../../src/lm/types.js";
import { Example } from "../../src/modules/example.js";
import type { Module } from "../../src/modules/module.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { bootstrapFewShot } from "../../src/optimize/index.js";
import { configure } from "../../src/runtime/settings.js";
import { type RedisQueue, redisQueue } from "../../src/scale/queue.js";
import { hasRedisServer, type RedisServer, startRedis } from "../cache/redis-server.js";
import type { Loopback } from "../helpers/loopback-openai.js";
import { startOptimizerPool } from "../optimize/helpers.js";
import { PROGRAM, startLM, startWorkerProcess, type WorkerProcess } from "./helpers.js";

const available = hasRedisServer();
if (!available && process.env.CI) throw new Error("redis-server is missing on CI: .ci/run should install it");

describe("bootstrapFewShot with its program runs on dspex worker processes", {
  skip: available ? false : "redis-server is not installed",
}, () => {
  let redis: RedisServer;
  let llm: Loopback;
  let pool: PythonPool;
  let workers: WorkerProcess[] = [];
  let queue: RedisQueue;
  let program: Module;
  let lm: LM;
  let metric: (e: Example, p: Prediction) => boolean;

  before(async () => {
    configure({ cache: false });
    redis = await startRedis();
    llm = await startLM(20);
    process.env.DSPEX_TEST_LM_URL = llm.url;
    const mod = (await import(PROGRAM)) as { default: Module; metric: typeof metric; lm: LM };
    program = mod.default;
    metric = mod.metric;
    lm = mod.lm;
    [pool, ...workers] = await Promise.all([
      startOptimizerPool(),
      startWorkerProcess({ redis: redis.url, lmURL: llm.url }),
      startWorkerProcess({ redis: redis.url, lmURL: llm.url }),
    ]);
    queue = redisQueue({ url: redis.url, sweepMs: 500 });
  });

  after(async () => {
    await queue?.close();
    await pool?.close();
    await Promise.all(workers.map((w) => w.stop()));
    await llm?.close();
    await redis?.stop();
  });

  it("gives the local run's optimized state, with the program run on the workers", async () => {
    const train = [1, 2, 3, 4, 5, 6].map((i) =>
      new Example({ question: `q${i}`, answer: `a${i}` }).withInputs("question"),
    );
    const options = { lm, pool, metric, maxBootstrappedDemos: 3, maxLabeledDemos: 0 };
    const local = await bootstrapFewShot(program, train, options);
    const asked = llm.requests.length;
    const remote = await bootstrapFewShot(program, train, { ...options, queue, programFile: PROGRAM });
    assert.deepEqual(remote.report.state, local.report.state);
    assert.equal(remote.report.programCalls, local.report.programCalls);
    // q3 and q6 are answered wrong without demos, so the metric keeps q1, q2, q4.
    const demos = (remote.report.state as Record<string, { demos: { question: string }[] }>).predict!.demos;
    assert.deepEqual(
      demos.map((d) => d.question),
      ["q1", "q2", "q4"],
    );
    // The runs happened on the workers: the coordinator made no LM call of its own this time,
    // yet the LM was asked (by the workers).
    assert.ok(local.report.lmCalls > 0);
    assert.equal(remote.report.lmCalls, 0);
    assert.ok(llm.requests.length > asked);
    const counts = await queue.counts();
    assert.ok((counts.completed ?? 0) >= remote.report.programCalls - 1, JSON.stringify(counts));
  });
});
