import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitSections } from "../../src/adapters/chat.js";
import { ChatFieldParser } from "../../src/stream/chat-field-parser.js";
import { JSONFieldParser } from "../../src/stream/json-field-parser.js";
import type { FieldParser, FieldPiece } from "../../src/stream/types.js";

/** A seeded PRNG, so the random splits are the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function splitRandomly(text: string, rand: () => number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const n = 1 + Math.floor(rand() * 7);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

function run(parser: FieldParser, deltas: readonly string[]): FieldPiece[] {
  const pieces: FieldPiece[] = [];
  for (const d of deltas) pieces.push(...parser.feed(d));
  pieces.push(...parser.end());
  return pieces;
}

function joined(pieces: readonly FieldPiece[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of pieces) out.set(p.field, (out.get(p.field) ?? "") + p.chunk);
  return out;
}

const COMPLETIONS = [
  "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]",
  "[[ ## reasoning ## ]]\nFirst, think.\n\nThen [[ ## answer ## ]] is not a header here.\n\n[[ ## answer ## ]]\nParis, France\n\n[[ ## completed ## ]]\n",
  "Preamble text\n[[ ## answer ## ]] inline value\nsecond line\n  [[ ## reasoning ## ]]\n  indented header\r\n\r\nwith CRLF\n[[ ## answer ## ]]\nduplicate ignored\n[[ ## completed ## ]]",
  "[[ ## answer ## ]]\n[1, 2]\n[[ ## unknown ## ]]\nskip me\n[[ ## reasoning ## ]]\n   spaced   \n\n\n",
  "[[ ## answer ## ]]\nends without marker [[ ## ans",
  "[[ ## reasoning ## ]]\n\n\n[[ ## answer ## ]]\n\u00e9t\u00e9 \ud83d\ude00 ok\n\n[[ ## completed ## ]]",
];

describe("ChatFieldParser", () => {
  it("joins each field's chunks to exactly what ChatAdapter's section split reads, for any split", () => {
    const fields = ["reasoning", "answer"];
    const rand = rng(7);
    for (const completion of COMPLETIONS) {
      const expected = splitSections(completion, new Set(fields));
      for (let trial = 0; trial < 200; trial++) {
        const deltas = trial === 0 ? [completion] : splitRandomly(completion, rand);
        const pieces = run(new ChatFieldParser(fields, fields), deltas);
        assert.deepEqual(joined(pieces), expected, `${JSON.stringify(completion)} split as ${JSON.stringify(deltas)}`);
        for (const field of expected.keys()) {
          const own = pieces.filter((p) => p.field === field);
          assert.equal(own.filter((p) => p.isLast).length, 1, "one final chunk per field");
          assert.equal(own.at(-1)?.isLast, true, "the final chunk comes last");
        }
      }
    }
  });

  it("never leaks marker text into chunks and streams before the field ends", () => {
    const parser = new ChatFieldParser(["answer", "reasoning"], ["answer", "reasoning"]);
    const deltas = [
      "[[ ## reas",
      "oning ## ]]\nStep one",
      ", step two.\n\n[",
      "[ ## ans",
      "wer ## ]]\n4",
      "2\n\n[[ ## completed ## ]]",
    ];
    const pieces = deltas.flatMap((d) => parser.feed(d)).concat(parser.end());
    assert.deepEqual(pieces, [
      { field: "reasoning", chunk: "Step one", isLast: false },
      { field: "reasoning", chunk: ", step two.", isLast: false },
      { field: "reasoning", chunk: "", isLast: true },
      { field: "answer", chunk: "4", isLast: false },
      // The end marker came in the same delta, so the last text and the end travel together.
      { field: "answer", chunk: "2", isLast: true },
    ]);
  });

  it("reports only the wanted fields", () => {
    const pieces = run(new ChatFieldParser(["reasoning", "answer"], ["answer"]), [COMPLETIONS[1]!]);
    assert.deepEqual(
      pieces.map((p) => p.field),
      ["answer"],
    );
    assert.equal(joined(pieces).get("answer"), "Paris, France");
  });
});

describe("JSONFieldParser", () => {
  it("streams string values decoded and other values as raw JSON, for any split", () => {
    const completion =
      '```json\n{\n  "reasoning": "Line \\"one\\"\\nline two \\u00e9",\n  "answer": [1, "a, b", {"x": [2]}],\n  "score": 0.5\n}\n```';
    const expected = new Map([
      ["reasoning", 'Line "one"\nline two \u00e9'],
      ["answer", '[1, "a, b", {"x": [2]}]'],
      ["score", "0.5"],
    ]);
    const rand = rng(11);
    for (let trial = 0; trial < 200; trial++) {
      const deltas = trial === 0 ? [completion] : splitRandomly(completion, rand);
      const fields = ["reasoning", "answer", "score"];
      const pieces = run(new JSONFieldParser(fields, fields), deltas);
      assert.deepEqual(joined(pieces), expected, JSON.stringify(deltas));
      assert.equal(pieces.filter((p) => p.isLast).length, 3);
    }
  });

  it("ignores unknown keys and fields not asked for", () => {
    const pieces = run(new JSONFieldParser(["answer", "why"], ["answer"]), [
      '{"extra": {"a": 1}, "why": "x", "answer": "yes"}',
    ]);
    assert.deepEqual(pieces, [{ field: "answer", chunk: "yes", isLast: true }]);
  });
});
