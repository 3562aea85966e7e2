import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PythonPool } from "../../src/bridge/index.js";
import { ConfigurationError, context, Predict, ScriptedLM, UsageTracker } from "../../src/index.js";
import { pipeline, pythonStep, step } from "../../src/pipeline/index.js";
import { collectingLogger } from "../bridge/helpers.js";
import { contentText } from "../../src/lm/compat.js";

describe("pipeline step running a DSPy module in the Python pool", () => {
  let pool: PythonPool;
  before(async () => {
    pool = await PythonPool.start({
      name: "py-step",
      size: 1,
      modules: ["dspex_worker.modules_python"],
      logger: collectingLogger(),
    });
  });
  after(() => pool.close());

  it("runs dspy.ChainOfThought by class name beside a native step, LM calls served and counted in Node", async () => {
    const lm = new ScriptedLM([
      { query: "capital of France" },
      { reasoning: "Paris is the capital.", answer: "Paris" },
    ]);
    const p = pipeline([
      step("rewrite", new Predict("question -> query")),
      pythonStep("answer", "dspy.ChainOfThought", "question, query -> answer", { pool }),
    ]);
    const usage = new UsageTracker();
    const result = await context({ lm, usage }, () => p.run({ question: "What is the capital of France?" }));
    assert.equal(result.output.answer, "Paris");
    assert.equal(result.output.reasoning, "Paris is the capital.");
    assert.deepEqual(
      result.steps.map((s) => [s.name, s.lmCalls]),
      [
        ["rewrite", 1],
        ["answer", 1],
      ],
    );
    assert.equal(usage.snapshot().total.calls, 2);
    // DSPy built the prompt in Python; Node's LM received it.
    assert.match(contentText(lm.requests[1]!.messages.at(-1)!.content), /\[\[ ## query ## \]\]\ncapital of France/);
  });

  it("names the valid classes for an unknown one", () => {
    assert.throws(
      () => pythonStep("x", "dspy.Nope", "a -> b", { pool }),
      (e: unknown) => e instanceof ConfigurationError && /dspy\.ChainOfThought/.test(e.fix ?? ""),
    );
  });
});
