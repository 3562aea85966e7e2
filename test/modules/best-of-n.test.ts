import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Cache } from "../../src/cache/cache.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import type { LM, LMRequest, LMResponse } from "../../src/lm/types.js";
import { BestOfN, NoSuccessfulAttemptError } from "../../src/modules/best-of-n.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import type { Fields } from "../../src/modules/example.js";
import { Module } from "../../src/modules/module.js";
import { Predict } from "../../src/modules/predict.js";
import { Prediction } from "../../src/modules/prediction.js";
import { context, type TraceEntry } from "../../src/runtime/settings.js";

const quiet = { onAttemptError: () => undefined };
const isGood = (_inputs: Fields, pred: Prediction) => (pred.answer === "good" ? 1 : 0);

/** A cacheable LM whose answer names the rollout id it was asked with, counting real calls. */
class RolloutLM implements LM {
  readonly specificationVersion = "v1" as const;
  readonly provider = "rollout";
  readonly model = "rollout";
  calls = 0;
  async generate(request: LMRequest): Promise<LMResponse> {
    this.calls++;
    const text = `[[ ## reasoning ## ]]\nr\n\n[[ ## answer ## ]]\nrollout ${String(request.rolloutId)}\n\n[[ ## completed ## ]]`;
    return {
      outputs: [text],
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
      model: "m",
      cached: false,
    };
  }
  async *stream(): AsyncIterable<never> {
    yield* [];
  }
}

/** Fails on the listed attempts (1-based), else answers "good". */
class Flaky extends Module {
  attempts = 0;
  constructor(private readonly failOn: ReadonlySet<number>) {
    super();
  }
  async forward(): Promise<Prediction> {
    this.attempts++;
    if (this.failOn.has(this.attempts)) throw new Error(`boom ${this.attempts}`);
    return new Prediction({ answer: "good" });
  }
}

describe("BestOfN", () => {
  it("runs each attempt with its own rollout id at temperature 1.0 and stops at the threshold", async () => {
    const lm = new ScriptedLM([{ answer: "bad" }, { answer: "good" }, { answer: "unused" }]);
    const best = new BestOfN(new Predict("question -> answer"), { N: 3, rewardFn: isGood, threshold: 1 });
    const pred = await context({ lm }, () => best.call({ question: "?" }));
    assert.equal(pred.answer, "good");
    assert.deepEqual(
      lm.requests.map((r) => [r.rolloutId, r.temperature]),
      [
        [0, 1],
        [1, 1],
      ],
    );
  });

  it("returns the highest reward when none reaches the threshold (first wins ties)", async () => {
    const lm = new ScriptedLM([{ answer: "a" }, { answer: "abc" }, { answer: "xyz" }]);
    const best = new BestOfN(new Predict("question -> answer"), {
      N: 3,
      rewardFn: (_i, p) => String(p.answer).length,
      threshold: 10,
    });
    const pred = await context({ lm }, () => best.call({ question: "?" }));
    assert.equal(pred.answer, "abc");
    assert.equal(lm.requests.length, 3);
  });

  it("starts from the LM's default rollout id; the predictor's own config wins over the attempt's", async () => {
    const lm = new ScriptedLM([{ answer: "x" }, { answer: "y" }], { defaults: { rolloutId: 5 } });
    const best = new BestOfN(new Predict("question -> answer", { temperature: 0.3 }), {
      N: 2,
      rewardFn: () => 0,
      threshold: 1,
    });
    await context({ lm }, () => best.call({ question: "?" }));
    assert.deepEqual(
      lm.requests.map((r) => [r.rolloutId, r.temperature]),
      [
        [5, 0.3],
        [6, 0.3],
      ],
    );
  });

  it("distinct rollout ids are distinct cache entries, and a rerun is served from the cache", async () => {
    const lm = new RolloutLM();
    const cache = new Cache({ disk: false });
    const best = new BestOfN(new ChainOfThought("question -> answer"), { N: 3, rewardFn: () => 0, threshold: 1 });
    const first = await context({ lm, cache }, () => best.call({ question: "?" }));
    assert.equal(lm.calls, 3);
    assert.equal(first.answer, "rollout 0");
    const again = await context({ lm, cache }, () => best.call({ question: "?" }));
    assert.equal(lm.calls, 3, "every attempt was cached under its own rollout id");
    assert.equal(again.answer, "rollout 0");
  });

  it("keeps only the best attempt's trace, and the reward function runs outside the attempt's settings", async () => {
    const judgeLM = new ScriptedLM([{ score: 0.2 }, { score: 0.9 }, { score: 0.5 }]);
    const judge = new Predict("answer -> score: float");
    judge.lm = judgeLM;
    const lm = new ScriptedLM([{ answer: "a" }, { answer: "b" }, { answer: "c" }]);
    const qa = new Predict("question -> answer");
    const best = new BestOfN(qa, {
      N: 3,
      rewardFn: async (_i, p) => Number((await judge.call({ answer: p.answer })).score),
      threshold: 1,
    });
    const trace: TraceEntry[] = [];
    const pred = await context({ lm, trace }, () => best.call({ question: "?" }));
    assert.equal(pred.answer, "b");
    assert.equal(trace.length, 1);
    assert.equal(trace[0]!.predictor, qa);
    assert.equal(trace[0]!.prediction.answer, "b");
    assert.ok(judgeLM.requests.every((r) => r.rolloutId === undefined && r.temperature === undefined));
  });

  it("tolerates failures as DSPy's failCount rule does", async () => {
    // Default failCount = N = 3: attempts 1 and 2 fail, attempt 3 succeeds.
    const flaky = new Flaky(new Set([1, 2]));
    const errors: [number, string | number][] = [];
    const best = new BestOfN(flaky, {
      N: 3,
      rewardFn: isGood,
      threshold: 1,
      onAttemptError: (_e, attempt, rid) => errors.push([attempt, rid]),
    });
    assert.equal((await best.call({})).answer, "good");
    assert.deepEqual(errors, [
      [1, 0],
      [2, 1],
    ]);

    // All three fail: the third failure is thrown (idx 2 > failCount 1).
    await assert.rejects(
      new BestOfN(new Flaky(new Set([1, 2, 3])), { N: 3, rewardFn: isGood, threshold: 1, ...quiet }).call({}),
      /boom 3/,
    );
    // failCount 1: the second failure is thrown (idx 1 > failCount 0).
    await assert.rejects(
      new BestOfN(new Flaky(new Set([1, 2])), { N: 3, rewardFn: isGood, threshold: 1, failCount: 1, ...quiet }).call(
        {},
      ),
      /boom 2/,
    );
    // N = 2, both fail without reaching the rule: DSPy returns None; we throw a typed error.
    await assert.rejects(
      new BestOfN(new Flaky(new Set([1, 2])), { N: 2, rewardFn: isGood, threshold: 1, ...quiet }).call({}),
      (e: unknown) => e instanceof NoSuccessfulAttemptError && (e.cause as Error).message === "boom 2",
    );
  });

  it("a throwing reward function counts as a failed attempt", async () => {
    let calls = 0;
    const best = new BestOfN(new Flaky(new Set()), {
      N: 3,
      rewardFn: () => {
        calls++;
        if (calls === 1) throw new Error("bad reward");
        return 1;
      },
      threshold: 1,
      ...quiet,
    });
    assert.equal((await best.call({})).answer, "good");
    assert.equal(calls, 2);
  });

  it("hides the reward function from the predictor walk and saves the wrapped module's state", () => {
    const best = new BestOfN(new ChainOfThought("question -> answer"), { N: 2, rewardFn: isGood, threshold: 1 });
    assert.deepEqual(
      best.namedPredictors().map(([name]) => name),
      ["module.predict"],
    );
  });

  it("nested in another BestOfN, attempts continue from the enclosing attempt's rollout id", async () => {
    const lm = new ScriptedLM([{ answer: "a" }, { answer: "b" }, { answer: "c" }, { answer: "d" }]);
    const inner = new BestOfN(new Predict("question -> answer"), { N: 2, rewardFn: () => 0, threshold: 1 });
    const outer = new BestOfN(inner, { N: 2, rewardFn: () => 0, threshold: 1 });
    await context({ lm }, () => outer.call({ question: "?" }));
    assert.deepEqual(
      lm.requests.map((r) => r.rolloutId),
      [0, 1, 1, 2],
    );
  });
});
