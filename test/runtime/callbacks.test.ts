/**
 * DSPy-style callbacks, counted against what a real OpenAI-compatible server on 127.0.0.1 saw:
 * native programs, a dspy.Predict in a worker, ReAct's TypeScript tools, Evaluate, and an
 * optimizer run whose proposer calls are made by DSPy in Python and served by Node.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PythonPool } from "../../src/bridge/pool.js";
import { answerExactMatch, Evaluate } from "../../src/evaluate/index.js";
import { openai } from "../../src/lm/providers/openai.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import type { LM, LMResponse } from "../../src/lm/types.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import { Example, type Fields } from "../../src/modules/example.js";
import { Module } from "../../src/modules/module.js";
import { Predict } from "../../src/modules/predict.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { PythonPredict } from "../../src/modules/python/predict.js";
import { ReAct } from "../../src/modules/python/react.js";
import { copro } from "../../src/optimize/index.js";
import type { Callback, EndEvent, StartEvent } from "../../src/runtime/callbacks.js";
import { configure, context, resetSettings } from "../../src/runtime/settings.js";
import { streamify } from "../../src/stream/streamify.js";
import { collectingLogger } from "../bridge/helpers.js";
import { answerFields } from "../helpers/field-answers.js";
import { type Loopback, start } from "../helpers/loopback-openai.js";
import { startOptimizerPool } from "../optimize/helpers.js";

type Hook = keyof Callback;

/** Records every event with its hook; `pairs(kind)` checks that starts and ends match by callId. */
class Recorder implements Callback {
  readonly events: { hook: Hook; event: StartEvent | EndEvent }[] = [];
  count(hook: Hook): number {
    return this.events.filter((e) => e.hook === hook).length;
  }
  names(hook: Hook): string[] {
    return this.events.filter((e) => e.hook === hook).map((e) => e.event.name);
  }
  pairs(kind: string): number {
    const starts = this.events.filter((e) => e.hook === `on${kind}Start`).map((e) => e.event.callId);
    const ends = this.events.filter((e) => e.hook === `on${kind}End`).map((e) => e.event.callId);
    assert.deepEqual([...ends].sort(), [...starts].sort(), `every on${kind}Start has its on${kind}End`);
    return starts.length;
  }
  private add(hook: Hook, event: StartEvent | EndEvent): void {
    this.events.push({ hook, event });
  }
  onModuleStart = (e: StartEvent) => this.add("onModuleStart", e);
  onModuleEnd = (e: EndEvent) => this.add("onModuleEnd", e);
  onLMStart = (e: StartEvent) => this.add("onLMStart", e);
  onLMEnd = (e: EndEvent) => this.add("onLMEnd", e);
  onAdapterFormatStart = (e: StartEvent) => this.add("onAdapterFormatStart", e);
  onAdapterFormatEnd = (e: EndEvent) => this.add("onAdapterFormatEnd", e);
  onAdapterParseStart = (e: StartEvent) => this.add("onAdapterParseStart", e);
  onAdapterParseEnd = (e: EndEvent) => this.add("onAdapterParseEnd", e);
  onToolStart = (e: StartEvent) => this.add("onToolStart", e);
  onToolEnd = (e: EndEvent) => this.add("onToolEnd", e);
  onEvaluateStart = (e: StartEvent) => this.add("onEvaluateStart", e);
  onEvaluateEnd = (e: EndEvent) => this.add("onEvaluateEnd", e);
  onCompileStart = (e: StartEvent) => this.add("onCompileStart", e);
  onCompileEnd = (e: EndEvent) => this.add("onCompileEnd", e);
}

class QA extends Module {
  readonly keywords = new Predict("question -> keywords");
  readonly answer = new ChainOfThought("question, keywords -> answer");
  async forward(inputs: Fields): Promise<Prediction> {
    const question = String(inputs.question);
    const { keywords } = await this.keywords.call({ question });
    return this.answer.call({ question, keywords });
  }
}

describe("callbacks", () => {
  let server: Loopback;
  let lm: LM;
  let pool: PythonPool;
  before(async () => {
    [server, pool] = await Promise.all([
      start(),
      PythonPool.start({
        name: "callbacks",
        size: 1,
        modules: ["dspex_worker.modules_python"],
        logger: collectingLogger(),
      }),
    ]);
    server.setScript(answerFields);
    lm = openai({ baseURL: server.url, apiKey: "x", model: "loopback", maxRetries: 0 });
  });
  after(async () => {
    resetSettings();
    await Promise.all([server.close(), pool.close()]);
  });

  it("native work: one onLM pair per request the server saw, module and adapter pairs per call", async () => {
    const rec = new Recorder();
    const seen = server.requests.length;
    const program = new QA();
    for (const question of ["a?", "b?"]) {
      await context({ lm, cache: false, callbacks: [rec] }, () => program.call({ question }));
    }
    const requests = server.requests.length - seen;
    assert.equal(requests, 4);
    assert.equal(rec.pairs("LM"), requests);
    assert.deepEqual(new Set(rec.names("onLMStart")), new Set(["loopback"]));
    const end = rec.events.find((e) => e.hook === "onLMEnd")!.event as EndEvent;
    assert.deepEqual((end.outputs as LMResponse).outputs.length, 1);
    // QA, its Predict, ChainOfThought and ChainOfThought's Predict, twice.
    assert.equal(rec.pairs("Module"), 8);
    assert.deepEqual(rec.names("onModuleStart").slice(0, 4), ["QA", "Predict", "ChainOfThought", "Predict"]);
    assert.equal(rec.pairs("AdapterFormat"), requests);
    assert.equal(rec.pairs("AdapterParse"), requests);
    assert.deepEqual(new Set(rec.names("onAdapterParseStart")), new Set(["ChatAdapter"]));
  });

  it("a failing LM call ends with its error; a throwing callback does not fail the work", async () => {
    const rec = new Recorder();
    const broken: Callback = {
      onLMStart: () => {
        throw new Error("callback bug");
      },
    };
    server.setScript([{ kind: "serverError", status: 500 }], undefined);
    try {
      await assert.rejects(
        context({ lm, cache: false, callbacks: [broken, rec] }, () => new Predict("q -> a").call({ q: "x" })),
      );
    } finally {
      server.setScript(answerFields);
    }
    const end = rec.events.find((e) => e.hook === "onLMEnd")!.event as EndEvent;
    assert.ok(end.error instanceof Error);
    const ok = await context({ lm, cache: false, callbacks: [broken, rec] }, () =>
      new Predict("q -> a").call({ q: "y" }),
    );
    assert.equal(ok.a, "some a");
  });

  it("LM calls DSPy makes in a worker fire onLMStart/onLMEnd in Node; ReAct's TypeScript tools fire onTool", async () => {
    const rec = new Recorder();
    const seen = server.requests.length;
    const toolCalls: unknown[] = [];
    const react = new ReAct("question -> answer", {
      pool,
      maxIters: 2,
      tools: [
        {
          name: "lookup",
          description: "Look up a fact",
          parameters: { type: "object", properties: {} },
          fn: () => {
            toolCalls.push(1);
            return "a fact";
          },
        },
      ],
    });
    await context({ lm, cache: false, callbacks: [rec] }, async () => {
      await new PythonPredict("question -> answer", { pool }).call({ question: "c?" });
      await react.call({ question: "d?" });
    });
    const requests = server.requests.length - seen;
    assert.ok(requests >= 3, `the worker made LM calls (${requests})`);
    assert.equal(rec.pairs("LM"), requests);
    assert.equal(rec.pairs("Tool"), toolCalls.length);
    assert.ok(toolCalls.length > 0);
    assert.deepEqual(new Set(rec.names("onToolStart")), new Set(["lookup"]));
    assert.deepEqual(rec.names("onModuleStart"), ["PythonPredict", "ReAct"]);
  });

  it("Evaluate fires one onEvaluate pair around its examples' module and LM events", async () => {
    const rec = new Recorder();
    const seen = server.requests.length;
    const devset = ["e?", "f?", "g?"].map((q) => new Example({ question: q, answer: "Paris" }).withInputs("question"));
    const result = await context({ lm, cache: false, callbacks: [rec] }, () =>
      new Evaluate({ devset, metric: answerExactMatch, concurrency: 2 }).run(new Predict("question -> answer")),
    );
    assert.equal(result.score, 100);
    assert.equal(rec.pairs("Evaluate"), 1);
    assert.equal(rec.events[0]!.hook, "onEvaluateStart");
    assert.equal(rec.events.at(-1)!.hook, "onEvaluateEnd");
    assert.equal(rec.pairs("LM"), server.requests.length - seen);
    assert.equal(rec.pairs("Module"), 3);
  });

  it("an optimizer run is one onCompile pair; every LM call of it, DSPy's proposer calls included, fires onLM", async () => {
    const rec = new Recorder();
    const optimizers = await startOptimizerPool();
    try {
      configure({ callbacks: [rec] });
      const seen = server.requests.length;
      const train = ["France", "Italy"].map((c) =>
        new Example({ question: `Capital of ${c}?`, answer: "Paris" }).withInputs("question"),
      );
      const { report } = await context({ cache: false }, () =>
        copro(new QA(), train, { pool: optimizers, lm, metric: answerExactMatch, breadth: 2, depth: 1, numThreads: 1 }),
      );
      const requests = server.requests.length - seen;
      assert.equal(rec.pairs("Compile"), 1);
      assert.deepEqual(rec.names("onCompileStart"), ["COPRO"]);
      assert.ok((report.pythonLmCalls.task ?? 0) > 0, "DSPy's proposer made LM calls from Python");
      assert.equal(rec.pairs("LM"), requests);
      assert.equal(report.lmCalls, requests);
    } finally {
      resetSettings();
      await optimizers.close();
    }
  });

  it("streamify's status messages come from the LM and tool hooks (the status provider is live)", async () => {
    const program = streamify(new Predict("question -> answer"), {
      statusMessages: { lmStart: (model) => `asking ${model}`, lmEnd: (outputs) => `got ${outputs?.length}` },
    });
    const statuses: string[] = [];
    const scripted = new ScriptedLM([{ answer: "Paris" }]);
    await context({ lm: scripted, cache: false }, async () => {
      for await (const event of program({ question: "h?" })) if (event.type === "status") statuses.push(event.message);
    });
    assert.deepEqual(statuses, [`asking ${scripted.model}`, "got 1"]);
  });
});
