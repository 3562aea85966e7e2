import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PythonPool } from "../../src/bridge/index.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import { Predict } from "../../src/modules/predict.js";
import { PythonChainOfThought, PythonPredict } from "../../src/modules/python/predict.js";
import { ReAct } from "../../src/modules/python/react.js";
import { context } from "../../src/runtime/settings.js";
import { EmbeddingsRetriever } from "../../src/retrieve/native.js";
import { ColBERTv2Retriever, PythonEmbeddingsRetriever } from "../../src/retrieve/python-retrievers.js";
import {
  CAPABILITIES,
  ImpossibleOverrideError,
  OPERATIONS,
  PythonUnavailableError,
  Router,
  router,
  UnknownOperationError,
} from "../../src/router/index.js";
import { collectingLogger } from "../bridge/helpers.js";
import { contentText } from "../../src/lm/compat.js";

describe("router: capability table and explain", () => {
  it("lists every operation of the issue, each native, python or hybrid with matching implementations", () => {
    for (const op of [
      "predict",
      "chainOfThought",
      "bestOfN",
      "refine",
      "parallel",
      "evaluate",
      "react",
      "programOfThought",
      "multiChainComparison",
      "labeledFewShot",
      "bootstrapFewShot",
      "bootstrapFewShotWithRandomSearch",
      "knnFewShot",
      "copro",
      "miproV2",
      "simba",
      "gepa",
      "ensemble",
      "bootstrapFinetune",
      "retriever.colbertv2",
      "retriever.embeddings",
    ]) {
      const entry = CAPABILITIES.get(op as never);
      assert.ok(entry, op);
      assert.equal(entry.kind === "hybrid", Boolean(entry.native && entry.python), op);
    }
    assert.equal(OPERATIONS.length, CAPABILITIES.size);
  });

  it("is native first, falls back to Python where there is no native implementation, and says why", () => {
    const predict = router.explain("predict");
    assert.equal(predict.implementation, "native");
    assert.equal(predict.runs, "Predict");
    assert.deepEqual(predict.available, ["native", "python"]);
    assert.match(predict.reason, /native first/);

    const react = router.explain("react");
    assert.equal(react.implementation, "python");
    assert.equal(react.kind, "python");
    assert.equal(react.runs, "dspy.ReAct");
    assert.equal(react.pool, "modules");
    assert.deepEqual(react.callsBack, ["lm", "tools"]);
    assert.match(react.reason, /falls back to DSPy/);

    assert.equal(router.explain("miproV2").pool, "optimizers");
    assert.equal(router.explain("bestOfN").implementation, "native");
    assert.equal(router.explain("retriever.embeddings").implementation, "native");
    assert.equal(router.explain("retriever.colbertv2").pool, "retrievers");
  });

  it("honours { implementation } where both exist", () => {
    const e = router.explain("chainOfThought", { implementation: "python" });
    assert.equal(e.implementation, "python");
    assert.equal(e.runs, "dspy.ChainOfThought");
    assert.match(e.reason, /was asked for/);
    assert.equal(router.resolve("retriever.embeddings", { implementation: "python" }), "python");
  });

  it("unknown operations are typed errors that list the valid ones and suggest the nearest", () => {
    assert.throws(
      () => router.explain("chainofthougt"),
      (e: unknown) =>
        e instanceof UnknownOperationError &&
        /did you mean "chainOfThought"/.test(e.fix ?? "") &&
        (e.context.valid as string[]).includes("react"),
    );
    assert.throws(() => router.explain("teleport"), UnknownOperationError);
  });

  it("impossible overrides are typed errors that give the valid choices", () => {
    assert.throws(
      () => router.explain("react", { implementation: "native" }),
      (e: unknown) =>
        e instanceof ImpossibleOverrideError &&
        (e.context.valid as string[]).join() === "python" &&
        /runs as python/.test(e.fix ?? ""),
    );
    assert.throws(() => router.explain("evaluate", { implementation: "python" }), ImpossibleOverrideError);
    assert.throws(() => router.explain("predict", { implementation: "rust" as "native" }), ImpossibleOverrideError);
    assert.throws(() => router.react("q -> a", { tools: [], implementation: "native" }), ImpossibleOverrideError);
  });

  it("a router without Python keeps native routes and refuses python-only ones, typed", () => {
    const nativeOnly = new Router({ python: false });
    assert.equal(nativeOnly.resolve("predict"), "native");
    assert.throws(() => nativeOnly.explain("react"), PythonUnavailableError);
    assert.throws(
      () => nativeOnly.explain("predict", { implementation: "python" }),
      (e: unknown) => e instanceof PythonUnavailableError && /implementation: "native"/.test(e.fix ?? ""),
    );
  });

  it("builds what the route names", () => {
    assert.ok(router.predict("q -> a") instanceof Predict);
    assert.ok(router.predict("q -> a", { implementation: "python" }) instanceof PythonPredict);
    assert.ok(router.chainOfThought("q -> a") instanceof ChainOfThought);
    assert.ok(router.chainOfThought("q -> a", { implementation: "python" }) instanceof PythonChainOfThought);
    assert.ok(router.react("q -> a", { tools: [] }) instanceof ReAct);
    const embedder = { embed: async (t: string[]) => t.map(() => [1, 0]) };
    assert.ok(router.retriever("embeddings", { corpus: ["x"], embedder }) instanceof EmbeddingsRetriever);
    assert.ok(
      router.retriever("embeddings", { corpus: ["x"], embedder, implementation: "python" }) instanceof
        PythonEmbeddingsRetriever,
    );
    assert.ok(router.retriever("colbertv2", { url: "http://127.0.0.1:1" }) instanceof ColBERTv2Retriever);
    assert.throws(
      () => router.retriever("colbertv2", { url: "http://127.0.0.1:1", implementation: "native" }),
      ImpossibleOverrideError,
    );
  });
});

describe("router: the python path of predict and chainOfThought is real", () => {
  let pool: PythonPool;
  before(async () => {
    pool = await PythonPool.start({
      name: "router",
      size: 1,
      modules: ["dspex_worker.modules_python"],
      logger: collectingLogger(),
    });
  });
  after(() => pool.close());

  it("the same signature answers the same through native Predict and through dspy.Predict, with the same prompt", async () => {
    const lm = new ScriptedLM({ France: { answer: "Paris" } });
    const native = router.predict("question -> answer");
    const python = router.predict("question -> answer", { implementation: "python", pool });
    const a = await context({ lm }, () => native.call({ question: "Capital of France?" }));
    const b = await context({ lm }, () => python.call({ question: "Capital of France?" }));
    assert.equal(a.answer, "Paris");
    assert.equal(b.answer, "Paris");
    // DSPy's ChatAdapter and ours write the same messages.
    assert.deepEqual(lm.requests[1]?.messages, lm.requests[0]?.messages);
    // Demos set in Node on both give the same prompt again (a bare Predict's state is keyed "self").
    const demos = [{ question: "Capital of Spain?", answer: "Madrid" }];
    (native as Predict).demos = demos;
    ((python as PythonPredict).namedPredictors()[0]?.[1] as Predict).demos = demos;
    await context({ lm }, () => native.call({ question: "Capital of France?" }));
    await context({ lm }, () => python.call({ question: "Capital of France?" }));
    assert.match(contentText(lm.requests[2]?.messages[1]?.content ?? ""), /Capital of Spain/);
    assert.deepEqual(lm.requests[3]?.messages, lm.requests[2]?.messages);
  });

  it("chainOfThought routed to Python runs dspy.ChainOfThought and keeps demos set in Node", async () => {
    const lm = new ScriptedLM([{ reasoning: "r", answer: "4" }]);
    const cot = router.chainOfThought("question -> answer", { implementation: "python", pool }) as PythonChainOfThought;
    await cot.prepare();
    const [[name, predictor]] = cot.namedPredictors() as [[string, Predict]];
    assert.equal(name, "predict");
    predictor.demos = [{ question: "1+1?", reasoning: "add", answer: "2" }];
    const pred = await context({ lm }, () => cot.call({ question: "2+2?" }));
    assert.equal(pred.answer, "4");
    const prompt = lm.requests[0]?.messages.map((m) => contentText(m.content)).join("\n") ?? "";
    assert.match(prompt, /1\+1\?/);
  });
});
