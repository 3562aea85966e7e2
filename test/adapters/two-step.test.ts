/**
 * TwoStepAdapter against DSPy 3.4.1: the expected messages were printed by DSPy for the same
 * signature, demo, inputs and LM replies (the fuzz harness checks 200 random cases more).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AdapterParseError } from "../../src/adapters/errors.js";
import { TwoStepAdapter } from "../../src/adapters/two-step.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { Predict } from "../../src/modules/predict.js";
import { context } from "../../src/runtime/settings.js";
import { Signature } from "../../src/signature/signature.js";

const DSPY = {
  messages: [
    {
      role: "system",
      content:
        "You are a helpful assistant that can solve tasks based on user input.\nAs input, you will be provided with:\n1. `question` (str): \n2. `context` (list[str]):\nYour outputs must contain:\n1. `answer` (str): \n2. `confidence` (float):\nYou should lay out your outputs in detail so that your answer can be understood by another agent\nSpecific instructions: Answer briefly.",
    },
    {
      role: "user",
      content: "question: Capital of Spain?\n\ncontext: ['Spain']",
    },
    {
      role: "assistant",
      content: "answer: Madrid\n\nconfidence: 1.0",
    },
    {
      role: "user",
      content: "question: Capital of France?\n\ncontext: ['France', 'Paris']",
    },
  ],
  extraction: [
    {
      role: "system",
      content:
        "Your input fields are:\n1. `text` (str):\nYour output fields are:\n1. `answer` (str): \n2. `confidence` (float):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## text ## ]]\n{text}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## confidence ## ]]\n{confidence}        # note: the value you produce must be a single float value\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        The input is a text that should contain all the necessary information to produce the fields `answer`, `confidence`.             Your job is to extract the fields from the text verbatim. Extract precisely the appropriate value (content) for each field.",
    },
    {
      role: "user",
      content:
        "[[ ## text ## ]]\nIt is Paris, I am fairly sure (0.9).\n\nRespond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`, then `[[ ## confidence ## ]]` (must be formatted as a valid Python float), and then ending with the marker for `[[ ## completed ## ]]`.",
    },
  ],
  answer: "Paris",
  confidence: 0.9,
} as const;

const sig = Signature.parse("question, context: list[str] -> answer, confidence: float", "Answer briefly.");
const demo = { question: "Capital of Spain?", context: ["Spain"], answer: "Madrid", confidence: 1.0 };
const inputs = { question: "Capital of France?", context: ["France", "Paris"] };
const EXTRACTED = "[[ ## answer ## ]]\nParis\n\n[[ ## confidence ## ]]\n0.9\n\n[[ ## completed ## ]]";

describe("TwoStepAdapter", () => {
  it("formats the main prompt as DSPy does", () => {
    const adapter = new TwoStepAdapter(new ScriptedLM([]));
    assert.deepEqual(adapter.format(sig, [demo], inputs), DSPY.messages);
  });

  it("extracts the outputs with the extraction LM through ChatAdapter", async () => {
    const extraction = new ScriptedLM([EXTRACTED]);
    const predict = new Predict(sig);
    predict.demos = [demo];
    const adapter = new TwoStepAdapter(extraction);
    const lm = new ScriptedLM(["It is Paris, I am fairly sure (0.9)."]);
    const pred = await context({ lm, adapter }, () => predict.call(inputs));
    assert.deepEqual(extraction.requests[0]!.messages, DSPY.extraction);
    assert.equal(pred.answer, DSPY.answer);
    assert.equal(pred.confidence, DSPY.confidence);
  });

  it("falls back to JSONAdapter once, then names itself in the parse error", async () => {
    const extraction = new ScriptedLM(["no markers", "still none"]);
    const lm = new ScriptedLM(["Paris."]);
    await assert.rejects(
      context({ lm, adapter: new TwoStepAdapter(extraction) }, () => new Predict(sig).call(inputs)),
      (e: Error) =>
        e instanceof AdapterParseError &&
        e.adapter === "TwoStepAdapter" &&
        /Failed to parse response from the original completion/.test(e.message),
    );
    assert.equal(extraction.requests.length, 2);
  });

  it("has no synchronous parse", () => {
    assert.throws(() => new TwoStepAdapter(new ScriptedLM([])).parse(sig, "x"), AdapterParseError);
  });
});
