/** DSPy-exact metrics: every golden case computed by DSPy 3.4.1 (scripts/fixtures/metrics.py). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  answerExactMatch,
  answerPassageMatch,
  dprNormalize,
  emScore,
  exactMatch,
  f1,
  f1Score,
  hotpotF1,
  hotpotF1Score,
  MetricError,
  normalizeText,
  PY_PUNCTUATION,
  precisionScore,
} from "../../src/evaluate/index.js";

interface Case {
  fn: string;
  args: unknown[];
  result?: unknown;
  error?: string;
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/metrics.json", import.meta.url), "utf8")) as {
  dspy: string;
  cases: Case[];
};

type Fn = (...args: never[]) => unknown;
const FUNCTIONS: Record<string, Fn> = {
  normalize_text: normalizeText,
  DPR_normalize: dprNormalize,
  em_score: emScore,
  f1_score: f1Score,
  hotpot_f1_score: hotpotF1Score,
  precision_score: precisionScore,
  EM: exactMatch,
  F1: f1,
  HotPotF1: hotpotF1,
  answer_exact_match: ((example: Record<string, unknown>, prediction: Record<string, unknown>, frac: number) =>
    answerExactMatch(example, prediction, { frac })) as Fn,
  answer_passage_match: answerPassageMatch as Fn,
};

describe(`metrics match DSPy ${fixture.dspy}`, () => {
  const byFn = new Map<string, Case[]>();
  for (const c of fixture.cases) {
    if (!(c.fn in FUNCTIONS)) continue;
    byFn.set(c.fn, [...(byFn.get(c.fn) ?? []), c]);
  }

  it("covers every metric with many cases", () => {
    for (const fn of Object.keys(FUNCTIONS)) assert.ok((byFn.get(fn)?.length ?? 0) >= 3, `${fn} has fixtures`);
    assert.ok(fixture.cases.length > 2000);
  });

  for (const [fn, cases] of byFn) {
    it(`${fn}: ${cases.length} cases`, () => {
      const f = FUNCTIONS[fn]!;
      const failures: string[] = [];
      for (const c of cases) {
        const label = `${fn}(${JSON.stringify(c.args)})`;
        if (c.error !== undefined) {
          try {
            const got = f(...(c.args as never[]));
            failures.push(`${label}: expected ${c.error}, got ${JSON.stringify(got)}`);
          } catch (error) {
            if (!(error instanceof MetricError)) failures.push(`${label}: threw ${String(error)}`);
          }
          continue;
        }
        let got: unknown;
        try {
          got = f(...(c.args as never[]));
        } catch (error) {
          failures.push(`${label}: threw ${String(error)}`);
          continue;
        }
        try {
          assert.deepStrictEqual(got, c.result);
        } catch {
          failures.push(`${label}: expected ${JSON.stringify(c.result)}, got ${JSON.stringify(got)}`);
        }
      }
      assert.deepEqual(failures, []);
    });
  }
});

describe("metrics details", () => {
  it("uses Python's string.punctuation exactly", () => {
    assert.equal(PY_PUNCTUATION, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
    assert.equal(normalizeText("“quoted” ¿x?"), "“quoted” ¿x");
  });

  it("EM is a boolean and F1 a number", () => {
    assert.equal(exactMatch("The Eiffel Tower", ["Eiffel Tower", "Louvre"]), true);
    assert.equal(exactMatch("paris", ["Paris, France"]), false);
    assert.equal(Math.round(f1("Eiffel Tower is in Paris", ["Paris"]) * 100) / 100, 0.33);
    assert.equal(hotpotF1("yes", ["no"]), 0);
  });

  it("answerExactMatch takes frac as options and ignores a trace in that position", () => {
    const example = { answer: ["Eiffel Tower", "Louvre"] };
    const prediction = { answer: "The Eiffel Tower museum" };
    assert.equal(answerExactMatch(example, prediction), false);
    assert.equal(answerExactMatch(example, prediction, { frac: 0.5 }), true);
    assert.equal(answerExactMatch(example, prediction, []), false);
  });

  it("rejects answers that are not strings or lists", () => {
    assert.throws(() => answerExactMatch({ answer: 42 }, { answer: "42" }), MetricError);
    assert.throws(() => exactMatch("x", "x" as unknown as string[]), MetricError);
    assert.throws(() => exactMatch("x", []), MetricError);
  });
});
