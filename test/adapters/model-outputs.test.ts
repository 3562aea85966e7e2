/**
 * zod-object outputs read as DSPy reads a pydantic-model output. The expected texts and values
 * were printed by DSPy 3.4.1 (pydantic 2.14.4) for the twin model
 * `Inner(k: int, f: float = 3.0)`, `Person(a: int, b: Literal["x","y"] = "x",
 * n: Optional[Inner] = None, m: Optional[Optional[int]] = None)`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { AdapterParseError } from "../../src/adapters/errors.js";
import { ChatAdapter } from "../../src/adapters/chat.js";
import { pyRepr } from "../../src/py/builtins.js";
import { signatureFromZod } from "../../src/signature/zod.js";
import { contentText } from "../../src/lm/compat.js";

const Inner = z.object({ k: z.int(), f: z.number().default(3) }).meta({ title: "Inner" });
const Person = z
  .object({
    a: z.int(),
    b: z.literal(["x", "y"]).default("x"),
    n: Inner.nullable().default(null),
    m: z.int().nullable().nullable().default(null),
  })
  .meta({ title: "Person" });
const sig = signatureFromZod({ inputs: z.object({ question: z.string() }), outputs: z.object({ result: Person }) });
const chat = new ChatAdapter();
const parse = (body: string) => chat.parse(sig, `[[ ## result ## ]]\n${body}\n\n[[ ## completed ## ]]`).result;

describe("zod-object outputs as pydantic models", () => {
  it("prints DSPy's schema: $defs, titles, float defaults, one flat Optional, untitled optional model", () => {
    const system = contentText(chat.format(sig, [], { question: "q" })[0]!.content);
    const schema = system.split("JSON schema: ")[1]!.split("\n")[0];
    assert.equal(
      schema,
      '{"type": "object", "$defs": {"Inner": {"type": "object", "properties": {"f": {"type": "number", "default": 3.0, "title": "F"}, "k": {"type": "integer", "title": "K"}}, "required": ["k"], "title": "Inner"}}, "properties": {"a": {"type": "integer", "title": "A"}, "b": {"type": "string", "default": "x", "enum": ["x", "y"], "title": "B"}, "m": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": null, "title": "M"}, "n": {"anyOf": [{"$ref": "#/$defs/Inner"}, {"type": "null"}], "default": null}}, "required": ["a"], "title": "Person"}',
    );
  });

  it("coerces in lax mode and fills defaults in field order", () => {
    assert.equal(pyRepr(parse('{"a": "31"}'), sig.field("result")!.type), "{'a': 31, 'b': 'x', 'n': None, 'm': None}");
  });

  it("validates nested models and drops undeclared keys", () => {
    assert.equal(
      pyRepr(parse('{"a": 1, "n": {"k": "2"}, "zz": 1}'), sig.field("result")!.type),
      "{'a': 1, 'b': 'x', 'n': {'k': 2, 'f': 3.0}, 'm': None}",
    );
  });

  it("refuses a disallowed Literal and a missing required key", () => {
    assert.throws(() => parse('{"a": 1, "b": "q"}'), AdapterParseError);
    assert.throws(
      () => parse('{"b": "x"}'),
      (e: Error) => e instanceof AdapterParseError && /Field required/.test(e.message),
    );
  });
});
