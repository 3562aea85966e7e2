import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AdapterParseError,
  ChainOfThought,
  LMHistory,
  ChatAdapter,
  configure,
  context,
  Example,
  InputError,
  JSONAdapter,
  XMLAdapter,
  Module,
  NoLMError,
  Predict,
  type Prediction,
  ScriptedLM,
  Signature,
  type TraceEntry,
  UsageTracker,
  Cache,
  ConfigurationError,
  openai,
} from "../../src/index.js";
import { type Loopback, start as startLoopbackOpenAI } from "../helpers/loopback-openai.js";

describe("Predict", () => {
  it("formats with ChatAdapter, calls the LM and parses typed outputs", async () => {
    const lm = new ScriptedLM([{ answer: "Paris", confidence: 0.9 }]);
    const qa = new Predict("question, context: list[str] -> answer, confidence: float");
    const pred = await context({ lm }, () => qa.call({ question: "Capital of France?", context: ["France", "Paris"] }));
    assert.equal(pred.answer, "Paris");
    assert.equal(pred.confidence, 0.9);
    const expected = new ChatAdapter().format(qa.signature, [], {
      question: "Capital of France?",
      context: ["France", "Paris"],
    });
    assert.deepEqual(lm.requests[0]!.messages, expected);
  });

  it("passes demos and per-call config", async () => {
    const lm = new ScriptedLM([{ answer: "4" }]);
    const p = new Predict("question -> answer", { temperature: 0.3 });
    p.demos = [new Example({ question: "1+1?", answer: "2" })];
    await context({ lm }, () => p.call({ question: "2+2?" }, { config: { maxTokens: 50 } }));
    const req = lm.requests[0]!;
    assert.equal(req.temperature, 0.3);
    assert.equal(req.maxTokens, 50);
    assert.match(req.messages.map((m) => m.content).join("\n"), /1\+1\?/);
  });

  it("returns all completions for n > 1 and raises a near-greedy temperature", async () => {
    const lm = new ScriptedLM([{ answer: "a" }, { answer: "b" }, { answer: "c" }]);
    const p = new Predict("question -> answer", { n: 3 });
    const pred = await context({ lm }, () => p.call({ question: "?" }));
    assert.equal(pred.answer, "a");
    assert.deepEqual(
      pred.completions.map((c) => c.answer),
      ["a", "b", "c"],
    );
    assert.equal(lm.requests[0]!.n, 3);
    assert.equal(lm.requests[0]!.temperature, 0.7);
  });

  it("falls back to JSONAdapter once when ChatAdapter cannot parse", async () => {
    const lm = new ScriptedLM(["I think the answer is Paris.", '{"answer": "Paris"}']);
    const pred = await context({ lm }, () => new Predict("question -> answer").call({ question: "Capital?" }));
    assert.equal(pred.answer, "Paris");
    assert.equal(lm.requests.length, 2);
    const sig = Signature.parse("question -> answer");
    assert.deepEqual(lm.requests[1]!.messages, new JSONAdapter().format(sig, [], { question: "Capital?" }));
  });

  it("formats with XMLAdapter and falls back to JSONAdapter once on malformed XML, as DSPy's ChatAdapter subclasses do", async () => {
    const xml = new XMLAdapter();
    const sig = Signature.parse("question -> answer, n: int");
    const ok = new ScriptedLM(["<answer>\nParis &amp; Lyon\n</answer>\n<n>2</n>"]);
    const pred = await context({ lm: ok, adapter: xml }, () => new Predict(sig).call({ question: "Cities?" }));
    assert.deepEqual([pred.answer, pred.n], ["Paris & Lyon", 2]);
    assert.deepEqual(ok.requests[0]!.messages, xml.format(sig, [], { question: "Cities?" }));
    const bad = new ScriptedLM(["<answer>Paris & Lyon</answer><n>2</n>", '{"answer": "Paris", "n": 1}']);
    const fallback = await context({ lm: bad, adapter: xml }, () => new Predict(sig).call({ question: "Cities?" }));
    assert.deepEqual([fallback.answer, fallback.n], ["Paris", 1]);
    assert.deepEqual(bad.requests[1]!.messages, new JSONAdapter().format(sig, [], { question: "Cities?" }));
  });

  it("throws AdapterParseError with the raw completion when both adapters fail", async () => {
    const lm = new ScriptedLM(["no fields here", "still nothing"]);
    await assert.rejects(
      context({ lm }, () => new Predict("question -> answer").call({ question: "?" })),
      (e: unknown) => e instanceof AdapterParseError && e.completion === "still nothing",
    );
  });

  it("does not fall back when disabled", async () => {
    const lm = new ScriptedLM(["no fields"]);
    await assert.rejects(
      context({ lm, useJSONFallback: false }, () => new Predict("question -> answer").call({ question: "?" })),
      AdapterParseError,
    );
    assert.equal(lm.requests.length, 1);
  });

  it("warns about a missing input and proceeds as DSPy does; strictInputs makes it an InputError", async () => {
    const warnings: string[] = [];
    const lm = new ScriptedLM([{ answer: "Paris" }]);
    const sig = Signature.parse("question, context -> answer");
    const pred = await context({ lm, warn: (m) => warnings.push(m) }, () =>
      // @ts-expect-error: a missing input is a compile error for typed signatures; at run time DSPy's warning.
      new Predict(sig).call({ question: "?" }),
    );
    assert.equal(pred.answer, "Paris");
    assert.deepEqual(warnings, [
      "Not all input fields were provided to module. Present: ['question']. Missing: ['context'].",
    ]);
    // The prompt leaves the missing field out, as DSPy's does.
    assert.deepEqual(lm.requests[0]!.messages, new ChatAdapter().format(sig, [], { question: "?" }));
    await assert.rejects(
      context({ lm: new ScriptedLM([]), strictInputs: true }, () =>
        // @ts-expect-error: the compiler knows `context` is missing; the runtime must say so too.
        new Predict("question, context -> answer").call({ question: "?" }),
      ),
      (e: unknown) => e instanceof InputError && /context/.test(e.message) && /context: \.\.\./.test(e.fix ?? ""),
    );
  });

  it("rejects a missing LM with a typed error", async () => {
    await assert.rejects(
      context({ embeddedDefault: false }, () => new Predict("q -> a").call({ q: "?" })),
      NoLMError,
    );
  });
});

describe("configuration errors", () => {
  it("rejects a model name given where an LM object belongs, with the fix", () => {
    assert.throws(
      // biome-ignore lint/suspicious/noExplicitAny: the mistake under test is a wrong type
      () => configure({ lm: "openai/gpt-4o-mini" as any }),
      (e: unknown) => e instanceof ConfigurationError && /lm\("openai\/gpt-4o-mini"\)/.test(e.fix ?? ""),
    );
    // biome-ignore lint/suspicious/noExplicitAny: as above
    assert.throws(() => context({ lm: {} as any }, () => 1), ConfigurationError);
  });
});

describe("ChainOfThought", () => {
  it("adds DSPy's reasoning field before the outputs", async () => {
    const lm = new ScriptedLM([{ reasoning: "France's capital is Paris.", answer: "Paris" }]);
    const cot = new ChainOfThought("question -> answer");
    assert.deepEqual(
      cot.predict.signature.outputFields.map((f) => f.name),
      ["reasoning", "answer"],
    );
    assert.equal(cot.predict.signature.instructions, "Given the fields `question`, produce the fields `answer`.");
    const pred = await context({ lm }, () => cot.call({ question: "Capital of France?" }));
    assert.equal(pred.reasoning, "France's capital is Paris.");
    assert.equal(pred.answer, "Paris");
  });
});

class TwoStep extends Module<{ question: string }> {
  readonly draft = new Predict("question -> draft");
  readonly refine = new ChainOfThought("question, draft -> answer");
  async forward(inputs: { question: string }): Promise<Prediction> {
    const d = await this.draft.call(inputs);
    return this.refine.call({ question: inputs.question, draft: d.draft });
  }
}

describe("settings and tracing", () => {
  it("keeps concurrent contexts apart", async () => {
    const p = new Predict("question -> answer");
    const a = new ScriptedLM([{ answer: "from A" }], { latencyMs: 20 });
    const b = new ScriptedLM([{ answer: "from B" }], { latencyMs: 5 });
    const [ra, rb] = await Promise.all([
      context({ lm: a }, () => p.call({ question: "?" })),
      context({ lm: b }, () => p.call({ question: "?" })),
    ]);
    assert.equal(ra.answer, "from A");
    assert.equal(rb.answer, "from B");
  });

  it("records every predictor call of a program in the trace", async () => {
    const lm = new ScriptedLM([{ draft: "d1" }, { reasoning: "r", answer: "final" }]);
    const program = new TwoStep();
    const trace: TraceEntry[] = [];
    const pred = await context({ lm, trace }, () => program.call({ question: "q" }));
    assert.equal(pred.answer, "final");
    assert.deepEqual(
      trace.map((t) => t.predictor),
      [program.draft, program.refine.predict],
    );
    assert.deepEqual(trace[1]!.inputs, { question: "q", draft: "d1" });
    assert.deepEqual(
      program.namedPredictors().map(([n]) => n),
      ["draft", "refine.predict"],
    );
  });

  it("tracks usage and history in context, and configure() sets defaults", async () => {
    const usage = new UsageTracker();
    const history = new LMHistory(10);
    configure({ lm: new ScriptedLM([{ answer: "x" }]) });
    try {
      await context({ usage, history }, () => new Predict("q -> answer").call({ q: "?" }));
    } finally {
      configure({ lm: undefined });
    }
    assert.equal(history.size, 1);
    assert.ok(usage.snapshot().total.totalTokens > 0);
  });
});

describe("cache through Predict (real HTTP client, loopback server)", () => {
  let server: Loopback;
  before(async () => {
    server = await startLoopbackOpenAI();
  });
  after(async () => {
    await server.close();
  });

  it("serves a repeated call from the cache, flagged and without usage", async () => {
    server.setScript(() => ({ kind: "completion", outputs: "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]" }));
    const lm = openai({ baseURL: server.url, model: "m", apiKey: "sk-test" });
    const cache = new Cache({ disk: false });
    const usage = new UsageTracker();
    const p = new Predict("question -> answer");
    const first = await context({ lm, cache, usage }, () => p.call({ question: "Capital?" }));
    const second = await context({ lm, cache, usage }, () => p.call({ question: "Capital?" }));
    assert.equal(first.answer, "Paris");
    assert.equal(second.answer, "Paris");
    assert.equal(server.requests.length, 1);
    assert.equal(second.lmUsage?.totalTokens, 0);
    const third = await context({ lm, cache }, () => p.call({ question: "Capital?" }, { config: { cache: false } }));
    assert.equal(third.answer, "Paris");
    assert.equal(server.requests.length, 2);
    await context({ lm, cache: false }, () => p.call({ question: "Capital?" }));
    assert.equal(server.requests.length, 3);
  });
});
