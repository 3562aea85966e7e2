/**
 * prediction.getLmUsage(), as DSPy's `get_lm_usage()` under `track_usage`: per model, the tokens
 * a real OpenAI-compatible server on 127.0.0.1 reported, for native calls and for the calls a
 * dspy.Predict in a worker asks Node to serve; cache hits add nothing; nested calls roll up.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PythonPool } from "../../src/bridge/pool.js";
import { Cache } from "../../src/cache/cache.js";
import { openai } from "../../src/lm/providers/openai.js";
import type { LM } from "../../src/lm/types.js";
import { UsageTracker } from "../../src/lm/usage.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import type { Fields } from "../../src/modules/example.js";
import { Module } from "../../src/modules/module.js";
import { Predict } from "../../src/modules/predict.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { PythonPredict } from "../../src/modules/python/predict.js";
import { context, resetSettings } from "../../src/runtime/settings.js";
import { collectingLogger } from "../bridge/helpers.js";
import { answerFields } from "../helpers/field-answers.js";
import { type Loopback, start } from "../helpers/loopback-openai.js";

class QA extends Module {
  readonly keywords = new Predict("question -> keywords");
  readonly answer = new ChainOfThought("question, keywords -> answer");
  constructor(readonly other?: LM) {
    super();
    if (other) this.answer.predict.lm = other;
  }
  async forward(inputs: Fields): Promise<Prediction> {
    const question = String(inputs.question);
    const { keywords } = await this.keywords.call({ question });
    const inner = await this.answer.call({ question, keywords });
    // Only the outermost call tracks: the inner prediction gets none.
    assert.equal(inner.getLmUsage(), undefined);
    return inner;
  }
}

describe("prediction.getLmUsage()", () => {
  let server: Loopback;
  let lm: LM;
  let pool: PythonPool;
  before(async () => {
    [server, pool] = await Promise.all([
      start(),
      PythonPool.start({
        name: "usage",
        size: 1,
        modules: ["dspex_worker.modules_python"],
        logger: collectingLogger(),
      }),
    ]);
    // Usage by model, so that each model's sum is known whatever the order of the calls.
    server.setScript((req) => {
      const reply = answerFields(req);
      const second = (req.body as { model: string }).model === "loopback-2";
      const usage = second
        ? { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 }
        : { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 };
      return reply.kind === "completion" ? { ...reply, usage } : reply;
    });
    lm = openai({ baseURL: server.url, apiKey: "x", model: "loopback", maxRetries: 0 });
  });
  after(async () => {
    resetSettings();
    await Promise.all([server.close(), pool.close()]);
  });

  it("is undefined unless trackUsage is on", async () => {
    const pred = await context({ lm, cache: false }, () => new Predict("q -> a").call({ q: "x" }));
    assert.equal(pred.getLmUsage(), undefined);
  });

  it("sums the server's usage per model over every LM call of the program; rolls up into the enclosing tracker", async () => {
    const other = openai({ baseURL: server.url, apiKey: "x", model: "loopback-2", maxRetries: 0 });
    const outer = new UsageTracker();
    const seen = server.requests.length;
    const pred = await context({ lm, cache: false, trackUsage: true, usage: outer }, () =>
      new QA(other).call({ question: "a?" }),
    );
    assert.equal(server.requests.length - seen, 2);
    assert.deepEqual(pred.getLmUsage(), {
      [`${lm.provider}/loopback`]: { promptTokens: 7, completionTokens: 3, totalTokens: 10 },
      [`${other.provider}/loopback-2`]: { promptTokens: 20, completionTokens: 5, totalTokens: 25 },
    });
    assert.equal(outer.total.calls, 2);
    assert.equal(outer.total.promptTokens, 27);
  });

  it("leaves out cache hits, as DSPy", async () => {
    const cache = new Cache({ disk: false });
    const program = new Predict("question -> answer");
    const first = await context({ lm, cache, trackUsage: true }, () => program.call({ question: "same" }));
    assert.equal(Object.keys(first.getLmUsage() ?? {}).length, 1);
    const again = await context({ lm, cache, trackUsage: true }, () => program.call({ question: "same" }));
    assert.deepEqual(again.getLmUsage(), {});
  });

  it("counts the LM calls DSPy makes in a worker, served by Node", async () => {
    const seen = server.requests.length;
    const remote = new PythonPredict("question -> answer", { pool });
    const pred = await context({ lm, cache: false, trackUsage: true }, () => remote.call({ question: "q?" }));
    assert.equal(server.requests.length - seen, 1);
    assert.deepEqual(pred.getLmUsage(), {
      [`${lm.provider}/loopback`]: { promptTokens: 7, completionTokens: 3, totalTokens: 10 },
    });
  });
});
