/**
 * SemanticF1 and CompleteAndGrounded against DSPy 3.4.1: the judge signatures, the exact prompts
 * sent to the LM, and the scores computed from the judge's answers (ScriptedLM here, DummyLM there).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ChatAdapter } from "../../src/adapters/chat.js";
import {
  AnswerCompleteness,
  AnswerGroundedness,
  CompleteAndGrounded,
  DecompositionalSemanticRecallPrecision,
  Evaluate,
  judgedF1,
  SemanticF1,
  SemanticRecallPrecision,
} from "../../src/evaluate/index.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import { Example } from "../../src/modules/example.js";
import { Module } from "../../src/modules/module.js";
import { Prediction } from "../../src/modules/prediction.js";
import { context } from "../../src/runtime/settings.js";
import type { Signature } from "../../src/signature/signature.js";

interface Case {
  fn: string;
  args: unknown[];
  result?: unknown;
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/metrics.json", import.meta.url), "utf8")) as {
  cases: Case[];
};
const cases = (fn: string) => fixture.cases.filter((c) => c.fn === fn);

const SIGNATURES: Record<string, Signature> = {
  SemanticRecallPrecision,
  DecompositionalSemanticRecallPrecision,
  AnswerCompleteness,
  AnswerGroundedness,
};

const SAMPLE: Record<string, string> = {
  question: "What is the capital of France?",
  ground_truth: "Paris is the capital of France.",
  system_response: "The capital is Paris.",
  retrieved_context: "Paris is the capital and largest city of France.",
};

describe("judge signatures match DSPy", () => {
  for (const c of cases("judge_signature")) {
    const name = c.args[0] as string;
    it(name, () => {
      const expected = c.result as {
        instructions: string;
        fields: { name: string; kind: string; prefix: string; description: string; type: string }[];
        messages: unknown;
      };
      const extended = (new ChainOfThought(SIGNATURES[name]!).predict as { signature: Signature }).signature;
      assert.equal(extended.instructions, expected.instructions);
      const fields = [...extended.inputFields, ...extended.outputFields].map((f) => ({
        name: f.name,
        kind: f.kind,
        prefix: f.prefix,
        description: f.description,
        type: f.typeName,
      }));
      assert.deepEqual(fields, expected.fields);
      const inputs = Object.fromEntries(extended.inputFields.map((f) => [f.name, SAMPLE[f.name]]));
      assert.deepEqual(new ChatAdapter().format(extended, [], inputs), expected.messages);
    });
  }
});

describe("judged scores match DSPy", () => {
  it("clamped F1 of the judge's fractions", () => {
    const all = cases("auto_f1_score");
    assert.ok(all.length >= 5);
    for (const c of all) assert.equal(judgedF1(c.args[0] as number, c.args[1] as number), c.result, JSON.stringify(c));
    assert.equal(judgedF1(Number.NaN, 0.5), judgedF1(1, 0.5), "Python's min/max keep the first argument for NaN");
  });

  for (const fn of ["SemanticF1", "CompleteAndGrounded"]) {
    for (const c of cases(fn)) {
      const [example, prediction, opts, answers] = c.args as [
        Record<string, unknown>,
        Record<string, unknown>,
        { decompositional?: boolean; trace: boolean },
        Record<string, string>[],
      ];
      const title = `${fn} ${JSON.stringify(answers.map((a) => [a.recall ?? a.completeness, a.precision ?? a.groundedness]))} trace=${opts.trace}${opts.decompositional ? " decompositional" : ""}`;
      it(title, async () => {
        const expected = c.result as { score: number | boolean; messages: unknown[] };
        const lm = new ScriptedLM(answers);
        const metric =
          fn === "SemanticF1"
            ? new SemanticF1({ decompositional: opts.decompositional ?? false })
            : new CompleteAndGrounded();
        const out = await context({ lm, cache: false }, () =>
          metric.score(new Example(example), new Prediction(prediction), opts.trace ? [] : undefined),
        );
        assert.ok(out instanceof Prediction);
        assert.deepStrictEqual(out.score, expected.score);
        assert.deepEqual(
          lm.requests.map((r) => r.messages),
          expected.messages,
        );
      });
    }
  }
});

describe("LM-judged metrics inside Evaluate", () => {
  class Echo extends Module {
    async forward(inputs: Record<string, unknown>): Promise<Prediction> {
      return new Prediction({ response: `About: ${String(inputs.question)}`, context: "ctx" });
    }
  }

  it("SemanticF1 is a metric module: its Prediction score is averaged and its predictor is named like DSPy's", async () => {
    const metric = new SemanticF1();
    assert.deepEqual(
      metric.namedPredictors().map(([n]) => n),
      ["module.predict"],
    );
    assert.deepEqual(
      new CompleteAndGrounded().namedPredictors().map(([n]) => n),
      ["completeness_module.predict", "groundedness_module.predict"],
    );
    const devset = [0, 1, 2].map((i) => new Example({ question: `q${i}`, response: `r${i}` }).withInputs("question"));
    const lm = new ScriptedLM({
      q0: { reasoning: "r", recall: 1, precision: 1 },
      q1: { reasoning: "r", recall: 0.5, precision: 0.5 },
      q2: { reasoning: "r", recall: 0, precision: 0 },
    });
    const result = await context({ lm, cache: false }, () =>
      new Evaluate({ devset, metric, concurrency: 2 }).run(new Echo()),
    );
    assert.deepEqual(
      result.results.map((r) => r.score),
      [1, 0.5, 0],
    );
    assert.equal(result.score, 50);
    assert.equal(result.metricName, "SemanticF1");
    assert.ok(result.results[0]!.metricOutput instanceof Prediction);
  });
});
