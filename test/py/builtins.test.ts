import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { resolvePython } from "../../src/bridge/python-env.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import {
  PyFloat,
  PyTuple,
  pyCapitalize,
  pyJsonDumps,
  pyRepr,
  pyStr,
  pyStrip,
  wordCount,
} from "../../src/py/builtins.js";

// Each case: a JS value and the Python expression for the same value, judged by real Python.
const CASES: [unknown, string][] = [
  ["plain text", "'plain text'"],
  ["it's", '"it\'s"'],
  ["both ' and \"", "'both \\' and \"'"],
  [3, "3"],
  [new PyFloat(3), "3.0"],
  [0.1, "0.1"],
  [1e-7, "1e-07"],
  [new PyFloat(1.5e16), "1.5e16"],
  [2 ** 64 + 2 ** 12, "2 ** 64 + 2 ** 12"],
  [Number.NaN, "float('nan')"],
  [Number.POSITIVE_INFINITY, "float('inf')"],
  [true, "True"],
  [null, "None"],
  [["a", 1, null, false], "['a', 1, None, False]"],
  [{ k: "v", n: [1, 2], d: { x: null } }, "{'k': 'v', 'n': [1, 2], 'd': {'x': None}}"],
  [new PyTuple([1]), "(1,)"],
  [new PyTuple(["a", new PyFloat(2)]), "('a', 2.0)"],
  ["tab\tnew\nline\u0007bell é \u2028", "'tab\\tnew\\nline\\x07bell é \\u2028'"],
  [{ naïve: ["ünï", "\u00a0"] }, "{'naïve': ['ünï', '\\xa0']}"],
];

function python(script: string, input: unknown): unknown {
  const { python: exe } = resolvePython({ env: process.env });
  return JSON.parse(execFileSync(exe, ["-c", script], { input: JSON.stringify(input), encoding: "utf8" }));
}

describe("py/builtins against real Python", () => {
  const exprs = CASES.map(([, e]) => e);
  const truth = python(
    `import json, sys, math
out = []
for e in json.load(sys.stdin):
    v = eval(e)
    j = None
    if not (isinstance(v, float) and (math.isnan(v) or math.isinf(v))) and not isinstance(v, tuple):
        j = [json.dumps(v, ensure_ascii=False), json.dumps(v, ensure_ascii=False, indent=2)]
    out.append([str(v), repr(v), j])
print(json.dumps(out))`,
    exprs,
  ) as [string, string, [string, string] | null][];

  CASES.forEach(([value, expr], i) => {
    it(`str, repr and json.dumps of ${expr}`, () => {
      const [str, repr, json] = truth[i]!;
      assert.equal(pyStr(value), str);
      assert.equal(pyRepr(value), repr);
      if (json) {
        assert.equal(pyJsonDumps(value), json[0]);
        assert.equal(pyJsonDumps(value, undefined, 2), json[1]);
      }
    });
  });

  it("strip, capitalize and split() word counts", () => {
    const texts = ["  a b\u3000c\x1c d\ufeff ", "\x85x\u2028", "hÉLLO wORLD", "", "\u00a0"];
    const truth2 = python(
      "import json, sys\nprint(json.dumps([[t.strip(), t.capitalize(), len(t.split())] for t in json.load(sys.stdin)]))",
      texts,
    ) as [string, string, number][];
    texts.forEach((t, i) => {
      assert.deepEqual([pyStrip(t), pyCapitalize(t), wordCount(t)], truth2[i]);
    });
  });

  it("ScriptedLM writes answer values as DSPy's format_field_value: str() for scalars, json.dumps for containers", async () => {
    const lm = new ScriptedLM([{ answer: "x", score: Number.NaN, tags: ["a", "b"], meta: { k: 1.5 } }]);
    const text = lm.format({ answer: "x", score: Number.NaN, tags: ["a", "b"], meta: { k: 1.5 } });
    assert.equal(
      text,
      '[[ ## answer ## ]]\nx\n\n[[ ## score ## ]]\nnan\n\n[[ ## tags ## ]]\n["a", "b"]\n\n[[ ## meta ## ]]\n{"k": 1.5}\n\n[[ ## completed ## ]]',
    );
  });
});
