/**
 * Property-based fuzzing of the text parsers (seeded and bounded so CI stays fast; bench/fuzz.ts
 * runs a million inputs). Every input either parses or fails with the parser's typed error.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AdapterParseError, ChatAdapter, JSONAdapter } from "../../src/adapters/index.js";
import { NestingTooDeepError } from "../../src/py/errors.js";
import { repairJsonLoads } from "../../src/py/json-repair.js";
import { LiteralEvalError, literalEval } from "../../src/py/literal-eval.js";
import { pyRepr, toPlain } from "../../src/py/builtins.js";
import { Signature, SignatureError } from "../../src/signature/index.js";
import { CHAT_PIECES, JSON_PIECES, SIGNATURE_PIECES, syntaxy, utf16 } from "./arbitraries.js";

const params = (seed: number, numRuns = 1500): fc.Parameters<unknown> => ({ seed, numRuns });

/** Runs `fn`; any error other than the allowed typed ones fails the property. */
function onlyTyped(fn: () => unknown, ...allowed: (abstract new (...a: never[]) => Error)[]): void {
  try {
    fn();
  } catch (err) {
    if (allowed.some((c) => err instanceof c)) return;
    throw err;
  }
}

describe("fuzz: parsers give a value or a typed error", () => {
  it("the signature parser", () => {
    fc.assert(
      fc.property(fc.oneof(syntaxy(SIGNATURE_PIECES), utf16(30)), (spec) =>
        onlyTyped(() => Signature.parse(spec), SignatureError),
      ),
      params(12_001),
    );
  });

  it("well-formed generated signatures parse with every field", () => {
    const type: fc.Arbitrary<string> = fc.letrec((tie) => ({
      t: fc.oneof(
        { depthSize: "small" },
        fc.constantFrom("str", "int", "float", "bool", "Any", "None"),
        tie("t").map((t) => `list[${t}]`),
        tie("t").map((t) => `Optional[${t}]`),
        fc.tuple(tie("t"), tie("t")).map(([k, v]) => `dict[${k}, ${v}]`),
        fc.tuple(tie("t"), tie("t")).map(([a, b]) => `${a} | ${b}`),
        fc.constant("Literal['a', \"b\", 1]"),
      ),
    })).t;
    const name = fc
      .stringMatching(/^[a-z][a-z0-9_]{0,6}$/)
      .filter((n) => !["and", "or", "if", "in", "is", "as", "def", "for", "not", "del", "try"].includes(n));
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { minLength: 2, maxLength: 6 }),
        fc.array(type, { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 1, max: 5 }),
        (names, types, split) => {
          const cut = Math.min(split, names.length - 1);
          const field = (n: string, i: number) => `${n}: ${types[i]}`;
          const spec = `${names.slice(0, cut).map(field).join(", ")} -> ${names
            .slice(cut)
            .map((n, i) => field(n, i + cut))
            .join(", ")}`;
          const sig = Signature.parse(spec);
          assert.deepEqual(
            [...sig.inputFields, ...sig.outputFields].map((f) => f.name),
            names,
          );
        },
      ),
      params(12_002, 800),
    );
  });

  it("json_repair", () => {
    fc.assert(
      fc.property(fc.oneof(syntaxy(JSON_PIECES, 40), utf16(40)), (text) =>
        onlyTyped(() => repairJsonLoads(text), NestingTooDeepError),
      ),
      params(12_003, 3000),
    );
  });

  it("json_repair reads valid JSON as JSON.parse does", () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        // Integers past 2^53 come back as BigInt (Python ints are exact); JSON.parse rounds them.
        const exact = JSON.stringify(toPlain(repairJsonLoads(text)), (_k, v) =>
          typeof v === "bigint" ? Number(v) : v,
        );
        assert.deepEqual(JSON.parse(exact), JSON.parse(text));
      }),
      params(12_004, 1000),
    );
  });

  it("literal_eval", () => {
    fc.assert(
      fc.property(
        fc.oneof(syntaxy([...JSON_PIECES, "b'", "r'", "'''", "0x1F", "0o7", "1_000", "{1, 2}", "(1,)"], 40), utf16(40)),
        (text) => onlyTyped(() => literalEval(text), LiteralEvalError, NestingTooDeepError),
      ),
      params(12_005, 3000),
    );
  });

  it("literal_eval reads back Python's repr of ints, strings, bools, None, lists and dicts", () => {
    const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        fc.integer(),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("v"), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 5 }), tie("v"), { maxKeys: 4, noNullPrototype: true }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        assert.deepEqual(toPlain(literalEval(pyRepr(v))), v);
      }),
      params(12_006, 1000),
    );
  });

  it("both adapters' parse", () => {
    const sig = Signature.parse("q -> answer, n: int, xs: list[float], ok: bool");
    const chat = new ChatAdapter();
    const json = new JSONAdapter();
    fc.assert(
      fc.property(fc.oneof(syntaxy([...CHAT_PIECES, ...JSON_PIECES], 40), utf16(40)), (text) => {
        onlyTyped(() => chat.parse(sig, text), AdapterParseError);
        onlyTyped(() => json.parse(sig, text), AdapterParseError);
      }),
      params(12_007, 2000),
    );
  });

  it("JSONAdapter returns a string field exactly as JSON encoded it, lone surrogates included", () => {
    const sig = Signature.parse("q -> answer");
    fc.assert(
      fc.property(utf16(30), (s) => {
        assert.deepEqual(new JSONAdapter().parse(sig, JSON.stringify({ answer: s })), { answer: s });
      }),
      params(12_008, 1000),
    );
  });
});
