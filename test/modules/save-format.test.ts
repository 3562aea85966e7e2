import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { resolvePython } from "../../src/bridge/python-env.js";
import { ChainOfThought, Example, Module, Predict, type Prediction } from "../../src/index.js";

class Pipeline extends Module<{ question: string }> {
  readonly rewrite = new Predict("question -> query");
  readonly answer = new ChainOfThought("question, context: list[str] -> answer");
  readonly steps = [new Predict("a -> b")];

  async forward(inputs: { question: string }): Promise<Prediction> {
    const q = await this.rewrite.call(inputs);
    return this.answer.call({ question: inputs.question, context: [String(q.query)] });
  }
}

/** The same program in Python DSPy, with attribute names matching ours. */
const PYTHON_PROGRAM = `
import dspy, json, sys
class Pipeline(dspy.Module):
    def __init__(self):
        super().__init__()
        self.rewrite = dspy.Predict("question -> query")
        self.answer = dspy.ChainOfThought("question, context: list[str] -> answer")
        self.steps = [dspy.Predict("a -> b")]
`;

function python(script: string, ...args: string[]): string {
  const env = resolvePython();
  return execFileSync(env.python, ["-c", script, ...args], {
    encoding: "utf8",
    env: { ...process.env, DSPY_CACHEDIR: join(tmpdir(), "dspex-test-dspy-cache") },
  });
}

describe("program state in DSPy's save format", () => {
  it("walks predictors with DSPy's names", () => {
    const names = new Pipeline().namedPredictors().map(([n]) => n);
    assert.deepEqual(names, ["rewrite", "answer.predict", "steps[0]"]);
  });

  it("writes a file that Python dspy loads into the equivalent program", async () => {
    const program = new Pipeline();
    program.rewrite.demos = [new Example({ question: "Who wrote Hamlet?", query: "Hamlet author" })];
    program.answer.predict.signature = program.answer.predict.signature.withInstructions("Answer with citations.");
    program.answer.predict.demos = [
      { question: "2+2?", context: ["math"], reasoning: "2 plus 2 is 4", answer: "4", augmented: true },
    ];
    const dir = mkdtempSync(join(tmpdir(), "dspex-save-"));
    const path = join(dir, "program.json");
    await program.save(path);

    const out = python(
      `${PYTHON_PROGRAM}
p = Pipeline()
p.load(sys.argv[1])
print(json.dumps({
  "instructions": p.answer.predict.signature.instructions,
  "demo": p.answer.predict.demos[0] if isinstance(p.answer.predict.demos[0], dict) else p.answer.predict.demos[0].toDict(),
  "rewrite_demo": dict(p.rewrite.demos[0]),
  "fields": list(p.answer.predict.signature.fields.keys()),
}))
p.save(sys.argv[2])
`,
      path,
      join(dir, "from-python.json"),
    );
    const loaded = JSON.parse(out) as Record<string, unknown>;
    assert.equal(loaded.instructions, "Answer with citations.");
    assert.deepEqual(loaded.fields, ["question", "context", "reasoning", "answer"]);
    assert.deepEqual(loaded.demo, program.answer.predict.demos[0]);
    assert.deepEqual(loaded.rewrite_demo, { question: "Who wrote Hamlet?", query: "Hamlet author" });

    // Python re-saves it byte for byte as we wrote it.
    assert.equal(readFileSync(join(dir, "from-python.json"), "utf8"), readFileSync(path, "utf8"));
  });

  it("loads a program saved by Python dspy", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dspex-load-"));
    const path = join(dir, "py.json");
    python(
      `${PYTHON_PROGRAM}
p = Pipeline()
p.answer.predict.signature = p.answer.predict.signature.with_instructions("Be brief.")
p.answer.predict.demos = [dspy.Example(question="q", context=["c"], reasoning="r", answer="a")]
p.steps[0].demos = [dspy.Example(a="x", b="y")]
p.save(sys.argv[1])
`,
      path,
    );
    const program = await new Pipeline().load(path);
    assert.equal(program.answer.predict.signature.instructions, "Be brief.");
    assert.deepEqual(program.answer.predict.demos, [{ question: "q", context: ["c"], reasoning: "r", answer: "a" }]);
    assert.deepEqual(program.steps[0]!.demos, [{ a: "x", b: "y" }]);
    // Saving again gives the same bytes Python wrote.
    const again = join(dir, "again.json");
    await program.save(again);
    assert.equal(readFileSync(again, "utf8"), readFileSync(path, "utf8"));
  });

  it("rejects a state that does not fit the program, changing nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dspex-bad-"));
    const path = join(dir, "bad.json");
    writeFileSync(path, JSON.stringify({ rewrite: { demos: [], signature: { instructions: "x", fields: [] } } }));
    const program = new Pipeline();
    const before = JSON.stringify(program.dumpState());
    await assert.rejects(program.load(path), /no entry for predictor "answer.predict"/);
    assert.equal(JSON.stringify(program.dumpState()), before);
    await assert.rejects(
      program.save(join(dir, "x.pkl")),
      (e: unknown) => e instanceof Error && /ending in .json/.test((e as { fix?: string }).fix ?? ""),
    );
  });
});
