/**
 * json_repair.loads corners ported this session: set literals used as object values, what may
 * follow a closed object, a repeated key in an array, words in arrays, escapes in unquoted words,
 * a sign before a word.
 * Expectations printed by json_repair 0.64.6 (the version DSPy 3.4.1's venv resolves).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { repairJsonLoads } from "../../src/py/json-repair.js";

const JSON_REPAIR: [string, unknown][] = [
  // A repeated key in an array starts the next object, unless quoted after a comma.
  ['["x y": true, c: {"k": 1}, c: None]', [{ "x y": true, c: { k: 1 } }, { c: null }]],
  ['["a": 1, "a": 2]', [{ a: 2 }]],
  [
    '{"a": {1, 2, 2}}',
    {
      a: [1, 2, 2],
    },
  ],
  [
    '{"x y": {1, 2, 2}, "x y": "line"}',
    {
      "x y": {
        "x y": "line",
      },
    },
  ],
  [
    '{"a": {1, 2}, "b": 3}',
    {
      a: {
        b: 3,
      },
    },
  ],
  ["{,}", {}],
  ["{ , }", []],
  [
    '{"a": 1}, "b": 2',
    {
      a: 1,
      b: 2,
    },
  ],
  [
    '[{"a": 1}}, 2]',
    [
      {
        a: 1,
      },
      2,
    ],
  ],
  [
    '[c: "Paris, France", "answer": 1]',
    [
      "c:",
      "Paris",
      "France",
      {
        answer: 1,
      },
    ],
  ],
  ["[c: 'it\\'s']", ["c: 'it's'"]],
  [
    '{"a": x\\ty, "b": 1}',
    {
      a: "x\ty",
      b: 1,
    },
  ],
  ["[-inf]", ["inf"]],
  [
    '{"a": -abc}',
    {
      a: "abc",
    },
  ],
  [
    '{"a": /* c: d */ {1, 2}}',
    {
      a: [1, 2],
    },
  ],
];

describe("json_repair.loads corners", () => {
  for (const [text, expected] of JSON_REPAIR) {
    it(`repairs ${JSON.stringify(text)} as json_repair does`, () => {
      assert.deepEqual(repairJsonLoads(text), expected);
    });
  }
});
