/**
 * Every module kind inside one TypeScript program, optimized by real DSPy optimizers in a worker:
 * Predict, ChainOfThought, BestOfN, Refine, Parallel, ReAct, MultiChainComparison and
 * ProgramOfThought (the last three run DSPy's own modules in a second pool). Each optimizer run
 * copies the program many times, so this is where copies of every kind are exercised. The LM
 * answers the capital question right only with demos in the prompt (bootstrap) or the magic
 * instructions (MIPROv2), so the held-out score rises only if the optimized state reached the
 * copies and came back into the TS program.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PythonPool } from "../../src/bridge/pool.js";
import { BestOfN } from "../../src/modules/best-of-n.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import type { Fields } from "../../src/modules/example.js";
import { Module } from "../../src/modules/module.js";
import { Parallel } from "../../src/modules/parallel.js";
import { Predict } from "../../src/modules/predict.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { MultiChainComparison } from "../../src/modules/python/multi-chain-comparison.js";
import { ProgramOfThought } from "../../src/modules/python/program-of-thought.js";
import { ReAct } from "../../src/modules/python/react.js";
import { Refine } from "../../src/modules/refine.js";
import { bootstrapFewShot, miproV2 } from "../../src/optimize/index.js";
import { collectingLogger } from "../bridge/helpers.js";
import { CAPITALS, capitalExamples, heldOutScore, MAGIC, metric, RuleLM, startOptimizerPool } from "./helpers.js";

const train = capitalExamples(["France", "Italy", "Spain", "Germany"]);
const heldOut = capitalExamples(["Norway", "Sweden"]);

const UNKNOWN = "I do not know";
const CODE = "```python\nprint('ok')\n```";

class EveryModule extends Module {
  readonly keywords = new Predict("question -> keywords");
  readonly answer = new ChainOfThought("question, keywords -> answer");
  readonly best: BestOfN;
  readonly refine: Refine;
  readonly parallel = new Parallel({ numThreads: 2 });
  readonly checks = [new Predict("question -> answer"), new Predict("question -> answer")];
  readonly react: ReAct;
  readonly compare: MultiChainComparison;
  readonly code: ProgramOfThought;
  /** Calls per module kind, counted across every copy the optimizers make (a class instance: shared). */
  readonly seen: Counts;

  constructor(pool: PythonPool, seen = new Counts()) {
    super();
    this.seen = seen;
    const reward = (_: Fields, p: Prediction): number => (typeof p.answer === "string" ? 1 : 0);
    this.best = new BestOfN(new Predict("question -> answer"), { N: 2, rewardFn: reward, threshold: 1 });
    this.refine = new Refine(new ChainOfThought("question -> answer"), { N: 2, rewardFn: reward, threshold: 1 });
    this.react = new ReAct("question -> answer", {
      pool,
      maxIters: 1,
      tools: [
        {
          name: "lookup",
          description: "Capital of a country",
          parameters: { type: "object", properties: {} },
          fn: () => {
            this.count("tool");
            return "no data";
          },
        },
      ],
    });
    this.compare = new MultiChainComparison("question -> answer", { pool, m: 2 });
    this.code = new ProgramOfThought("question -> answer", { pool, maxIters: 1 });
  }

  private count(kind: string): void {
    this.seen.add(kind);
  }

  async forward(inputs: Fields): Promise<Prediction> {
    const question = String(inputs.question);
    const { keywords } = await this.keywords.call({ question });
    const best = await this.best.call({ question });
    const refined = await this.refine.call({ question });
    const checked = await this.parallel.call(this.checks.map((c) => [c, { question }] as const));
    this.count(checked.length === 2 ? "parallel" : "parallel-short");
    const acted = await this.react.call({ question });
    const compared = await this.compare.call({
      question,
      completions: [refined, { reasoning: "r", answer: best.answer }],
    });
    const computed = await this.code.call({ question });
    this.count("program");
    const final = await this.answer.call({ question, keywords });
    // Any module that knew the answer gives it, so a state that helps any predictor shows in the score.
    const known = [final, best, refined, ...(checked as Prediction[]), acted, compared, computed].find(
      (p) => p.answer !== UNKNOWN,
    );
    return known ?? final;
  }
}

class Counts {
  readonly byKind: Record<string, number> = {};
  add(kind: string): void {
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
  }
}

const lmFields = { generated_code: CODE };

describe("optimizing a program with one module of each kind", () => {
  let optimizers: PythonPool;
  let modules: PythonPool;
  before(async () => {
    [optimizers, modules] = await Promise.all([
      startOptimizerPool(),
      PythonPool.start({
        name: "every-module",
        size: 1,
        concurrency: 4,
        modules: ["dspex_worker.modules_python"],
        logger: collectingLogger(),
        // No per-call deadline, as the optimizer pool: each ProgramOfThought call starts DSPy's
        // Deno/Pyodide sandbox afresh, which takes tens of seconds on a loaded 2-core host.
        timeoutMs: 0,
      }),
    ]);
  });
  after(async () => {
    await Promise.all([optimizers.close(), modules.close()]);
  });

  it("bootstrapFewShot: every predictor of every kind gets demos and the held-out score rises", async () => {
    const lm = new RuleLM("task", { instructionsHelp: false, fields: lmFields });
    const counts = new Counts();
    const seen = counts.byKind;
    const program = new EveryModule(modules, counts);
    assert.equal(await heldOutScore(program, lm, heldOut), 0);
    const names = program.namedPredictors().map(([n]) => n);
    // The Python-backed modules' predictors are known once the worker described them.
    for (const expected of ["keywords", "answer.predict", "best.module", "refine.module.predict", "checks[0]"]) {
      assert.ok(names.includes(expected), `${expected} in ${names.join(", ")}`);
    }
    assert.ok(names.some((n) => n.startsWith("react.")));
    assert.ok(names.some((n) => n.startsWith("compare.")));
    assert.ok(names.some((n) => n.startsWith("code.")));
    const runsBefore = seen.program ?? 0;

    const { program: optimized, report } = await bootstrapFewShot(program, train, {
      lm,
      pool: optimizers,
      metric,
      // The teacher answers right with its labeled demo; the student keeps the bootstrapped one.
      maxBootstrappedDemos: 1,
      maxLabeledDemos: 1,
    });

    assert.ok((seen.program ?? 0) > runsBefore, "the program ran during the optimization");
    assert.equal(seen["parallel-short"], undefined);
    assert.ok((seen.tool ?? 0) > 0, "ReAct's TypeScript tool ran from Python");
    const state = optimized.dumpState();
    assert.deepEqual(Object.keys(state).sort(), [...names].sort());
    for (const [name, entry] of Object.entries(state)) {
      const demos = (entry as { demos: unknown[] }).demos;
      assert.equal(demos.length, 1, `${name} got its bootstrapped demo`);
      // ProgramOfThought's code_regenerate runs only after failing code, so it keeps a labeled demo.
      if (name !== "code.code_regenerate.predict") {
        assert.equal((demos[0] as Fields).augmented, true, `${name}'s demo was bootstrapped from its own trace`);
      }
    }
    assert.equal((state["answer.predict"] as { demos: Fields[] }).demos[0]!.answer, CAPITALS.France);
    assert.equal(program.keywords.demos.length, 0, "the caller's program is left as it was");
    assert.equal(await heldOutScore(optimized, lm, heldOut), 100);
    assert.equal(report.optimizer, "BootstrapFewShot");
  });

  it("[slow] miproV2: proposed instructions reach the copies of every kind and the score rises", async () => {
    const lm = new RuleLM("task", { instructionsHelp: true, fields: lmFields });
    const promptModel = new RuleLM("prompt", { proposal: `You are a ${MAGIC}. Name the capital.` });
    const program = new EveryModule(modules);
    assert.equal(await heldOutScore(program, lm, heldOut.slice(0, 1)), 0);

    const { program: optimized, report } = await miproV2(program, train, {
      lm,
      promptModel,
      pool: optimizers,
      metric,
      auto: null,
      numCandidates: 2,
      numTrials: 2,
      maxBootstrappedDemos: 0,
      maxLabeledDemos: 0,
      minibatch: false,
      dataAwareProposer: false,
      tipAwareProposer: false,
      fewshotAwareProposer: false,
      // Small on purpose: each ProgramOfThought call starts DSPy's Deno/Pyodide sandbox afresh.
      valset: train.slice(0, 2),
    });

    assert.equal(report.optimizer, "MIPROv2");
    const state = optimized.dumpState();
    assert.deepEqual(
      Object.keys(state).sort(),
      program
        .namedPredictors()
        .map(([n]) => n)
        .sort(),
    );
    const instructed = Object.entries(state)
      .filter(([, entry]) => (entry as { signature: { instructions: string } }).signature.instructions.includes(MAGIC))
      .map(([name]) => name);
    assert.ok(instructed.length > 0, "the proposed instruction was kept for some predictor");
    assert.equal(await heldOutScore(optimized, lm, heldOut.slice(0, 1)), 100);
  });
});
