/**
 * Enum types wherever DSPy takes them: Optional[Enum], list[Enum], dict[str, Enum] and Enum fields of
 * a pydantic model (a zod object), as outputs and inputs. Expectations printed by DSPy 3.4.1 with
 * pydantic 2.14.4 for:
 *   class Color(enum.Enum): RED = "red"; GREEN = "green"
 *   class Num(enum.Enum): ONE = 1; TWO = 2
 *   class P(BaseModel): name: str; color: Color; maybe: Optional[Color] = None; many: list[Num] = []
 *   color: Color, lc: list[Color] -> out: Optional[Color], outs: list[Num], d: dict[str, Color], p: P
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { ChatAdapter } from "../../src/adapters/chat.js";
import { AdapterParseError } from "../../src/adapters/errors.js";
import { typeFromJSONSchema, signatureFromZod } from "../../src/signature/zod.js";
import { jsonSchema } from "../../src/signature/types.js";

const DSPY_MESSAGES = [
  {
    role: "system",
    content:
      'Your input fields are:\n1. `color` (Color): \n2. `lc` (list[Color]):\nYour output fields are:\n1. `out` (Union[Color, NoneType]): \n2. `outs` (list[Num]): \n3. `d` (dict[str, Color]): \n4. `p` (P):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## color ## ]]\n{color}\n\n[[ ## lc ## ]]\n{lc}\n\n[[ ## out ## ]]\n{out}        # note: the value you produce must adhere to the JSON schema: {"$defs": {"Color": {"type": "string", "enum": ["red", "green"], "title": "Color"}}, "anyOf": [{"$ref": "#/$defs/Color"}, {"type": "null"}]}\n\n[[ ## outs ## ]]\n{outs}        # note: the value you produce must adhere to the JSON schema: {"type": "array", "$defs": {"Num": {"type": "integer", "enum": [1, 2], "title": "Num"}}, "items": {"$ref": "#/$defs/Num"}}\n\n[[ ## d ## ]]\n{d}        # note: the value you produce must adhere to the JSON schema: {"type": "object", "$defs": {"Color": {"type": "string", "enum": ["red", "green"], "title": "Color"}}, "additionalProperties": {"$ref": "#/$defs/Color"}}\n\n[[ ## p ## ]]\n{p}        # note: the value you produce must adhere to the JSON schema: {"type": "object", "$defs": {"Color": {"type": "string", "enum": ["red", "green"], "title": "Color"}, "Num": {"type": "integer", "enum": [1, 2], "title": "Num"}}, "properties": {"color": {"$ref": "#/$defs/Color"}, "many": {"type": "array", "default": [], "items": {"$ref": "#/$defs/Num"}, "title": "Many"}, "maybe": {"anyOf": [{"$ref": "#/$defs/Color"}, {"type": "null"}], "default": null}, "name": {"type": "string", "title": "Name"}}, "required": ["name", "color"], "title": "P"}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `color`, `lc`, produce the fields `out`, `outs`, `d`, `p`.',
  },
  {
    role: "user",
    content:
      '[[ ## color ## ]]\nred\n\n[[ ## lc ## ]]\n["red", "green"]\n\nRespond with the corresponding output fields, starting with the field `[[ ## out ## ]]` (must be formatted as a valid Python Union[Color, NoneType]), then `[[ ## outs ## ]]` (must be formatted as a valid Python list[Num]), then `[[ ## d ## ]]` (must be formatted as a valid Python dict[str, Color]), then `[[ ## p ## ]]` (must be formatted as a valid Python P), and then ending with the marker for `[[ ## completed ## ]]`.',
  },
];

/** [out, outs, d, p] as the LM wrote them, and DSPy's parse (undefined: DSPy raises). */
const DSPY_PARSES: [string[], Record<string, unknown> | undefined][] = [
  [
    ["red", "[1, 2]", '{"a": "green"}', '{"name": "x", "color": "red", "maybe": "green", "many": [2]}'],
    { out: "red", outs: [1, 2], d: { a: "green" }, p: { name: "x", color: "red", maybe: "green", many: [2] } },
  ],
  // A member's name is found only for a field that is the Enum itself: pydantic matches values.
  [["RED", "[1]", "{}", '{"name": "x", "color": "red"}'], undefined],
  [
    ["None", "[1.0, true]", "{}", '{"name": "x", "color": "red"}'],
    { out: null, outs: [1, 1], d: {}, p: { name: "x", color: "red", maybe: null, many: [] } },
  ],
  [["red", '["1"]', "{}", '{"name": "x", "color": "red"}'], undefined],
  [["red", "[1]", '{"a": "GREEN"}', '{"name": "x", "color": "red"}'], undefined],
  [["red", "[1]", "{}", '{"name": "x", "color": "RED"}'], undefined],
  [["red", "[ONE]", "{}", '{"name": "x", "color": "red"}'], undefined],
];

const Color = z.enum({ RED: "red", GREEN: "green" }).meta({ title: "Color" });
const Num = z.enum({ ONE: 1, TWO: 2 }).meta({ title: "Num" });
const P = z
  .object({ name: z.string(), color: Color, maybe: Color.nullable().default(null), many: z.array(Num).default([]) })
  .meta({ title: "P" });
const sig = signatureFromZod({
  inputs: z.object({ color: Color, lc: z.array(Color) }),
  outputs: z.object({ out: Color.nullable(), outs: z.array(Num), d: z.record(z.string(), Color), p: P }),
});
const chat = new ChatAdapter();

describe("Enum types inside other types", () => {
  it("describes them with $defs and $refs and formats Enum inputs by value, as DSPy does", () => {
    assert.deepEqual(chat.format(sig, [], { color: "red", lc: ["red", "green"] }), DSPY_MESSAGES);
  });

  for (const [[out, outs, d, p], expected] of DSPY_PARSES) {
    it(`parses ${JSON.stringify([out, outs, d, p])} as DSPy does`, () => {
      const text = `[[ ## out ## ]]\n${out}\n\n[[ ## outs ## ]]\n${outs}\n\n[[ ## d ## ]]\n${d}\n\n[[ ## p ## ]]\n${p}\n\n[[ ## completed ## ]]`;
      if (expected === undefined) assert.throws(() => chat.parse(sig, text), AdapterParseError);
      else assert.deepEqual(chat.parse(sig, text), expected);
    });
  }

  it("reads a titled enum of a JSON schema as an Enum class, an untitled one as a Literal", () => {
    const named = typeFromJSONSchema({ type: "array", items: { type: "string", enum: ["a"], title: "E" } });
    assert.equal(
      JSON.stringify(jsonSchema(named)),
      '{"type":"array","$defs":{"E":{"type":"string","enum":["a"],"title":"E"}},"items":{"$ref":"#/$defs/E"}}',
    );
    assert.deepEqual(typeFromJSONSchema({ type: "string", enum: ["a"] }), { kind: "literal", values: ["a"] });
  });
});
