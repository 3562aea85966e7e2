/** Failures and cancellation of optimizer runs, with real workers. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CallAbortedError, PythonError } from "../../src/bridge/errors.js";
import type { PythonPool } from "../../src/bridge/pool.js";
import { ConfigurationError } from "../../src/errors.js";
import { bootstrapFewShotWithRandomSearch, labeledFewShot, miproV2 } from "../../src/optimize/index.js";
import { sleep } from "../bridge/helpers.js";
import { CapitalQA, capitalExamples, RuleLM, startOptimizerPool, metric } from "./helpers.js";

const train = capitalExamples(["France", "Italy", "Spain", "Germany"]);

describe("optimizer errors and cancellation", () => {
  let pool: PythonPool;
  before(async () => {
    pool = await startOptimizerPool();
  });
  after(() => pool.close());

  it("a Python optimizer's exception arrives as a PythonError with its type and traceback", async () => {
    await assert.rejects(
      // DSPy refuses num_trials together with auto.
      miproV2(new CapitalQA(), train, { pool, lm: new RuleLM(), metric, auto: "light", numTrials: 3 }),
      (e: unknown) =>
        e instanceof PythonError &&
        e.pythonType === "ValueError" &&
        /num_trials cannot be set/.test(e.pythonMessage) &&
        /mipro_optimizer_v2\.py/.test(e.traceback) &&
        /Traceback \(most recent call last\)/.test(e.traceback),
    );
  });

  it("a trainset without input keys is refused in Node, before Python", async () => {
    await assert.rejects(
      labeledFewShot(new CapitalQA(), [{ question: "q", answer: "a" }], { pool }),
      (e: unknown) => e instanceof ConfigurationError && /input keys/.test(e.message),
    );
  });

  async function cancelledRun(): Promise<RuleLM> {
    const lm = new RuleLM("task", { instructionsHelp: false, latencyMs: 20 });
    const controller = new AbortController();
    const run = bootstrapFewShotWithRandomSearch(new CapitalQA(), train, {
      pool,
      lm,
      metric,
      numCandidatePrograms: 16,
      numThreads: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.trial >= 1) controller.abort();
      },
    });
    await assert.rejects(run, (e: unknown) => e instanceof CallAbortedError);
    return lm;
  }

  it("an AbortSignal cancels the run and stops the Python side", async () => {
    const lm = await cancelledRun();
    const calls = lm.requests.length;
    await sleep(500);
    assert.ok(lm.requests.length <= calls + 1, "no LM calls after the cancel (one may have been in flight)");
    // The pool serves the next run.
    const { report } = await labeledFewShot(new CapitalQA(), train, { pool, k: 1 });
    assert.equal(report.optimizer, "LabeledFewShot");
  });

  it("the worker survives a cancelled run", async () => {
    const pid = pool.stats().workers[0]!.pid;
    await cancelledRun();
    await sleep(300);
    assert.equal(pool.stats().workers[0]?.pid, pid);
  });
});
