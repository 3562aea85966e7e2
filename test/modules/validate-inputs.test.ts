/**
 * Run-time checks of what a caller passes: inputs against the signature, a per-call `lm`, and the
 * signature itself. Each runs a real Predict against a ScriptedLM; the typed API would already
 * reject most of these at compile time, so the calls go through `Fields`-typed values, as they
 * would from JavaScript, JSON or the CLI.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigurationError } from "../../src/errors.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import type { LM } from "../../src/lm/types.js";
import { InputError } from "../../src/modules/errors.js";
import type { Fields } from "../../src/modules/example.js";
import { Predict } from "../../src/modules/predict.js";
import { validateInputs } from "../../src/modules/validate-inputs.js";
import { context } from "../../src/runtime/settings.js";
import { SignatureError } from "../../src/signature/errors.js";
import { Signature } from "../../src/signature/signature.js";

const untyped = (p: Predict<string>, inputs: Fields, options?: { lm?: LM }) => p.call(inputs, options);

describe("input validation", () => {
  it("an undefined value counts as missing: DSPy's warning by default, under strictInputs an error saying so", async () => {
    const warnings: string[] = [];
    const lenient = new ScriptedLM([{ answer: "x" }]);
    const qa = new Predict("question -> answer");
    const pred = await context({ lm: lenient, warn: (m) => warnings.push(m) }, () =>
      untyped(qa, { question: undefined }),
    );
    assert.equal(pred.answer, "x");
    assert.deepEqual(warnings, ["Not all input fields were provided to module. Present: []. Missing: ['question']."]);
    const lm = new ScriptedLM([{ answer: "x" }]);
    await assert.rejects(
      context({ lm, strictInputs: true }, () => untyped(qa, { question: undefined })),
      (e: unknown) =>
        e instanceof InputError &&
        /Missing input field question/.test(e.message) &&
        /question is undefined/.test(e.fix ?? ""),
    );
    assert.equal(lm.requests.length, 0, "no LM call is made with a missing input");
  });

  it("an Optional input may be left out or undefined", async () => {
    const lm = new ScriptedLM([{ answer: "x" }, { answer: "y" }]);
    const qa = new Predict("question, hint: Optional[str] -> answer");
    const a = await context({ lm }, () => qa.call({ question: "q" }));
    const b = await context({ lm }, () => untyped(qa, { question: "q", hint: undefined }));
    assert.deepEqual([a.answer, b.answer], ["x", "y"]);
  });

  it("a misspelled required key: the strict missing-field error suggests the right name", async () => {
    const qa = new Predict("question, context -> answer");
    await assert.rejects(
      context({ lm: new ScriptedLM([]), strictInputs: true }, () => untyped(qa, { questoin: "q", context: "c" })),
      (e: unknown) => e instanceof InputError && /"questoin": did you mean "question"\?/.test(e.fix ?? ""),
    );
  });

  it("an unknown extra key gets DSPy's warning with a suggestion, once per signature, and the call runs", async () => {
    const warnings: string[] = [];
    const sig = Signature.parse("question, hint: Optional[str] -> answer");
    const check = () => validateInputs(sig, { question: "q", hnit: "h" }, { warn: (m) => warnings.push(m) });
    check();
    check();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /Input contains fields not in signature\. These fields will be ignored: hnit\./);
    assert.match(warnings[0]!, /Expected fields: question, hint\./);
    assert.match(warnings[0]!, /"hnit": did you mean "hint"\?/);

    const lm = new ScriptedLM([{ answer: "ok" }]);
    const original = console.warn;
    const seen: string[] = [];
    console.warn = (m: string) => seen.push(m);
    try {
      const pred = await context({ lm }, () => untyped(new Predict("question -> answer"), { question: "q", extra: 1 }));
      assert.equal(pred.answer, "ok");
    } finally {
      console.warn = original;
    }
    assert.equal(seen.length, 1);
    assert.match(seen[0]!, /These fields will be ignored: extra/);
  });

  it("strictInputs turns the unknown-key warning into an InputError", async () => {
    const qa = new Predict("question -> answer");
    await assert.rejects(
      context({ lm: new ScriptedLM([{ answer: "x" }]), strictInputs: true }, () =>
        untyped(qa, { question: "q", questions: "again" }),
      ),
      (e: unknown) =>
        e instanceof InputError && /Unknown input field questions/.test(e.message) && /did you mean/.test(e.fix ?? ""),
    );
  });

  it("inputs that are not an object are an InputError", async () => {
    const qa = new Predict("question -> answer");
    await assert.rejects(
      context({ lm: new ScriptedLM([]) }, () => qa.call("what?" as unknown as { question: string })),
      (e: unknown) => e instanceof InputError && /takes an object of inputs/.test(e.message),
    );
  });
});

describe("a per-call lm", () => {
  it("a string is rejected as configure() rejects it, with the lm(...) fix", async () => {
    const qa = new Predict("question -> answer");
    await assert.rejects(
      untyped(qa, { question: "q" }, { lm: "openai/gpt-4o" as unknown as LM }),
      (e: unknown) =>
        e instanceof ConfigurationError &&
        /`lm` must be an LM object, got the string "openai\/gpt-4o"/.test(e.message) &&
        /lm\("openai\/gpt-4o"\)/.test(e.fix ?? ""),
    );
  });

  it("so is a module's own lm set to a non-LM", async () => {
    const qa = new Predict("question -> answer");
    qa.lm = { model: "x" } as unknown as LM;
    await assert.rejects(untyped(qa, { question: "q" }), ConfigurationError);
  });

  it("a real LM passed per call is used", async () => {
    const lm = new ScriptedLM([{ answer: "per call" }]);
    const pred = await new Predict("question -> answer").call({ question: "q" }, { lm });
    assert.equal(pred.answer, "per call");
  });
});

describe("signatures that cannot work", () => {
  it('"question -> " (no outputs) is rejected with the position of the end', () => {
    assert.throws(
      () => Signature.parse("question -> "),
      (e: unknown) =>
        e instanceof SignatureError &&
        /no output fields/.test(e.message) &&
        e.position === "question -> ".length &&
        /question -> answer/.test(e.fix ?? ""),
    );
    assert.throws(() => new Predict("question ->"), SignatureError);
  });

  it("a map with no outputs is rejected", () => {
    assert.throws(
      () => Signature.fromMap({ inputs: { q: "str" }, outputs: {} }),
      (e: unknown) => e instanceof SignatureError && /at least one output/.test(e.message),
    );
  });

  it("new Signature(string) reads the string as Signature.parse does", () => {
    const a = new Signature("question: str -> answer: int", "Answer briefly.");
    const b = Signature.parse("question: str -> answer: int", "Answer briefly.");
    assert.ok(a.equals(b));
    assert.equal(a.outputFields[0]!.typeName, "int");
  });

  it("new Signature(something else) names Signature.parse in its fix", () => {
    assert.throws(
      () => new Signature(42 as unknown as string),
      (e: unknown) => e instanceof SignatureError && /Signature\.parse/.test(e.fix ?? ""),
    );
  });
});
