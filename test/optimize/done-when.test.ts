/**
 * The "done when": a two-predictor TypeScript program optimized by real DSPy
 * (BootstrapFewShot and MIPROv2 light) in a worker. The LM answers right only with demos in
 * the prompt or "capital-city expert" in the instructions, so the held-out score rises only
 * if optimized demos and instructions reach the TS program. Every LM call goes through Node.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PythonPool } from "../../src/bridge/pool.js";
import { LMHistory } from "../../src/lm/history.js";
import { UsageTracker } from "../../src/lm/usage.js";
import { Predict } from "../../src/modules/predict.js";
import { context } from "../../src/runtime/settings.js";
import { bootstrapFewShot, miproV2, type OptimizeProgress } from "../../src/optimize/index.js";
import { CapitalQA, capitalExamples, heldOutScore, MAGIC, RuleLM, startOptimizerPool, metric } from "./helpers.js";

const train = capitalExamples(["France", "Italy", "Spain", "Germany", "Portugal"]);
const heldOut = capitalExamples(["Norway", "Sweden", "Poland"]);

describe("optimizing a two-predictor TypeScript program with real DSPy", () => {
  let pool: PythonPool;
  before(async () => {
    pool = await startOptimizerPool();
  });
  after(() => pool.close());

  it("bootstrapFewShot: bootstrapped demos land in both TS predictors and the held-out score rises", async () => {
    const lm = new RuleLM("task", { instructionsHelp: false });
    const program = new CapitalQA();
    const beforeScore = await heldOutScore(program, lm, heldOut);
    const callsBefore = lm.requests.length;
    const usage = new UsageTracker();
    const history = new LMHistory(1000);
    const events: OptimizeProgress[] = [];

    const { program: optimized, report } = await context({ usage, history }, () =>
      bootstrapFewShot(program, train, {
        lm,
        pool,
        metric,
        maxBootstrappedDemos: 2,
        maxLabeledDemos: 2,
        onProgress: (p) => events.push(p),
      }),
    );

    // Demos: each predictor got the bootstrapped traces, inputs and outputs of its own calls.
    const keywordDemos = optimized.keywords.demos;
    const answerDemos = optimized.answer.predict.demos;
    assert.equal(keywordDemos.length, 2);
    assert.equal(answerDemos.length, 2);
    assert.deepEqual(Object.keys(keywordDemos[0]!).sort(), ["augmented", "keywords", "question"]);
    assert.equal(answerDemos[0]!.answer, "Paris");
    assert.equal(answerDemos[0]!.keywords, "capital, France");
    assert.equal(answerDemos[0]!.augmented, true);
    assert.deepEqual(report.state, optimized.dumpState());
    assert.equal(program.keywords.demos.length, 0, "the caller's program is left as it was");

    assert.equal(beforeScore, 0);
    assert.equal(await heldOutScore(optimized, lm, heldOut), 100);

    // Every LM call of the run happened in Node and was counted there.
    const runCalls = lm.requests.length - callsBefore - heldOut.length * 2;
    assert.ok(runCalls > 0);
    assert.equal(report.lmCalls, runCalls);
    assert.equal(report.tokens.total, runCalls * 15);
    assert.equal(report.programCalls * 2, runCalls, "two LM calls per program run");
    assert.equal(usage.total.calls, runCalls, "merged into the caller's usage tracker");
    assert.equal(history.size, runCalls);
    assert.deepEqual(report.pythonLmCalls, {});
    assert.equal(report.optimizer, "BootstrapFewShot");
    assert.ok(events.some((e) => /BootstrapFewShot: finished/.test(e.message)));
  });

  it("[slow] miproV2 light: proposed instructions and demos land in the TS program; prompt-model calls are counted in Node", async () => {
    const lm = new RuleLM("task", { instructionsHelp: true });
    const promptModel = new RuleLM("prompt", { proposal: `You are a ${MAGIC}. Name the capital.` });
    const program = new CapitalQA();
    const beforeScore = await heldOutScore(program, lm, heldOut);
    const callsBefore = lm.requests.length;
    const events: OptimizeProgress[] = [];

    const { program: optimized, report } = await miproV2(program, train, {
      lm,
      promptModel,
      pool,
      metric,
      auto: "light",
      maxBootstrappedDemos: 1,
      maxLabeledDemos: 1,
      numThreads: 1,
      onProgress: (p) => events.push(p),
    });

    const instructions = optimized.namedPredictors().map(([, p]) => (p as Predict).signature.instructions);
    assert.ok(
      instructions.some((i) => i.includes(MAGIC)),
      `a proposed instruction is in the program: ${JSON.stringify(instructions)}`,
    );
    const demos = optimized.namedPredictors().reduce((n, [, p]) => n + (p as Predict).demos.length, 0);
    assert.ok(demos > 0 || instructions.every((i) => i.includes(MAGIC)), "demos or instructions carry the win");
    assert.ok(optimized.namedPredictors().every(([, p]) => p instanceof Predict));

    assert.equal(beforeScore, 0);
    assert.equal(await heldOutScore(optimized, lm, heldOut), 100);
    assert.equal(report.scores.before, 0);
    assert.equal(report.scores.after, 100);

    // Task-model calls: the TS program's runs; prompt-model calls: DSPy's proposer, served by Node.
    const taskCalls = lm.requests.length - callsBefore - heldOut.length * 2;
    assert.equal(taskCalls, report.programCalls * 2);
    assert.ok(report.pythonLmCalls.prompt! > 0);
    assert.deepEqual(report.pythonLmCallsServed, report.pythonLmCalls);
    assert.equal(promptModel.requests.length, report.pythonLmCalls.prompt);
    assert.equal(report.lmCalls, taskCalls + promptModel.requests.length);

    // Progress: MIPRO's trial numbering with the best score so far.
    assert.ok(events.some((e) => e.total !== undefined && e.total >= e.trial && e.trial > 0));
    assert.equal(events.at(-1)!.bestScore, 100);
    assert.ok(report.trials >= 10);
  });
});
