/**
 * dspy.Code and dspy.Reasoning field types. Expected messages and parses were printed by DSPy 3.4.1.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChatAdapter } from "../../src/adapters/chat.js";
import { AdapterParseError } from "../../src/adapters/errors.js";
import { SignatureError } from "../../src/signature/errors.js";
import { Signature } from "../../src/signature/signature.js";

const DSPY_MESSAGES: Record<string, unknown> = {
  // DSPy 3.4.1 prints these for the class form (`code: dspy.Code["java"] = dspy.OutputField()`); its
  // string parser hands Code a tuple and fails to format, so the class form is what we follow.
  'q -> code: dspy.Code["java"]': [
    {
      role: "system",
      content:
        "Your input fields are:\n1. `q` (str):\nYour output fields are:\n1. `code` (Code_java): \n    Type description of Code_java: Code represented in a string, specified in the `code` field. If this is an output field, the code field should follow the markdown code block format, e.g. \n```java\n{code}\n```\nProgramming language: java\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## q ## ]]\n{q}\n\n[[ ## code ## ]]\n{code}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `q`, produce the fields `code`.",
    },
    {
      role: "user",
      content:
        "[[ ## q ## ]]\nx = 1\n\nRespond with the corresponding output fields, starting with the field `[[ ## code ## ]]` (must be formatted as a valid Python Code_java), and then ending with the marker for `[[ ## completed ## ]]`.",
    },
  ],
  "code: dspy.Code['Rust'] -> a": [
    {
      role: "system",
      content:
        "Your input fields are:\n1. `code` (Code_Rust): \n    Type description of Code_Rust: Code represented in a string, specified in the `code` field. If this is an output field, the code field should follow the markdown code block format, e.g. \n```rust\n{code}\n```\nProgramming language: Rust\nYour output fields are:\n1. `a` (str):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## code ## ]]\n{code}\n\n[[ ## a ## ]]\n{a}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `code`, produce the fields `a`.",
    },
    {
      role: "user",
      content:
        "[[ ## code ## ]]\nx = 1\n\nRespond with the corresponding output fields, starting with the field `[[ ## a ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`.",
    },
  ],
  "question -> code: dspy.Code": [
    {
      role: "system",
      content:
        "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `code` (Code): \n    Type description of Code: Code represented in a string, specified in the `code` field. If this is an output field, the code field should follow the markdown code block format, e.g. \n```python\n{code}\n```\nProgramming language: python\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## code ## ]]\n{code}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `question`, produce the fields `code`.",
    },
    {
      role: "user",
      content:
        "[[ ## question ## ]]\nx = 1\n\nRespond with the corresponding output fields, starting with the field `[[ ## code ## ]]` (must be formatted as a valid Python Code), and then ending with the marker for `[[ ## completed ## ]]`.",
    },
  ],
  "code: dspy.Code, question -> answer": [
    {
      role: "system",
      content:
        "Your input fields are:\n1. `code` (Code): \n    Type description of Code: Code represented in a string, specified in the `code` field. If this is an output field, the code field should follow the markdown code block format, e.g. \n```python\n{code}\n```\nProgramming language: python\n2. `question` (str):\nYour output fields are:\n1. `answer` (str):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## code ## ]]\n{code}\n\n[[ ## question ## ]]\n{question}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `code`, `question`, produce the fields `answer`.",
    },
    {
      role: "user",
      content:
        "[[ ## code ## ]]\nx = 1\n\n[[ ## question ## ]]\nx = 1\n\nRespond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`.",
    },
  ],
  "question -> reasoning: dspy.Reasoning, answer": [
    {
      role: "system",
      content:
        "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `reasoning` (str): \n2. `answer` (str):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## reasoning ## ]]\n{reasoning}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `question`, produce the fields `reasoning`, `answer`.",
    },
    {
      role: "user",
      content:
        "[[ ## question ## ]]\nx = 1\n\nRespond with the corresponding output fields, starting with the field `[[ ## reasoning ## ]]` (must be formatted as a valid Python str), then `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`.",
    },
  ],
};
const DSPY_CODE_PARSES: Record<string, string> = {
  "```python\nprint(1)\n```": "print(1)",
  "```print(2)```": "print(2)",
  "x = 3": "x = 3",
  '{"code": "```js\\nf()\\n```"}': "f()",
  '{"lang": 1}': '{"lang": 1}',
};

const chat = new ChatAdapter();

describe("dspy.Code and dspy.Reasoning", () => {
  for (const [spec, expected] of Object.entries(DSPY_MESSAGES)) {
    it(`formats ${spec} as DSPy does`, () => {
      const sig = Signature.parse(spec);
      const inputs = Object.fromEntries(sig.inputFields.map((f) => [f.name, "x = 1"]));
      assert.deepEqual(chat.format(sig, [], inputs), expected);
    });
  }

  for (const [text, expected] of Object.entries(DSPY_CODE_PARSES)) {
    it(`reads a Code output written as ${JSON.stringify(text)}`, () => {
      const sig = Signature.parse("question -> code: dspy.Code");
      const parse = () => chat.parse(sig, `[[ ## code ## ]]\n${text}\n\n[[ ## completed ## ]]`).code;
      if (expected === "ERROR") assert.throws(parse, AdapterParseError);
      else assert.equal(parse(), expected);
    });
  }

  it('reads a dspy.Code["java"] output out of its fence, and refuses a language that is not a string', () => {
    const sig = Signature.parse('q -> code: dspy.Code["java"]');
    assert.equal(chat.parse(sig, "[[ ## code ## ]]\n```java\nint x;\n```\n\n[[ ## completed ## ]]").code, "int x;");
    assert.throws(() => Signature.parse("q -> code: dspy.Code[java]"), SignatureError);
    assert.throws(() => Signature.parse('q -> code: dspy.Code["a", "b"]'), SignatureError);
  });

  it("reads a Reasoning output as its text", () => {
    const sig = Signature.parse("question -> reasoning: dspy.Reasoning, answer");
    const out = chat.parse(sig, "[[ ## reasoning ## ]]\nbecause\n\n[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]");
    assert.deepEqual(out, { reasoning: "because", answer: "4" });
  });
});
