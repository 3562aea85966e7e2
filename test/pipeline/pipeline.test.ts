import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChainOfThought, context, type Fields, Predict, ScriptedLM, UsageTracker } from "../../src/index.js";
import {
  branch,
  cached,
  type PipelineEvent,
  PipelineError,
  parallel,
  pipeline,
  step,
} from "../../src/pipeline/index.js";

const CORPUS = [
  "Paris is the capital of France.",
  "Berlin is the capital of Germany.",
  "The Seine flows through Paris.",
];
const search = (words: string[]) => CORPUS.filter((p) => words.some((w) => p.toLowerCase().includes(w.toLowerCase())));

describe("pipeline", () => {
  it("runs module, function, parallel, branch and cached steps, reporting LM calls per step", async () => {
    const lm = new ScriptedLM([
      { query: "capital France" },
      { reasoning: "The passages say Paris.", answer: "Paris", citations: [1] },
    ]);
    let searches = 0;
    const retrieveBy = (field: string) => (s: Fields) => {
      searches++;
      return { passages: search(String(s[field]).split(" ")) };
    };
    const p = pipeline([
      step("parse", new Predict("question -> query")),
      parallel(
        "retrieve",
        [retrieveBy("query"), cached(step("byQuestion", retrieveBy("question")), { ttlMs: 60_000 })],
        {
          merge: "concat",
        },
      ),
      (s: Fields) => ({ passages: [...new Set(s.passages as string[])] }),
      branch(
        "answer-or-refuse",
        (s) => (s.passages as string[]).length > 0,
        step("answer", new ChainOfThought("question, passages: list[str] -> answer, citations: list[int]")),
        () => ({ answer: "I don't know", citations: [] }),
      ),
    ]);
    const events: PipelineEvent[] = [];
    const usage = new UsageTracker();
    const result = await context({ lm, usage }, () =>
      p.run({ question: "What is the capital of France" }, { onProgress: (e) => events.push(e) }),
    );
    assert.equal(result.output.answer, "Paris");
    assert.deepEqual(result.output.citations, [1]);
    assert.deepEqual(
      result.steps.map((s) => [s.name, s.status, s.lmCalls]),
      [
        ["parse", "ok", 1],
        ["retrieve", "ok", 0],
        ["step3", "ok", 0],
        ["answer-or-refuse", "ok", 1],
      ],
    );
    assert.ok(result.steps[0]!.tokens > 0);
    assert.equal(result.steps[3]!.children?.[0]?.name, "answer");
    // Per-step usage also lands in the caller's tracker.
    assert.equal(usage.snapshot().total.calls, 2);
    assert.equal(events.filter((e) => e.type === "step-end" && e.path.length === 1).length, 4);
    // Children of the parallel and branch steps report too, under their parent's path.
    const childPaths = events.filter((e) => e.type === "step-end" && e.path.length === 2).map((e) => e.path.join("/"));
    assert.deepEqual(childPaths.sort(), ["answer-or-refuse/answer", "retrieve/byQuestion", "retrieve/retrieve[0]"]);
    assert.equal(searches, 2);
  });

  it("serves a cached step from memory within its TTL", async () => {
    let calls = 0;
    const p = pipeline([cached((s: Fields) => ({ n: ++calls, echo: s.x }), { ttlMs: 60_000, name: "memo" })]);
    const a = await p.run({ x: 1 });
    const b = await p.run({ x: 1 });
    const c = await p.run({ x: 2 });
    assert.deepEqual([a.output.n, b.output.n, c.output.n], [1, 1, 2]);
  });

  it("fails fast naming the step and keeping the partial state", async () => {
    const p = pipeline([
      step("first", () => ({ a: 1 })),
      step("boom", () => {
        throw new Error("retriever down");
      }),
      step("never", () => ({ c: 3 })),
    ]);
    await assert.rejects(p.run({}), (e: unknown) => {
      assert.ok(e instanceof PipelineError);
      assert.equal(e.step, "boom");
      assert.deepEqual(e.partial, { a: 1 });
      assert.match(e.message, /"boom" failed: retriever down/);
      assert.deepEqual(
        e.steps.map((s) => s.status),
        ["ok", "failed"],
      );
      return true;
    });
  });

  it("collects errors on request and goes on", async () => {
    const p = pipeline([
      step("boom", () => {
        throw new Error("bad");
      }),
      step("after", () => ({ ok: true })),
    ]);
    const r = await p.run({}, { errors: "collect" });
    assert.equal(r.output.ok, true);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.step, "boom");
  });

  it("stops before the next step once aborted", async () => {
    const ac = new AbortController();
    const p = pipeline([
      step("one", () => {
        ac.abort();
        return { a: 1 };
      }),
      step("two", () => ({ b: 2 })),
    ]);
    await assert.rejects(
      p.run({}, { signal: ac.signal }),
      (e: unknown) => e instanceof PipelineError && e.step === "two",
    );
  });
});
