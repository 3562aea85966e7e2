/** Evaluate with plain Module programs and ScriptedLM-driven Predict programs. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigurationError } from "../../src/errors.js";
import {
  answerExactMatch,
  Evaluate,
  EvaluateError,
  type EvaluationRow,
  evaluate,
  type ProgressEvent,
  pyRound,
} from "../../src/evaluate/index.js";
import { LMAbortedError } from "../../src/lm/errors.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { Example, type Fields } from "../../src/modules/example.js";
import { Module } from "../../src/modules/module.js";
import { Predict } from "../../src/modules/predict.js";
import { Prediction } from "../../src/modules/prediction.js";
import { context } from "../../src/runtime/settings.js";

const qa = (n: number): Example[] =>
  Array.from({ length: n }, (_, i) => new Example({ question: `q${i}`, answer: `a${i}` }).withInputs("question"));

/** Answers `a<i>` for `q<i>`, after a delay that makes later examples finish first. */
class Reverse extends Module {
  constructor(
    private readonly n: number,
    private readonly wrong: ReadonlySet<number> = new Set(),
    private readonly failing: ReadonlySet<number> = new Set(),
  ) {
    super();
  }
  inFlight = 0;
  maxInFlight = 0;
  async forward(inputs: Fields): Promise<Prediction> {
    const i = Number(String(inputs.question).slice(1));
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, (this.n - i) * 2));
      if (this.failing.has(i)) throw new Error(`boom ${i}`);
      return new Prediction({ answer: this.wrong.has(i) ? "nope" : `a${i}` });
    } finally {
      this.inFlight--;
    }
  }
}

describe("Evaluate: scores and order", () => {
  it("scores as DSPy (percentage, 2 decimals) and keeps devset order under concurrency", async () => {
    const devset = qa(9);
    const program = new Reverse(9, new Set([1, 4, 7]));
    const result = await new Evaluate({ devset, metric: answerExactMatch, concurrency: 4 }).run(program);
    assert.equal(result.score, 66.67);
    assert.deepEqual(
      result.results.map((r) => r.example),
      devset,
    );
    assert.deepEqual(
      result.results.map((r) => r.index),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.deepEqual(
      result.results.map((r) => r.score),
      [1, 0, 1, 1, 0, 1, 1, 0, 1],
    );
    assert.equal(result.results[2]!.prediction.answer, "a2");
    assert.equal(program.maxInFlight, 4, "the concurrency limit is used and never exceeded");
    assert.equal(result.metricName, "answerExactMatch");
    assert.equal(result.errors, 0);
  });

  it("accepts sync and async metrics returning numbers, booleans, or a Prediction with a score", async () => {
    const devset = qa(4);
    const program = new Reverse(4);
    const metrics = [
      () => 0.25,
      async () => true,
      (_e: Example, p: Prediction) => new Prediction({ score: p.answer === "a0" ? 1 : 0, feedback: "f" }),
      async () => ({ score: false }),
    ];
    const scores = [];
    for (const metric of metrics) scores.push((await evaluate(program, devset, metric)).score);
    assert.deepEqual(scores, [25, 100, 25, 0]);
    const withFeedback = await evaluate(program, devset, metrics[2]!);
    assert.equal(withFeedback.results[0]!.metricOutput?.feedback, "f");
  });

  it("rounds like Python's round(x, 2): exact ties go to even", () => {
    for (const [x, d, want] of [
      [0.125, 2, 0.12],
      [0.375, 2, 0.38],
      [2.675, 2, 2.67],
      [12.625, 2, 12.62],
      [66.665, 2, 66.67],
      [-0.125, 2, -0.12],
      [0.005, 2, 0.01],
      [(1 / 3) * 100, 2, 33.33],
      [(2 / 3) * 100, 2, 66.67],
      [2.5, 0, 2],
      [1.5, 0, 2],
      [12.5, 1, 12.5],
      [0.125, 1, 0.1],
    ] as const) {
      assert.equal(pyRound(x, d), want, `round(${x}, ${d})`);
    }
  });

  it("rounds the devset score like DSPy: 1 of 800 correct is round(0.125, 2) = 0.12", async () => {
    const devset = qa(800);
    const result = await evaluate({ call: () => new Prediction({}) }, devset, (e) => e.answer === "a0", {
      concurrency: 64,
    });
    assert.equal(result.score, 0.12);
  });

  it("runs ScriptedLM-driven Predict programs", async () => {
    const devset = qa(6);
    const answers = Object.fromEntries(
      devset.map((e, i) => [e.question as string, { answer: i % 2 ? "wrong" : e.answer }]),
    );
    const lm = new ScriptedLM(answers as Record<string, { answer: string }>, { latencyMs: 5 });
    const program = new Predict("question -> answer");
    const result = await context({ lm, cache: false }, () =>
      new Evaluate({ devset, metric: answerExactMatch, concurrency: 3 }).run(program),
    );
    assert.equal(result.score, 50);
    assert.equal(lm.requests.length, 6);
    assert.deepEqual(
      result.results.map((r) => r.prediction.answer),
      ["a0", "wrong", "a2", "wrong", "a4", "wrong"],
    );
  });
});

describe("Evaluate: failures", () => {
  it("records a failing example with failureScore and its error, and keeps going below maxErrors", async () => {
    const devset = qa(6);
    const failures: EvaluationRow[] = [];
    const ev = new Evaluate({ devset, metric: answerExactMatch, concurrency: 2, failureScore: 0.5, maxErrors: 3 });
    ev.on("failure", (row) => failures.push(row));
    const result = await ev.run(new Reverse(6, new Set(), new Set([1, 3])));
    assert.equal(result.errors, 2);
    assert.equal(result.results[1]!.score, 0.5);
    assert.match(result.results[1]!.error!.message, /boom 1/);
    assert.deepEqual(result.results[1]!.prediction.toDict(), {});
    assert.equal(result.score, pyRound((100 * (4 + 0.5 + 0.5)) / 6, 2));
    assert.deepEqual(failures.map((r) => r.index).sort(), [1, 3]);
  });

  it("a metric that throws or returns no score counts as a failure", async () => {
    const devset = qa(3);
    const result = await evaluate(new Reverse(3), devset, (e) => {
      if (e.question === "q0") throw new Error("metric broke");
      return (e.question === "q1" ? "yes" : 1) as unknown as number;
    });
    assert.match(result.results[0]!.error!.message, /metric broke/);
    assert.match(result.results[1]!.error!.message, /not a score/);
    assert.equal(result.results[2]!.score, 1);
  });

  it("stops with EvaluateError once errors >= maxErrors (DSPy's rule), naming the count and first errors", async () => {
    const devset = qa(10);
    const program = new Reverse(10, new Set(), new Set([0, 2, 4, 6, 8]));
    const progress: ProgressEvent[] = [];
    await assert.rejects(
      new Evaluate({ devset, metric: answerExactMatch, concurrency: 1, maxErrors: 3 }).run(program, {
        onProgress: (e) => progress.push(e),
      }),
      (error: unknown) => {
        assert.ok(error instanceof EvaluateError);
        assert.equal(error.reason, "maxErrors");
        assert.equal(error.failures.length, 3);
        assert.match(error.message, /3 examples failed \(maxErrors is 3\)/);
        assert.match(error.message, /#0: Error: boom 0/);
        assert.match(error.message, /#4: Error: boom 4/);
        assert.ok(error.fix);
        assert.equal(error.results.filter(Boolean).length, 5, "examples 0..4 finished, the rest never started");
        return true;
      },
    );
    assert.equal(progress.at(-1)?.errors, 3);
  });

  it("maxErrors cancels the in-flight LM calls", async () => {
    const devset = qa(4);
    // Every LM call would take a minute unless Evaluate's abort reaches it.
    const lm = new ScriptedLM({ q: { answer: "x" } }, { latencyMs: 60_000 });
    const calls: Promise<Prediction>[] = [];
    class FailsFirst extends Module<{ question: string }> {
      predict = new Predict("question -> answer");
      async forward(inputs: { question: string }): Promise<Prediction> {
        if (inputs.question === "q0") throw new Error("fails at once");
        const call = this.predict.call(inputs);
        calls.push(call);
        return call;
      }
    }
    await assert.rejects(
      context({ lm, cache: false }, () =>
        new Evaluate({ devset, metric: answerExactMatch, concurrency: 4, maxErrors: 1 }).run(new FailsFirst()),
      ),
      (error: unknown) => error instanceof EvaluateError && error.reason === "maxErrors" && error.failures.length === 1,
    );
    assert.equal(calls.length, 3);
    const settled = await Promise.allSettled(calls);
    for (const s of settled) {
      assert.equal(s.status, "rejected");
      assert.ok((s as PromiseRejectedResult).reason instanceof LMAbortedError);
    }
  });

  it("cancels in-flight calls of a predictor that has an LM of its own", async () => {
    const devset = qa(3);
    const own = new ScriptedLM({ q: { answer: "x" } }, { latencyMs: 60_000 });
    const calls: Promise<Prediction>[] = [];
    class OwnLM extends Module<{ question: string }> {
      predict = Object.assign(new Predict("question -> answer"), { lm: own });
      async forward(inputs: { question: string }): Promise<Prediction> {
        if (inputs.question === "q0") throw new Error("fails at once");
        const call = this.predict.call(inputs);
        calls.push(call);
        return call;
      }
    }
    await assert.rejects(
      context({ cache: false }, () =>
        new Evaluate({ devset, metric: answerExactMatch, concurrency: 3, maxErrors: 1 }).run(new OwnLM()),
      ),
      EvaluateError,
    );
    const settled = await Promise.allSettled(calls);
    assert.ok(settled.length > 0);
    for (const s of settled) assert.ok(s.status === "rejected" && s.reason instanceof LMAbortedError);
  });

  it("maxErrors: Infinity never stops", async () => {
    const result = await evaluate(new Reverse(5, new Set(), new Set([0, 1, 2, 3, 4])), qa(5), answerExactMatch, {
      maxErrors: Number.POSITIVE_INFINITY,
    });
    assert.equal(result.errors, 5);
    assert.equal(result.score, 0);
  });
});

describe("Evaluate: abort, progress, event loop", () => {
  it("an AbortSignal stops the run and cancels in-flight LM calls", async () => {
    const devset = qa(5);
    const lm = new ScriptedLM({ q: { answer: "x" } }, { latencyMs: 60_000 });
    const calls: Promise<Prediction>[] = [];
    const controller = new AbortController();
    class Tracked extends Module<{ question: string }> {
      predict = new Predict("question -> answer");
      async forward(inputs: { question: string }): Promise<Prediction> {
        const call = this.predict.call(inputs);
        calls.push(call);
        if (calls.length === 2) setImmediate(() => controller.abort(new Error("user stop")));
        return call;
      }
    }
    await assert.rejects(
      context({ lm, cache: false }, () =>
        new Evaluate({ devset, metric: answerExactMatch, concurrency: 2 }).run(new Tracked(), {
          signal: controller.signal,
        }),
      ),
      (error: unknown) => {
        assert.ok(error instanceof EvaluateError);
        assert.equal(error.reason, "aborted");
        assert.match(error.message, /aborted after 0 of 5/);
        assert.equal((error.cause as Error).message, "user stop");
        return true;
      },
    );
    const settled = await Promise.allSettled(calls);
    assert.equal(settled.length, 2);
    for (const s of settled) assert.ok(s.status === "rejected" && s.reason instanceof LMAbortedError);
  });

  it("an already-aborted signal rejects before running anything", async () => {
    const program = new Reverse(3);
    await assert.rejects(
      new Evaluate({ devset: qa(3), metric: answerExactMatch }).run(program, { signal: AbortSignal.abort() }),
      EvaluateError,
    );
    assert.equal(program.maxInFlight, 0);
  });

  it("emits one progress event per example, as events and through onProgress", async () => {
    const devset = qa(7);
    const ev = new Evaluate({ devset, metric: answerExactMatch, concurrency: 3 });
    const emitted: ProgressEvent[] = [];
    const called: ProgressEvent[] = [];
    ev.on("progress", (e) => emitted.push(e));
    await ev.run(new Reverse(7, new Set([0]), new Set([6])), { onProgress: (e) => called.push(e) });
    assert.deepEqual(emitted, called);
    assert.deepEqual(
      emitted.map((e) => e.done),
      [1, 2, 3, 4, 5, 6, 7],
    );
    const last = emitted.at(-1)!;
    assert.equal(last.total, 7);
    assert.equal(last.errors, 1);
    assert.equal(last.scored, 6);
    assert.equal(last.sum, 5);
    assert.equal(last.score, 83.3);
    assert.deepEqual(emitted.map((e) => e.row.index).sort(), [0, 1, 2, 3, 4, 5, 6]);
  });

  it("never blocks the event loop, even with synchronous programs and metrics", async () => {
    const devset = qa(500);
    let doneWhenTimerRan = -1;
    let done = 0;
    const program = { call: (inputs: Fields) => new Prediction({ answer: String(inputs.question) }) };
    const run = evaluate(program, devset, () => 1, { concurrency: 4, onProgress: (e) => (done = e.done) });
    setImmediate(() => {
      doneWhenTimerRan = done;
    });
    const result = await run;
    assert.equal(result.score, 100);
    assert.ok(doneWhenTimerRan >= 0 && doneWhenTimerRan < 500, `timer ran after ${doneWhenTimerRan} examples`);
  });

  it("runs a plain function as the program", async () => {
    const result = await evaluate(
      (inputs) => new Prediction({ answer: `a${String(inputs.question).slice(1)}` }),
      qa(4),
      answerExactMatch,
    );
    assert.equal(result.score, 100);
  });

  it("rejects an empty devset and examples without input keys", async () => {
    const program = new Reverse(1);
    await assert.rejects(evaluate(program, [], answerExactMatch), ConfigurationError);
    await assert.rejects(
      evaluate(program, [new Example({ question: "q0" })], answerExactMatch),
      (error: unknown) => error instanceof ConfigurationError && /withInputs/.test(error.fix ?? ""),
    );
    assert.throws(() => new Evaluate({ devset: qa(1), metric: answerExactMatch, concurrency: 0 }), ConfigurationError);
  });
});
