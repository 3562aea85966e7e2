/**
 * Enum outputs: a titled zod enum is a Python Enum class to DSPy. Expected messages and parses
 * were printed by DSPy 3.4.1 for class Color(enum.Enum) with RED = "red" and GREEN = "green".
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { ChatAdapter } from "../../src/adapters/chat.js";
import { AdapterParseError } from "../../src/adapters/errors.js";
import { JSONAdapter } from "../../src/adapters/json.js";
import { contentText } from "../../src/lm/compat.js";
import { signatureFromZod } from "../../src/signature/zod.js";

const DSPY = {
  messages: [
    {
      role: "system",
      content:
        "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `color` (Color):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## color ## ]]\n{color}        # note: the value you produce must be one of: red; green\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `question`, produce the fields `color`.",
    },
    {
      role: "user",
      content:
        "[[ ## question ## ]]\nq\n\nRespond with the corresponding output fields, starting with the field `[[ ## color ## ]]` (must be formatted as a valid Python Color), and then ending with the marker for `[[ ## completed ## ]]`.",
    },
  ],
  parses: {
    green: "green",
    GREEN: "green",
    blue: "ERROR",
    " red ": "red",
  },
  json: 'Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `color` (Color):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\nInputs will have the following structure:\n\n[[ ## question ## ]]\n{question}\n\nOutputs will be a JSON object with the following fields.\n\n{\n  "color": "{color}        # note: the value you produce must be one of: red; green"\n}\nIn adhering to this structure, your objective is: \n        Given the fields `question`, produce the fields `color`.',
} as const;

enum Color {
  RED = "red",
  GREEN = "green",
}
const sig = signatureFromZod({
  inputs: z.object({ question: z.string() }),
  outputs: z.object({ color: z.enum(Color).meta({ title: "Color" }) }),
});
const chat = new ChatAdapter();

describe("Enum outputs", () => {
  it("prints the class name and its values as DSPy does", () => {
    assert.deepEqual(chat.format(sig, [], { question: "q" }), DSPY.messages);
    assert.equal(contentText(new JSONAdapter().format(sig, [], { question: "q" })[0]!.content), DSPY.json);
  });

  for (const [text, expected] of Object.entries(DSPY.parses)) {
    it(`finds the member for ${JSON.stringify(text)} by value, then by name`, () => {
      const parse = () => chat.parse(sig, `[[ ## color ## ]]\n${text}\n\n[[ ## completed ## ]]`).color;
      if (expected === "ERROR") assert.throws(parse, AdapterParseError);
      else assert.equal(parse(), expected);
    });
  }

  it("an untitled zod enum stays a Literal", () => {
    const plain = signatureFromZod({
      inputs: z.object({ q: z.string() }),
      outputs: z.object({ c: z.enum(["a", "b"]) }),
    });
    assert.equal(plain.field("c")!.typeName, "Literal['a', 'b']");
  });
});
