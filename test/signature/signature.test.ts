import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { z } from "zod";
import { inferPrefix, Signature, SignatureError, signatureFromZod } from "../../src/signature/index.js";

interface FixtureField {
  name: string;
  kind: string;
  typeName: string;
  prefix: string;
  description: string;
  jsonSchema: unknown;
}
type Case =
  | { spec: string; ok: true; instructions: string; fields: FixtureField[] }
  | { spec: string; ok: false; error: string };

const fixture = JSON.parse(readFileSync(new URL("../fixtures/signatures.json", import.meta.url), "utf8")) as {
  cases: Case[];
};

// DSPy silently collapses "a, a -> b" into one field; we reject it on purpose (issue [core]).
// DSPy also accepts "question ->" (no outputs, nothing to ask the LM for); we reject it (issue [types]).
const STRICTER_THAN_DSPY = new Set(["a, a -> b", "question ->"]);

describe("Signature.parse against DSPy golden fixtures", () => {
  for (const c of fixture.cases) {
    if (c.ok && !STRICTER_THAN_DSPY.has(c.spec)) {
      it(`accepts ${JSON.stringify(c.spec)} exactly as DSPy`, () => {
        const sig = Signature.parse(c.spec);
        assert.equal(sig.instructions, c.instructions);
        const ours = sig.fields.map((f) => ({
          name: f.name,
          kind: f.kind,
          typeName: f.typeName,
          prefix: f.prefix,
          description: f.description,
          jsonSchema: f.jsonSchema,
        }));
        if (c.spec.includes("History")) {
          // DSPy's History schema embeds its long pydantic docstring; compare everything else.
          for (const f of [...ours, ...c.fields]) f.jsonSchema = null;
        }
        // Key order matters: DSPy prints these schemas verbatim in prompts.
        assert.equal(JSON.stringify(ours), JSON.stringify(c.fields));
      });
    } else {
      it(`rejects ${JSON.stringify(c.spec)} with a positioned SignatureError`, () => {
        assert.throws(
          () => Signature.parse(c.spec),
          (e: unknown) => {
            assert.ok(e instanceof SignatureError, String(e));
            assert.equal(typeof e.position, "number");
            assert.match(e.message, /\^/);
            return true;
          },
        );
      });
    }
  }
});

describe("SignatureError messages", () => {
  const messageOf = (spec: string) => {
    try {
      Signature.parse(spec);
    } catch (e) {
      assert.ok(e instanceof SignatureError);
      return e;
    }
    assert.fail(`expected ${spec} to throw`);
  };
  it("points at the output that repeats an input", () => {
    const e = messageOf("value -> value");
    assert.equal(e.position, 9);
    assert.match(e.message, /both an input and an output/);
    assert.match(e.fix ?? "", /rename/);
  });
  it("suggests the nearest known type", () => {
    const e = messageOf("x: Strr -> y");
    assert.equal(e.position, 3);
    assert.match(e.fix ?? "", /did you mean "str"/);
  });
  it("reports unclosed and unbalanced brackets", () => {
    assert.match(messageOf("x: list[int -> y").message, /Unclosed "\["/);
    assert.match(messageOf("x: list[int]] -> y").message, /Unbalanced "\]"/);
  });
  it("reports a missing arrow and an empty spec", () => {
    assert.match(messageOf("question answer").message, /no "->"/);
    assert.match(messageOf("").message, /Empty signature/);
    assert.match(messageOf("   ").message, /Empty signature/);
  });
  it("rejects duplicates within one side", () => {
    const e = messageOf("a, a -> b");
    assert.equal(e.position, 3);
    assert.match(e.message, /Duplicate field "a"/);
  });
  it("rejects a missing comma with a concrete fix", () => {
    const e = messageOf("question context -> answer");
    assert.match(e.fix ?? "", /question, context/);
  });
});

describe("prefix inference", () => {
  it("matches DSPy's infer_prefix", () => {
    assert.equal(inferPrefix("isHTTPSSecure123"), "Is HTTPS Secure 123");
    assert.equal(inferPrefix("camelCaseText"), "Camel Case Text");
    assert.equal(inferPrefix("snake_case_text"), "Snake Case Text");
    assert.equal(inferPrefix("text2number"), "Text 2 Number");
    assert.equal(inferPrefix("HTMLParser"), "HTML Parser");
  });
});

describe("editing", () => {
  const base = Signature.parse("question -> answer");
  it("keeps the original instructions through append/prepend/delete, as DSPy does", () => {
    const cot = base.prepend("reasoning", "output", { desc: "${reasoning}" });
    assert.deepEqual(
      cot.outputFields.map((f) => f.name),
      ["reasoning", "answer"],
    );
    assert.equal(cot.instructions, base.instructions);
    const more = base.append("context", "input", { type: "list[str]" });
    assert.deepEqual(
      more.inputFields.map((f) => f.name),
      ["question", "context"],
    );
    assert.equal(more.field("context")?.typeName, "list[str]");
    assert.deepEqual(more.delete("context").fields, base.fields);
  });
  it("returns new signatures and leaves the original untouched", () => {
    const edited = base.withInstructions("  Answer briefly.\n    Be kind.  ");
    assert.equal(edited.instructions, "Answer briefly.\nBe kind.  ");
    assert.equal(base.instructions, "Given the fields `question`, produce the fields `answer`.");
    assert.throws(() => base.append("question", "output"), SignatureError);
  });
  it("dumps and loads DSPy's state shape", () => {
    const state = base.dumpState();
    assert.deepEqual(state, {
      instructions: "Given the fields `question`, produce the fields `answer`.",
      fields: [
        { prefix: "Question:", description: "${question}" },
        { prefix: "Answer:", description: "${answer}" },
      ],
    });
    const loaded = base.loadState({ instructions: "New.", fields: [{ prefix: "Q:", description: "the q" }] });
    assert.equal(loaded.instructions, "New.");
    assert.equal(loaded.field("question")?.prefix, "Q:");
    assert.equal(loaded.field("answer")?.prefix, "Answer:");
  });
});

describe("other forms", () => {
  it("accepts the map form with descriptions", () => {
    const sig = Signature.fromMap({
      instructions: "Answer questions.",
      inputs: { question: { type: "str", desc: "a question" }, context: "list[str]" },
      outputs: { answer: { desc: "short answer" }, confidence: "float" },
    });
    assert.equal(sig.spec, "question, context -> answer, confidence");
    assert.equal(sig.field("question")?.description, "a question");
    assert.equal(sig.field("context")?.typeName, "list[str]");
    assert.deepEqual(sig.field("confidence")?.jsonSchema, { type: "number" });
  });
  it("accepts zod object schemas", () => {
    const sig = signatureFromZod({
      inputs: z.object({ question: z.string().describe("the question") }),
      outputs: z.object({
        answer: z.string(),
        score: z.number().int(),
        tags: z.array(z.string()),
        label: z.enum(["yes", "no"]),
        note: z.string().optional(),
      }),
    });
    assert.deepEqual(
      sig.fields.map((f) => f.typeName),
      ["str", "str", "int", "list[str]", "Literal['yes', 'no']", "Union[str, NoneType]"],
    );
    assert.equal(sig.field("question")?.description, "the question");
  });
  it("rejects a bad map with a clear error", () => {
    assert.throws(() => Signature.fromMap({ inputs: { "bad name": "str" }, outputs: {} }), SignatureError);
    assert.throws(() => Signature.fromMap({ inputs: { x: "Strr" }, outputs: {} }), /Unknown type "Strr"/);
  });
});
