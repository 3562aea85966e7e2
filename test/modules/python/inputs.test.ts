/**
 * Inputs to Python-backed modules follow native Predict's rule (modules/inputs.ts), and values the bridge cannot
 * carry fail that call with a typed error. Before: a missing input reached DSPy (which sent the
 * LM a prompt without it), null gave an untyped error, circular and 5,000-deep inputs a raw
 * RangeError, and a lone surrogate in an input killed the worker (seven calls in flight all
 * ended in PoolFailedError).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BridgeValueError, PythonError, PythonPool } from "../../../src/bridge/index.js";
import { ScriptedLM } from "../../../src/lm/providers/scripted.js";
import { InputError } from "../../../src/modules/errors.js";
import { PythonPredict } from "../../../src/modules/python/predict.js";
import type { Fields } from "../../../src/modules/example.js";
import { context } from "../../../src/runtime/settings.js";
import { collectingLogger, workerPids } from "../../bridge/helpers.js";

describe("inputs of Python-backed modules", () => {
  let pool: PythonPool;
  before(async () => {
    pool = await PythonPool.start({
      name: "py-inputs",
      size: 1,
      modules: ["dspex_worker.modules_python"],
      logger: collectingLogger(),
    });
  });
  after(() => pool.close());

  it("a missing input follows native Predict's rule: DSPy's warning by default, an InputError under strictInputs", async () => {
    const predict = new PythonPredict("question, context -> answer", { pool });
    const warnings: string[] = [];
    const lenient = new ScriptedLM([{ answer: "fine" }]);
    const pred = await context({ lm: lenient, warn: (m) => warnings.push(m) }, () => predict.call({ question: "q" }));
    assert.equal(pred.answer, "fine");
    assert.deepEqual(warnings, [
      "Not all input fields were provided to module. Present: ['question']. Missing: ['context'].",
    ]);
    const lm = new ScriptedLM([{ answer: "never" }]);
    await assert.rejects(
      context({ lm, strictInputs: true }, () => predict.call({ question: "q" })),
      (e: unknown) => e instanceof InputError && /Missing input field context/.test(e.message),
    );
    await assert.rejects(
      context({ lm }, () => predict.call(null as unknown as Fields)),
      InputError,
    );
    assert.equal(lm.requests.length, 0);
    const optional = new PythonPredict("question, hint: Optional[str] -> answer", { pool });
    const ok = await context({ lm: new ScriptedLM([{ answer: "fine" }]) }, () => optional.call({ question: "q" }));
    assert.equal(ok.answer, "fine");
  });

  it("circular, 5,000-deep, Symbol and oversized BigInt inputs give BridgeValueError; the worker lives", async () => {
    const [pid] = workerPids(pool);
    const predict = new PythonPredict("question -> answer", { pool });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    let deep: unknown = "x";
    for (let i = 0; i < 5000; i++) deep = [deep];
    const lm = new ScriptedLM([]);
    for (const question of [circular, deep, Symbol("s"), 2n ** 80n]) {
      await assert.rejects(
        context({ lm }, () => predict.call({ question })),
        BridgeValueError,
      );
    }
    assert.equal(lm.requests.length, 0);
    assert.deepEqual(workerPids(pool), [pid]);
  });

  it("a lone surrogate in an input reaches DSPy intact, which refuses it as DSPy does; the worker lives", async () => {
    const [pid] = workerPids(pool);
    const predict = new PythonPredict("question -> answer", { pool });
    const lm = new ScriptedLM([]);
    const results = await context({ lm }, () =>
      Promise.allSettled(Array.from({ length: 7 }, (_, i) => predict.call({ question: `half an emoji ${i} \uD83D` }))),
    );
    // DSPy 3.4.1's own check (dspy/clients/execution.py) names the code point: it got the string unchanged.
    for (const r of results) {
      assert.equal(r.status, "rejected");
      const e = (r as PromiseRejectedResult).reason as unknown;
      assert.ok(e instanceof PythonError && e.pythonType === "ValueError", String(e));
      assert.match(e.message, /lone surrogate U\+D83D/);
    }
    assert.equal(lm.requests.length, 0);
    assert.deepEqual(workerPids(pool), [pid]);
    const fine = await context({ lm: new ScriptedLM([{ answer: "still serving" }]) }, () =>
      predict.call({ question: "a whole emoji \uD83D\uDE00" }),
    );
    assert.equal(fine.answer, "still serving");
  });
});
