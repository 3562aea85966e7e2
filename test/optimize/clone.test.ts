/** cloneProgram: the copies optimizer runs use to try states concurrently. No Python needed. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { Module } from "../../src/modules/module.js";
import { Predict } from "../../src/modules/predict.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { cloneProgram } from "../../src/optimize/clone.js";
import { CapitalQA } from "./helpers.js";

class Steps extends Module<{ a: string }> {
  readonly steps = [new Predict("a -> b"), new Predict("b -> c")];
  readonly byName = { first: this.steps[0]! };
  readonly tool = { name: "shared", calls: 0 };
  async forward(inputs: { a: string }): Promise<Prediction> {
    return this.steps[0]!.call(inputs);
  }
}

describe("cloneProgram", () => {
  it("copies every predictor, with its own demos, and keeps the predictor names", () => {
    const program = new CapitalQA();
    program.keywords.demos = [{ question: "q", keywords: "k" }];
    const copy = cloneProgram(program);
    assert.ok(copy instanceof CapitalQA);
    assert.notEqual(copy.keywords, program.keywords);
    assert.notEqual(copy.answer.predict, program.answer.predict);
    assert.deepEqual(copy.dumpState(), program.dumpState());
    copy.keywords.demos.push({ question: "q2", keywords: "k2" });
    copy.loadState({ ...copy.dumpState() });
    assert.equal(program.keywords.demos.length, 1);
  });

  it("copies predictors in arrays and records once (shared references stay shared) and shares the rest", () => {
    const program = new Steps();
    const lm = new ScriptedLM([]);
    program.steps[1]!.lm = lm;
    const copy = cloneProgram(program);
    assert.equal(copy.byName.first, copy.steps[0], "one predictor reached two ways is copied once");
    assert.notEqual(copy.steps[0], program.steps[0]);
    assert.equal(copy.steps[1]!.lm, lm, "LMs are shared, not copied");
    assert.notEqual(copy.tool, program.tool, "plain records are copied");
    assert.deepEqual(
      copy.namedPredictors().map(([n]) => n),
      ["steps[0]", "steps[1]"],
    );
  });

  it("uses a factory when given one, loading the program's state into the fresh instance", () => {
    const program = new CapitalQA();
    program.answer.predict.demos = [{ question: "q", answer: "a" }];
    let made = 0;
    const copy = cloneProgram(program, () => {
      made++;
      return new CapitalQA();
    });
    assert.equal(made, 1);
    assert.deepEqual(copy.answer.predict.demos, [{ question: "q", answer: "a" }]);
  });
});
