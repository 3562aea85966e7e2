/**
 * Worker memory does not grow with every call. Before, DSPy's own histories in the worker (up
 * to 10,000 entries globally, per LM and per module, ~5 KB each) grew the worker ~5 KB per call;
 * Node keeps the history users read. bench/soak.ts measures RSS per 1,000 calls.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PythonPool } from "../../../src/bridge/index.js";
import { ScriptedLM } from "../../../src/lm/providers/scripted.js";
import { PythonPredict } from "../../../src/modules/python/predict.js";
import { context } from "../../../src/runtime/settings.js";
import { collectingLogger } from "../../bridge/helpers.js";

describe("DSPy history in workers", () => {
  let pool: PythonPool;
  before(async () => {
    pool = await PythonPool.start({
      name: "history-cap",
      size: 1,
      modules: ["dspex_worker.modules_python"],
      testTools: true,
      logger: collectingLogger(),
    });
  });
  after(() => pool.close());

  it("keeps at most 50 entries however many calls run", async () => {
    const n = 150;
    const predict = new PythonPredict("question -> answer", { pool });
    const lm = new ScriptedLM(Array.from({ length: n }, (_, i) => ({ answer: `a${i}` })));
    for (let i = 0; i < n; i++) {
      const pred = await context({ lm }, () => predict.call({ question: `q${i}` }));
      assert.equal(pred.answer, `a${i}`);
    }
    assert.equal(lm.requests.length, n);
    const sizes = (await pool.call("dspy_history_sizes")) as { global: number; lm: number };
    assert.ok(sizes.global > 0 && sizes.global <= 50, JSON.stringify(sizes));
    assert.ok(sizes.lm <= 50, JSON.stringify(sizes));
  });
});
