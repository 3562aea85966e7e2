/**
 * What `dspex worker` processes share through Redis: the LM cache (single flight: the same
 * request from two workers at once reaches the LM once) and the per-provider rate limit.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Evaluate } from "../../src/evaluate/evaluate.js";
import type { LM } from "../../src/lm/types.js";
import { Example } from "../../src/modules/example.js";
import type { Module } from "../../src/modules/module.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { configure } from "../../src/runtime/settings.js";
import { type RedisQueue, redisQueue } from "../../src/scale/queue.js";
import { hasRedisServer, type RedisServer, startRedis } from "../cache/redis-server.js";
import type { Loopback } from "../helpers/loopback-openai.js";
import { PROGRAM, startLM, startWorkerProcess, type WorkerProcess } from "./helpers.js";

const available = hasRedisServer();
if (!available && process.env.CI) throw new Error("redis-server is missing on CI: .ci/run should install it");

describe("workers share the cache and the rate limit through Redis", {
  skip: available ? false : "redis-server is not installed",
}, () => {
  let redis: RedisServer;
  let lm: Loopback;
  let workers: WorkerProcess[] = [];
  let queue: RedisQueue;
  let program: Module;
  let metric: (e: Example, p: Prediction) => boolean;
  const arrivals: number[] = [];

  before(async () => {
    configure({ cache: false });
    redis = await startRedis();
    lm = await startLM(300, () => arrivals.push(Date.now()));
    process.env.DSPEX_TEST_LM_URL = lm.url;
    const mod = (await import(PROGRAM)) as { default: Module; metric: typeof metric; lm: LM };
    configure({ lm: mod.lm });
    program = mod.default;
    metric = mod.metric;
    workers = await Promise.all(
      [0, 1].map(() =>
        startWorkerProcess({
          redis: redis.url,
          lmURL: lm.url,
          concurrency: 4,
          cache: "redis",
          extra: ["--rpm", "300"],
        }),
      ),
    );
    queue = redisQueue({ url: redis.url, sweepMs: 500 });
  });

  after(async () => {
    await queue?.close();
    await Promise.all(workers.map((w) => w.stop()));
    await lm?.close();
    await redis?.stop();
  });

  it("sends each distinct request to the LM once, within the shared requests-per-minute budget", async () => {
    // Eight questions, each twice with different labels: different jobs, the same LM request,
    // run at the same moment on the two workers.
    const examples = Array.from({ length: 8 }, (_, i) => [
      new Example({ question: `q${i + 1}`, answer: `a${i + 1}` }).withInputs("question"),
      new Example({ question: `q${i + 1}`, answer: `other${i + 1}` }).withInputs("question"),
    ]).flat();
    const local = await new Evaluate({ devset: examples, metric }).run(program);
    const start = lm.requests.length;
    arrivals.length = 0;
    const remote = await new Evaluate({ devset: examples, metric, queue }).run(program, { programFile: PROGRAM });
    assert.deepEqual(
      remote.results.map((r) => [r.score, r.prediction.toDict(), r.error?.message]),
      local.results.map((r) => [r.score, r.prediction.toDict(), r.error?.message]),
    );
    assert.equal(remote.score, local.score);
    // q7 throws before any LM call: 7 distinct requests, each sent once although two workers
    // asked for each at the same time.
    assert.equal(lm.requests.length - start, 7);
    const asked = lm.requests.slice(start).map((r) =>
      JSON.stringify(r.body)
        .match(/q(\d+)/g)
        ?.at(-1),
    );
    assert.equal(new Set(asked).size, 7);
    // 300 rpm across both workers = 5 per second after a burst of 5: the 6th and 7th requests
    // waited for the budget (the 7 requests would otherwise all go at once).
    const sorted = arrivals.sort((a, b) => a - b);
    assert.equal(sorted.length, 7);
    assert.ok(sorted[5]! - sorted[0]! >= 180, `6th request at +${sorted[5]! - sorted[0]!} ms`);
    assert.ok(sorted[6]! - sorted[0]! >= 380, `7th request at +${sorted[6]! - sorted[0]!} ms`);
  });
});
