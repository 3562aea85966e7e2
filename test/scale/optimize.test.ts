/**
 * Distributed optimization: real DSPy optimizers (BootstrapFewShot, MIPROv2, GEPA) run in the
 * coordinator's Python pool, and every program run they ask Node for goes through the Redis
 * queue to two `dspex worker` processes. The workers call their own loopback LM, the
 * coordinator another one, so the test sees where each program run happened. The optimized
 * state and the LM accounting must equal a local run's.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Queue } from "bullmq";
import type { PythonPool } from "../../src/bridge/pool.js";
import type { LM } from "../../src/lm/types.js";
import { Example } from "../../src/modules/example.js";
import type { Module } from "../../src/modules/module.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { bootstrapFewShot, gepa, miproV2 } from "../../src/optimize/index.js";
import type { OptimizeReport } from "../../src/optimize/types.js";
import { configure } from "../../src/runtime/settings.js";
import { type RedisQueue, redisQueue } from "../../src/scale/queue.js";
import { hasRedisServer, type RedisServer, startRedis } from "../cache/redis-server.js";
import type { Loopback } from "../helpers/loopback-openai.js";
import { RuleLM, startOptimizerPool } from "../optimize/helpers.js";
import { PROGRAM, startLM, startWorkerProcess, type WorkerProcess } from "./helpers.js";

const available = hasRedisServer();
if (!available && process.env.CI) throw new Error("redis-server is missing on CI: .ci/run should install it");

/** q1..q8 without q7 (the program throws on questions ending in 7). */
const train = [1, 2, 3, 4, 5, 6, 8, 9].map((i) =>
  new Example({ question: `q${i}`, answer: `a${i}` }).withInputs("question"),
);

describe("optimizers with their program runs on dspex worker processes", {
  skip: available ? false : "redis-server is not installed",
}, () => {
  let redis: RedisServer;
  /** The coordinator's LM (local runs); the workers have their own. */
  let here: Loopback;
  let there: Loopback;
  let pool: PythonPool;
  let workers: WorkerProcess[] = [];
  let queue: RedisQueue;
  let inspect: Queue;
  let program: Module;
  let lm: LM;
  let metric: (e: Example, p: Prediction) => boolean;

  before(async () => {
    configure({ cache: false });
    redis = await startRedis();
    [here, there] = await Promise.all([startLM(5), startLM(5)]);
    process.env.DSPEX_TEST_LM_URL = here.url;
    const mod = (await import(PROGRAM)) as { default: Module; metric: typeof metric; lm: LM };
    program = mod.default;
    metric = mod.metric;
    lm = mod.lm;
    [pool, ...workers] = await Promise.all([
      startOptimizerPool(),
      startWorkerProcess({ redis: redis.url, lmURL: there.url, concurrency: 4 }),
      startWorkerProcess({ redis: redis.url, lmURL: there.url, concurrency: 4 }),
    ]);
    queue = redisQueue({ url: redis.url, sweepMs: 500 });
    inspect = new Queue("dspex", { connection: { url: redis.url }, prefix: "dspex" });
  });

  after(async () => {
    await inspect?.close();
    await queue?.close();
    await pool?.close();
    await Promise.all(workers.map((w) => w.stop()));
    await here?.close();
    await there?.close();
    await redis?.stop();
  });

  /**
   * Runs `optimize` locally, then through the queue; checks that the remote run's program runs
   * all happened on the workers (both of them) and that its report counts them as the local
   * run counts its own. Returns both reports.
   */
  async function localThenRemote(
    optimize: (extra: { queue?: RedisQueue; programFile?: string }) => Promise<{ report: OptimizeReport }>,
  ): Promise<{ local: OptimizeReport; remote: OptimizeReport }> {
    await inspect.obliterate({ force: true });
    there.requests.length = 0;
    const hereBefore = here.requests.length;
    const local = (await optimize({})).report;
    const localAsked = here.requests.length - hereBefore;
    assert.equal(there.requests.length, 0, "the local run asked only the coordinator's LM");

    const remote = (await optimize({ queue, programFile: PROGRAM })).report;
    assert.equal(here.requests.length - hereBefore, localAsked, "no program run of the remote run stayed here");
    // Identical runs (same state, inputs and LM config) run once on the workers; the repeats
    // reuse the stored result and count as cache hits, as they would with the LM cache on.
    const workerCalls = there.requests.length;
    assert.ok(workerCalls > 0 && workerCalls <= localAsked, `${workerCalls} of ${localAsked} calls on the workers`);
    const done = await inspect.getCompleted(0, -1);
    const ranOn = new Set(done.map((job) => job.processedBy));
    assert.ok(done.length > 0 && done.every((job) => job.name === "trace"), `${done.length} trace jobs`);
    assert.ok(ranOn.size >= 2, `both workers ran program runs: ${[...ranOn].join(", ")}`);
    // The coordinator's report counts the workers' calls, as a local run counts its own.
    assert.ok(local.lmCalls > 0);
    assert.equal(remote.lmCalls, local.lmCalls);
    const reused = localAsked - workerCalls;
    console.log(
      `# ${remote.optimizer}: ${done.length} trace jobs on ${ranOn.size} workers, ${workerCalls} LM calls there, ${reused} reused, lmCalls ${remote.lmCalls}`,
    );
    assert.equal(remote.usage.total.cachedCalls - local.usage.total.cachedCalls, reused);
    // Every loopback reply costs 15 tokens; a reused result costs none.
    assert.equal(remote.tokens.total, local.tokens.total - 15 * reused);
    assert.equal(remote.programCalls, local.programCalls);
    return { local, remote };
  }

  it("bootstrapFewShot: the local run's optimized state", async () => {
    const options = { lm, pool, metric, maxBootstrappedDemos: 3, maxLabeledDemos: 0 };
    const { local, remote } = await localThenRemote((extra) =>
      bootstrapFewShot(program, train.slice(0, 6), { ...options, ...extra }),
    );
    assert.deepEqual(remote.state, local.state);
    // q3 and q6 are answered wrong without demos, so the metric keeps q1, q2, q4.
    const demos = (remote.state as Record<string, { demos: { question: string }[] }>).predict!.demos;
    assert.deepEqual(
      demos.map((d) => d.question),
      ["q1", "q2", "q4"],
    );
  });

  it("miproV2 (tiny budget): the local run's trials, scores and optimized state", async () => {
    const options = {
      lm,
      pool,
      metric,
      promptModel: new RuleLM("prompt", { proposal: "Answer the question." }),
      auto: null,
      numCandidates: 2,
      numTrials: 3,
      maxBootstrappedDemos: 1,
      maxLabeledDemos: 1,
      minibatch: false,
      numThreads: 4,
      seed: 7,
    } as const;
    const { local, remote } = await localThenRemote((extra) =>
      miproV2(program, train, {
        ...options,
        promptModel: new RuleLM("prompt", { proposal: "Answer the question." }),
        ...extra,
      }),
    );
    assert.equal(remote.optimizer, "MIPROv2");
    assert.equal(remote.trials, local.trials);
    assert.ok(remote.trials >= 3, `${remote.trials} trials`);
    assert.deepEqual(remote.scores, local.scores);
    assert.deepEqual(remote.state, local.state);
    assert.deepEqual(remote.pythonLmCalls, local.pythonLmCalls);
    assert.ok((remote.pythonLmCalls.prompt ?? 0) > 0, "the proposer ran on the coordinator");
  });

  it("gepa (tiny budget): the local run's candidates and optimized state", async () => {
    const feedbackMetric = (ex: Example, pred: Prediction) => {
      const ok = ex.get("answer") === pred.get("answer");
      return { score: ok ? 1 : 0, feedback: ok ? "Correct." : `Wrong: the answer is ${String(ex.get("answer"))}.` };
    };
    const { local, remote } = await localThenRemote((extra) =>
      gepa(program, train, {
        lm,
        pool,
        metric: feedbackMetric,
        reflectionLm: new RuleLM("reflection", { proposal: "Answer with a, then the number." }),
        maxMetricCalls: 24,
        reflectionMinibatchSize: 2,
        numThreads: 4,
        seed: 3,
        ...extra,
      }),
    );
    assert.equal(remote.optimizer, "GEPA");
    assert.deepEqual(remote.scores, local.scores);
    assert.deepEqual(remote.state, local.state);
    assert.ok((remote.pythonLmCalls.reflection ?? 0) > 0, "the reflection LM ran on the coordinator");
  });
});
