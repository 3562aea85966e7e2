/** Each of DSPy's other optimizers on a small real run against the two-predictor TS program. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PythonPool } from "../../src/bridge/pool.js";
import { UnsupportedError } from "../../src/errors.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { Example } from "../../src/modules/example.js";
import { Predict } from "../../src/modules/predict.js";
import { context } from "../../src/runtime/settings.js";
import {
  bootstrapFewShotWithRandomSearch,
  bootstrapFinetune,
  copro,
  ensemble,
  gepa,
  knnFewShot,
  labeledFewShot,
  simba,
} from "../../src/optimize/index.js";
import { closeSharedPools, sharedPool } from "../../src/bridge/shared-pools.js";
import { collectingLogger } from "../bridge/helpers.js";
import { CapitalQA, capitalExamples, heldOutScore, MAGIC, RuleLM, startOptimizerPool, metric } from "./helpers.js";

const train = capitalExamples(["France", "Italy", "Spain", "Germany"]);
const heldOut = capitalExamples(["Norway", "Sweden"]);

/** Letter counts: countries that share letters land near each other. */
const letters = {
  async embed(texts: string[]) {
    return texts.map((t) => {
      const v = new Float32Array(26);
      for (const ch of t.toLowerCase()) if (ch >= "a" && ch <= "z") v[ch.charCodeAt(0) - 97]! += 1;
      return v;
    });
  },
};

describe("the other DSPy optimizers on a TypeScript program", () => {
  let pool: PythonPool;
  before(async () => {
    pool = await startOptimizerPool();
  });
  after(() => pool.close());

  it("labeledFewShot: k trainset examples become every predictor's demos, with no LM at all", async () => {
    const { program, report } = await labeledFewShot(new CapitalQA(), train, { pool, k: 2, sample: false });
    assert.deepEqual(
      program.answer.predict.demos.map((d) => d.answer),
      ["Paris", "Rome"],
    );
    assert.equal(program.keywords.demos.length, 2);
    assert.equal(report.lmCalls, 0);
    assert.equal(report.programCalls, 0);
  });

  it("labeledFewShot takes plain records with inputKeys", async () => {
    const records = train.map((e) => e.toDict());
    const { program } = await labeledFewShot(new CapitalQA(), records, {
      pool,
      k: 1,
      sample: false,
      inputKeys: ["question"],
    });
    assert.equal(program.keywords.demos[0]!.question, "What is the capital of France?");
  });

  it("bootstrapFewShotWithRandomSearch: scores candidate demo sets and keeps the best", async () => {
    const lm = new RuleLM("task", { instructionsHelp: false });
    const { program, report } = await bootstrapFewShotWithRandomSearch(new CapitalQA(), train, {
      pool,
      lm,
      metric,
      maxBootstrappedDemos: 1,
      maxLabeledDemos: 1,
      numCandidatePrograms: 1,
      numThreads: 1,
    });
    assert.ok(report.scores.candidates && report.scores.candidates.length >= 3);
    assert.equal(report.scores.after, 100);
    assert.ok(report.evaluations >= 3);
    assert.equal(await heldOutScore(program, lm, heldOut), 100);
  });

  it("knnFewShot: the embedder runs in Node; each call bootstraps demos from the nearest examples", async () => {
    const lm = new RuleLM("task", { instructionsHelp: false });
    const seen: string[] = [];
    const embedder = {
      embed: async (texts: string[]) => {
        seen.push(...texts);
        return letters.embed(texts);
      },
    };
    const { program, report } = await knnFewShot(new CapitalQA(), train, {
      pool,
      lm,
      k: 2,
      embedder,
      metric,
      maxBootstrappedDemos: 1,
      maxLabeledDemos: 1,
    });
    try {
      assert.equal(seen.length, train.length, "the trainset is embedded once, at compile time");
      assert.ok(seen[0]!.includes("What is the capital of France?"));
      assert.equal(report.optimizer, "KNNFewShot");
      assert.deepEqual(
        program.namedPredictors().map(([n]) => n),
        ["keywords", "answer.predict"],
      );
      const before = lm.requests.length;
      const prediction = await context({ lm }, () => program.call({ question: "What is the capital of Norway?" }));
      assert.equal(prediction.answer, "Oslo");
      assert.equal(seen.length, train.length + 1, "the input is embedded in Node too");
      // The last LM call answered the question with bootstrapped demos in its prompt.
      const last = lm.requests.at(-1)!;
      assert.ok(last.messages.length > 2);
      assert.ok(lm.requests.length - before >= 2);
    } finally {
      program.close();
    }
  });

  it("copro: the prompt model's instructions replace the program's and the score rises", async () => {
    const lm = new RuleLM("task", { instructionsHelp: true });
    const promptModel = new RuleLM("prompt", { proposal: `You are a ${MAGIC}.` });
    const before = new CapitalQA();
    assert.equal(await heldOutScore(before, lm, heldOut), 0);
    const { program, report } = await copro(before, train, {
      pool,
      lm,
      promptModel,
      metric,
      breadth: 2,
      depth: 1,
      numThreads: 1,
    });
    assert.ok(program.answer.predict.signature.instructions.includes(MAGIC));
    assert.ok(report.pythonLmCalls.prompt! > 0);
    assert.equal(promptModel.requests.length, report.pythonLmCalls.prompt);
    assert.equal(await heldOutScore(program, lm, heldOut), 100);
  });

  it("simba: runs its mini-batch ascent and returns a program with demos or rules", async () => {
    const lm = new RuleLM("task", { instructionsHelp: false });
    const { program, report } = await simba(new CapitalQA(), train, {
      pool,
      lm,
      metric,
      bsize: 2,
      maxSteps: 1,
      numCandidates: 2,
      maxDemos: 1,
      numThreads: 1,
    });
    assert.equal(report.optimizer, "SIMBA");
    assert.ok(report.scores.candidates && report.scores.candidates.length > 0);
    assert.ok(report.programCalls > 0);
    assert.equal(report.lmCalls, lm.requests.length);
    const changed = program
      .namedPredictors()
      .some(
        ([, p]) =>
          (p as Predict).demos.length > 0 ||
          (p as Predict).signature.instructions !== new CapitalQA().keywords.signature.instructions,
      );
    assert.ok(changed || report.scores.after !== undefined);
  });

  it("gepa: a feedback metric and a Node reflection LM evolve the instructions", async () => {
    const lm = new RuleLM("task", { instructionsHelp: true });
    const reflectionLm = new RuleLM("reflection", { proposal: `You are a ${MAGIC}. Give the capital.` });
    const feedback: string[] = [];
    const { program, report } = await gepa(new CapitalQA(), train, {
      pool,
      lm,
      reflectionLm,
      maxMetricCalls: 24,
      reflectionMinibatchSize: 2,
      numThreads: 1,
      metric: (ex, pred, _trace, predName) => {
        const ok = ex.answer === pred.answer;
        if (predName !== undefined) feedback.push(predName);
        return { score: ok ? 1 : 0, feedback: ok ? "Correct." : `Wrong: the answer is ${String(ex.answer)}.` };
      },
    });
    assert.ok(reflectionLm.requests.length > 0, "the reflection LM in Node was asked");
    assert.equal(report.pythonLmCalls.reflection, reflectionLm.requests.length);
    const instructions = program.namedPredictors().map(([, p]) => (p as Predict).signature.instructions);
    assert.ok(
      instructions.some((i) => i.includes(MAGIC)),
      JSON.stringify(instructions),
    );
    assert.equal(report.scores.before, 0);
    assert.equal(report.scores.after, 1);
    assert.ok(feedback.length > 0, "GEPA asked for per-predictor feedback");
  });

  it("ensemble: DSPy runs the TS programs and majority-votes their answers", async () => {
    const programs = ["Paris", "Rome", "Paris"].map((answer) => {
      const p = new Predict("question -> answer");
      p.lm = new ScriptedLM({ capital: { answer } });
      return p;
    });
    const { program, report } = await ensemble(programs, { pool });
    try {
      assert.equal(report.optimizer, "Ensemble");
      const prediction = await program.call({ question: "What is the capital of France?" });
      assert.equal(prediction.answer, "Paris");
      assert.equal(program.namedPredictors().length, 3);
    } finally {
      program.close();
    }
  });

  it("without { pool } it runs in the shared optimizers pool, started with the optimizer tools", async () => {
    try {
      const { report } = await labeledFewShot(new CapitalQA(), train, { k: 1 });
      assert.equal(report.optimizer, "LabeledFewShot");
      assert.equal((await sharedPool("optimizers")).name, "optimizers");
    } finally {
      await closeSharedPools();
    }
  });

  it("bootstrapFinetune throws UnsupportedError naming what it needs, before touching Python", async () => {
    const closed = await PythonPool.start({ size: 1, importDspy: false, logger: collectingLogger() });
    await closed.close();
    await assert.rejects(
      bootstrapFinetune(new CapitalQA(), [new Example({ question: "q", answer: "a" })], {
        pool: closed,
        lm: new RuleLM(),
      }),
      (e: unknown) =>
        e instanceof UnsupportedError && /fine-tun/.test(e.message) && /Provider\.finetune/.test(e.fix ?? ""),
    );
  });
});
