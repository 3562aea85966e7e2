/**
 * OpenTelemetry spans, recorded by the real SDK's in-memory exporter: modules, LM calls (GenAI
 * semantic conventions), ReAct's TypeScript tools, bridge calls and an optimizer run whose LM
 * calls and program runs come back from Python, all in one trace.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { PythonPool } from "../../src/bridge/pool.js";
import { answerExactMatch, Evaluate } from "../../src/evaluate/index.js";
import { openai } from "../../src/lm/providers/openai.js";
import type { LM } from "../../src/lm/types.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import { Example, type Fields } from "../../src/modules/example.js";
import { Module } from "../../src/modules/module.js";
import { Predict } from "../../src/modules/predict.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { ReAct } from "../../src/modules/python/react.js";
import { copro } from "../../src/optimize/index.js";
import { context } from "../../src/runtime/settings.js";
import { tracingEnabled } from "../../src/runtime/telemetry.js";
import { collectingLogger } from "../bridge/helpers.js";
import { answerFields } from "../helpers/field-answers.js";
import { type Loopback, start } from "../helpers/loopback-openai.js";
import { startOptimizerPool } from "../optimize/helpers.js";

class QA extends Module {
  readonly keywords = new Predict("question -> keywords");
  readonly answer = new ChainOfThought("question, keywords -> answer");
  async forward(inputs: Fields): Promise<Prediction> {
    const question = String(inputs.question);
    const { keywords } = await this.keywords.call({ question });
    return this.answer.call({ question, keywords });
  }
}

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe("OpenTelemetry spans", () => {
  const exporter = new InMemorySpanExporter();
  let server: Loopback;
  let lm: LM;
  before(async () => {
    assert.equal(tracingEnabled(), false, "no SDK registered: no spans are started");
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    assert.equal(tracingEnabled(), true);
    server = await start();
    server.setScript(answerFields);
    lm = openai({ baseURL: server.url, apiKey: "x", model: "loopback", maxRetries: 0 });
  });
  after(async () => {
    trace.disable();
    await server.close();
  });

  it("a program call is one trace: module spans nest, one GenAI chat span per request the server saw", async () => {
    exporter.reset();
    const seen = server.requests.length;
    await context({ lm, cache: false }, () => new QA().call({ question: "a?" }));
    const spans = exporter.getFinishedSpans();
    const chats = spans.filter((s) => s.name === "chat loopback");
    assert.equal(chats.length, server.requests.length - seen);
    assert.equal(chats.length, 2);
    assert.equal(new Set(spans.map((s) => s.spanContext().traceId)).size, 1, "one trace");
    const root = spans.find((s) => s.name === "module QA")!;
    assert.equal(parentOf(root), undefined);
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const cot = spans.find((s) => s.name === "module ChainOfThought")!;
    assert.equal(parentOf(cot), root.spanContext().spanId);
    for (const chat of chats) {
      assert.equal(chat.attributes["gen_ai.request.model"], "loopback");
      assert.equal(chat.attributes["gen_ai.operation.name"], "chat");
      assert.equal(chat.attributes["gen_ai.usage.input_tokens"], 7);
      assert.equal(chat.attributes["gen_ai.usage.output_tokens"], 3);
      assert.equal(byId.get(parentOf(chat)!)?.name, "module Predict", "an LM span sits under its predictor");
    }
  });

  it("a failed LM call ends its span with an error status", async () => {
    exporter.reset();
    server.setScript([{ kind: "serverError", status: 500 }], undefined);
    try {
      await assert.rejects(context({ lm, cache: false }, () => new Predict("q -> a").call({ q: "x" })));
    } finally {
      server.setScript(answerFields);
    }
    const chat = exporter.getFinishedSpans().find((s) => s.name === "chat loopback")!;
    assert.equal(chat.status.code, 2);
    assert.ok(chat.events.some((e) => e.name === "exception"));
  });

  it("ReAct in a worker: a bridge span, DSPy's LM calls and the TypeScript tool all nest under the module", async () => {
    const pool = await PythonPool.start({
      name: "otel",
      size: 1,
      modules: ["dspex_worker.modules_python"],
      logger: collectingLogger(),
    });
    try {
      const react = new ReAct("question -> answer", {
        pool,
        maxIters: 2,
        tools: [
          { name: "lookup", description: "Look up", parameters: { type: "object", properties: {} }, fn: () => "x" },
        ],
      });
      exporter.reset();
      const seen = server.requests.length;
      await context({ lm, cache: false }, () => react.call({ question: "b?" }));
      const spans = exporter.getFinishedSpans();
      assert.equal(new Set(spans.map((s) => s.spanContext().traceId)).size, 1, "one trace");
      const module = spans.find((s) => s.name === "module ReAct")!;
      const bridge = spans.find((s) => s.name === "bridge dspex.module.forward")!;
      assert.equal(parentOf(bridge), module.spanContext().spanId);
      const chats = spans.filter((s) => s.name === "chat loopback");
      assert.equal(chats.length, server.requests.length - seen);
      const tools = spans.filter((s) => s.name === "execute_tool lookup");
      assert.ok(tools.length > 0);
      assert.equal(tools[0]!.attributes["gen_ai.tool.name"], "lookup");
      for (const s of [...chats, ...tools]) assert.equal(parentOf(s), module.spanContext().spanId);
    } finally {
      await pool.close();
    }
  });

  it("an optimizer run is one trace: its program runs and DSPy's own LM calls are served under the compile span", async () => {
    const pool = await startOptimizerPool();
    try {
      exporter.reset();
      const seen = server.requests.length;
      const train = ["France", "Italy"].map((c) =>
        new Example({ question: `Capital of ${c}?`, answer: "Paris" }).withInputs("question"),
      );
      await context({ cache: false }, () =>
        copro(new QA(), train, { pool, lm, metric: answerExactMatch, breadth: 2, depth: 1, numThreads: 1 }),
      );
      const spans = exporter.getFinishedSpans();
      assert.equal(new Set(spans.map((s) => s.spanContext().traceId)).size, 1, "one trace");
      const compile = spans.find((s) => s.name === "compile COPRO")!;
      assert.equal(parentOf(compile), undefined);
      const bridge = spans.find((s) => s.name === "bridge optimize.run")!;
      assert.equal(parentOf(bridge), compile.spanContext().spanId);
      const chats = spans.filter((s) => s.name === "chat loopback");
      assert.equal(chats.length, server.requests.length - seen);
      // DSPy's proposer calls are served straight under the run; the program's under its modules.
      assert.ok(chats.some((s) => parentOf(s) === compile.spanContext().spanId));
      assert.ok(spans.filter((s) => s.name === "module QA").every((s) => parentOf(s) === compile.spanContext().spanId));
    } finally {
      await pool.close();
    }
  });

  it("Evaluate is one span over its examples", async () => {
    exporter.reset();
    const devset = ["c?", "d?"].map((q) => new Example({ question: q, answer: "Paris" }).withInputs("question"));
    await context({ lm, cache: false }, () =>
      new Evaluate({ devset, metric: answerExactMatch, concurrency: 2 }).run(new Predict("question -> answer")),
    );
    const spans = exporter.getFinishedSpans();
    const evaluate = spans.find((s) => s.name === "evaluate")!;
    const modules = spans.filter((s) => s.name === "module Predict");
    assert.equal(modules.length, 2);
    for (const m of modules) assert.equal(parentOf(m), evaluate.spanContext().spanId);
  });
});
