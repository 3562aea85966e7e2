/**
 * Datasets checked in Node before an optimizer reaches Python: an empty trainset or valset is a
 * typed error, and examples lacking the label a metric reads are named in a warning.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PythonPool } from "../../src/bridge/pool.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import { Example } from "../../src/modules/example.js";
import { Predict } from "../../src/modules/predict.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { bootstrapFewShot } from "../../src/optimize/bootstrap-few-shot.js";
import { miproV2 } from "../../src/optimize/mipro-v2.js";
import { EmptyDatasetError, exampleRecords, warnMissingLabels } from "../../src/optimize/structure.js";

/** A tripwire: any use of the pool fails the test with a message saying Python was reached. */
const untouchablePool = new Proxy(
  {},
  {
    get(_target, key) {
      throw new Error(`Python was reached (pool.${String(key)})`);
    },
  },
) as PythonPool;

const metric = (ex: Example, pred: Prediction) => ex.answer === pred.answer;

describe("datasets checked before Python", () => {
  it("an empty trainset is an EmptyDatasetError, and no worker is asked", async () => {
    await assert.rejects(
      bootstrapFewShot(new Predict("question -> answer"), [], {
        metric,
        lm: new ScriptedLM([]),
        pool: untouchablePool,
      }),
      (e: unknown) => e instanceof EmptyDatasetError && /The trainset is empty/.test(e.message),
    );
  });

  it("an empty valset too", async () => {
    const trainset = [new Example({ question: "q", answer: "a" }).withInputs("question")];
    await assert.rejects(
      miproV2(new Predict("question -> answer"), trainset, {
        metric,
        valset: [],
        lm: new ScriptedLM([]),
        pool: untouchablePool,
      }),
      (e: unknown) => e instanceof EmptyDatasetError && /The valset is empty/.test(e.message),
    );
  });

  it("examples without labels are named by index", () => {
    const program = new ChainOfThought("question -> answer");
    const data = [
      new Example({ question: "q0", answer: "a" }).withInputs("question"),
      new Example({ question: "q1" }).withInputs("question"),
      new Example({ question: "q2", answer: "b" }).withInputs("question"),
      new Example({ question: "q3", answer: undefined }).withInputs("question"),
    ];
    const warnings: string[] = [];
    warnMissingLabels(program, exampleRecords(data, undefined), "trainset", (m) => warnings.push(m));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /trainset: 2 examples have no label, only inputs \(indices 1, 3\)/);
    assert.match(warnings[0]!, /a metric comparing against "reasoning", "answer" will score them 0/);
  });

  it("an example lacking one label the others carry is named, and a complete set gives no warning", () => {
    const program = new Predict("question -> answer, confidence: float");
    const records = exampleRecords(
      [
        { question: "q0", answer: "a", confidence: 1 },
        { question: "q1", answer: "b" },
      ],
      ["question"],
    );
    const warnings: string[] = [];
    warnMissingLabels(program, records, "trainset", (m) => warnings.push(m));
    assert.deepEqual(warnings.length, 1);
    assert.match(warnings[0]!, /1 example lacks the label "confidence" that the others carry \(indices 1\)/);

    const none: string[] = [];
    warnMissingLabels(
      program,
      exampleRecords([{ question: "q", answer: "a", confidence: 0 }], ["question"]),
      "trainset",
      (m) => none.push(m),
    );
    assert.deepEqual(none, []);
  });

  it("the warning reaches the console when an optimizer is run with a metric", async () => {
    const original = console.warn;
    const seen: string[] = [];
    console.warn = (m: string) => seen.push(m);
    try {
      await assert.rejects(
        bootstrapFewShot(new Predict("question -> answer"), [{ question: "q" }], {
          metric,
          inputKeys: ["question"],
          lm: new ScriptedLM([]),
          pool: untouchablePool,
        }),
        /Python was reached/,
      );
    } finally {
      console.warn = original;
    }
    assert.ok(
      seen.some((m) => /trainset: 1 example has no label, only inputs \(indices 0\)/.test(m)),
      seen.join("\n"),
    );
  });
});
