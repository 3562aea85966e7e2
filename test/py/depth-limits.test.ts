/**
 * Deeply nested text gives typed errors, never a RangeError from a stack overflow (which came
 * at 2,100-7,300 levels in the signature parser, strict JSON, json_repair and literal_eval).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AdapterParseError,
  ChatAdapter,
  JSONAdapter,
  literalEval,
  NestingTooDeepError,
  repairJsonLoads,
} from "../../src/adapters/index.js";
import { LiteralEvalError } from "../../src/py/literal-eval.js";
import { Signature, SignatureError } from "../../src/signature/index.js";

const DEEP = 5000;
const nested = (open: string, close: string, n: number, inner = "") => open.repeat(n) + inner + close.repeat(n);

describe("nesting limits", () => {
  it("strict JSON and json_repair stop at 1,000 levels with NestingTooDeepError", () => {
    for (const text of [
      nested("[", "]", DEEP),
      "[".repeat(DEEP),
      '{"a": '.repeat(DEEP),
      nested('{"a": ', "}", DEEP, "1"),
      `x ${"[".repeat(DEEP)}`,
      `(${"(".repeat(DEEP)}`,
    ]) {
      assert.throws(() => repairJsonLoads(text), NestingTooDeepError, text.slice(0, 12));
    }
    const atLimit = repairJsonLoads(nested("[", "]", 1000)) as unknown[];
    assert.ok(Array.isArray(atLimit));
    assert.deepEqual(repairJsonLoads(nested("[", "]", 3, "1")), [[[1]]]);
  });

  it("literal_eval refuses more than 200 open brackets, as Python's tokenizer does", () => {
    assert.ok(Array.isArray(literalEval(nested("[", "]", 200))));
    for (const text of [nested("[", "]", 201), nested("(", ")", DEEP, "1"), nested("{", "}", DEEP), "[".repeat(DEEP)]) {
      assert.throws(() => literalEval(text), LiteralEvalError);
    }
  });

  it("literal_eval takes one sign before a number, as ast.literal_eval does", () => {
    assert.equal(literalEval("-1"), -1);
    assert.equal(literalEval("- 1"), -1);
    assert.equal(literalEval("-(1)"), -1);
    for (const text of ["--1", "-True", `${"-".repeat(100_000)}1`])
      assert.throws(() => literalEval(text), LiteralEvalError);
  });

  it("adapters report deep completions as AdapterParseError", () => {
    const chat = new ChatAdapter();
    const sig = Signature.parse("q -> xs: list[int]");
    for (const value of [nested("[", "]", DEEP), nested("(", ")", DEEP, "1"), "[".repeat(DEEP)]) {
      assert.throws(
        () => chat.parse(sig, `[[ ## xs ## ]]\n${value}\n\n[[ ## completed ## ]]`),
        (e: unknown) => e instanceof AdapterParseError && e.field === "xs",
      );
    }
    for (const text of [`{"xs": ${nested("[", "]", DEEP)}}`, '{"xs": '.repeat(DEEP), nested("{", "}", DEEP)]) {
      assert.throws(() => new JSONAdapter().parse(sig, text), AdapterParseError);
    }
  });

  it("the signature parser refuses types nested deeper than 200 levels with a positioned SignatureError", () => {
    const ok = Signature.parse(`q -> a: ${nested("list[", "]", 200, "str")}`);
    assert.equal(ok.outputFields.length, 1);
    assert.throws(
      () => Signature.parse(`q -> a: ${nested("list[", "]", DEEP, "str")}`),
      (e: unknown) => e instanceof SignatureError && /nested deeper than 200/.test(e.message),
    );
    assert.throws(() => Signature.parse(`q -> a: ${"dict[str, ".repeat(DEEP)}`), SignatureError);
  });
});
