import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Cache } from "../../src/cache/cache.js";
import { JSONAdapter } from "../../src/adapters/json.js";
import { LMAbortedError } from "../../src/lm/errors.js";
import { openai } from "../../src/lm/providers/openai.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import type { LM, LMRequest, LMResponse, LMStreamChunk } from "../../src/lm/types.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import { Module } from "../../src/modules/module.js";
import { Predict } from "../../src/modules/predict.js";
import { Prediction } from "../../src/modules/prediction.js";
import { context } from "../../src/runtime/settings.js";
import { StreamListener, StreamListenerError } from "../../src/stream/listener.js";
import { streamify } from "../../src/stream/streamify.js";
import type { ChunkEvent, StreamEvent } from "../../src/stream/types.js";
import { type Loopback, start } from "../helpers/loopback-openai.js";

async function collect(iterable: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const e of iterable) events.push(e);
  return events;
}

const chunks = (events: readonly StreamEvent[]): ChunkEvent[] =>
  events.filter((e): e is ChunkEvent => e.type === "chunk");

function fieldText(events: readonly StreamEvent[], field: string): string {
  return chunks(events)
    .filter((c) => c.field === field)
    .map((c) => c.chunk)
    .join("");
}

/** An LM that streams the given deltas verbatim (and answers generate with their join). */
class DeltaLM implements LM {
  readonly specificationVersion = "v1" as const;
  readonly provider = "delta";
  readonly model = "delta";
  readonly cacheable = false;
  streamed = 0;
  generated = 0;
  constructor(private readonly deltas: readonly string[]) {}
  async generate(_request: LMRequest): Promise<LMResponse> {
    this.generated++;
    const text = this.deltas.join("");
    return {
      outputs: [text],
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
      model: this.model,
      cached: false,
    };
  }
  async *stream(_request: LMRequest): AsyncIterable<LMStreamChunk> {
    this.streamed++;
    for (const delta of this.deltas) yield { index: 0, delta };
    yield {
      index: 0,
      delta: "",
      finishReason: "stop",
      usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 },
    };
  }
}

describe("streamify with ScriptedLM", () => {
  it("streams every output field of ChainOfThought, then the Prediction", async () => {
    const lm = new ScriptedLM([{ reasoning: "Paris is the capital of France.", answer: "Paris" }]);
    const program = streamify(new ChainOfThought("question -> answer"));
    const events = await context({ lm }, () => collect(program({ question: "Capital of France?" })));
    const last = events.at(-1);
    assert.equal(last?.type, "prediction");
    assert.ok(last?.type === "prediction" && last.prediction instanceof Prediction);
    assert.equal(last.prediction.answer, "Paris");
    assert.equal(fieldText(events, "reasoning"), "Paris is the capital of France.");
    assert.equal(fieldText(events, "answer"), "Paris");
    assert.ok(chunks(events).length > 2, "the text arrives in several chunks");
    assert.ok(chunks(events).every((c) => c.predictor === "predict"));
    // Reasoning is finished before the answer starts, and each field ends exactly once.
    const order = chunks(events).map((c) => c.field);
    assert.ok(order.lastIndexOf("reasoning") < order.indexOf("answer"));
    for (const f of ["reasoning", "answer"]) {
      assert.equal(chunks(events).filter((c) => c.field === f && c.isLast).length, 1);
    }
    assert.equal(lm.requests.length, 1);
  });

  it("listeners pick fields; one-shot listeners stop after the first run, allowReuse keeps going", async () => {
    class Twice extends Module<{ question: string }> {
      readonly step = new Predict("question -> answer");
      async forward(inputs: { question: string }): Promise<Prediction> {
        await this.step.call(inputs);
        return this.step.call(inputs);
      }
    }
    const answers = [{ answer: "one" }, { answer: "two" }];
    const once = await context({ lm: new ScriptedLM(answers) }, () =>
      collect(streamify(new Twice(), { streamListeners: [new StreamListener("answer")] })({ question: "?" })),
    );
    assert.equal(fieldText(once, "answer"), "one");
    assert.ok(chunks(once).every((c) => c.predictor === "step"));
    const again = await context({ lm: new ScriptedLM(answers) }, () =>
      collect(
        streamify(new Twice(), { streamListeners: [new StreamListener("answer", { allowReuse: true })] })({
          question: "?",
        }),
      ),
    );
    assert.equal(fieldText(again, "answer"), "onetwo");
    assert.equal(chunks(again).filter((c) => c.isLast).length, 2);
  });

  it("a listener on one predictor leaves the others unstreamed (they call generate)", async () => {
    class TwoSteps extends Module<{ question: string }> {
      readonly draft = new Predict("question -> draft");
      readonly final = new Predict("draft -> answer");
      async forward(inputs: { question: string }): Promise<Prediction> {
        const d = await this.draft.call(inputs);
        return this.final.call({ draft: d.draft });
      }
    }
    const draftLM = new DeltaLM(["[[ ## draft ## ]]\nrough", " idea\n\n[[ ## completed ## ]]"]);
    const finalLM = new DeltaLM(["[[ ## answer ## ]]\nfinal", " answer\n\n[[ ## completed ## ]]"]);
    const program = new TwoSteps();
    program.draft.lm = draftLM;
    program.final.lm = finalLM;
    const events = await collect(
      streamify(program, { streamListeners: [new StreamListener("answer")] })({ question: "?" }),
    );
    assert.equal(fieldText(events, "answer"), "final answer");
    assert.equal(fieldText(events, "draft"), "");
    assert.deepEqual([draftLM.streamed, draftLM.generated, finalLM.streamed, finalLM.generated], [0, 1, 1, 0]);
    const last = events.at(-1);
    assert.ok(last?.type === "prediction" && last.prediction.answer === "final answer");
    assert.deepEqual(last.prediction.lmUsage, { promptTokens: 3, completionTokens: 4, totalTokens: 7 });
  });

  it("refuses listeners whose field is missing or ambiguous", () => {
    class Both extends Module<{ q: string }> {
      readonly a = new Predict("q -> answer");
      readonly b = new Predict("q -> answer");
      forward(inputs: { q: string }): Promise<Prediction> {
        return this.a.call(inputs);
      }
    }
    assert.throws(
      () => streamify(new Both(), { streamListeners: [new StreamListener("answer")] }),
      StreamListenerError,
    );
    assert.throws(() => streamify(new Both(), { streamListeners: [new StreamListener("nope")] }), StreamListenerError);
    const p = new Both();
    assert.doesNotThrow(() => streamify(p, { streamListeners: [new StreamListener("answer", { predict: p.b })] }));
  });

  it("yields status messages from the provider, raw tokens on request, and the Prediction last", async () => {
    const lm = new ScriptedLM([{ answer: "42" }]);
    const program = streamify(new Predict("question -> answer"), {
      tokens: true,
      statusMessages: {
        moduleStart: (module) => `Running ${module}...`,
        moduleEnd: (outputs) => `Done: ${String(outputs?.answer)}`,
      },
    });
    const events = await context({ lm }, () => collect(program({ question: "?" })));
    assert.deepEqual(events[0], { type: "status", message: "Running Predict..." });
    assert.deepEqual(events.at(-2), { type: "status", message: "Done: 42" });
    assert.equal(events.at(-1)?.type, "prediction");
    const tokens = events.filter((e) => e.type === "token");
    assert.equal(tokens.map((t) => (t.type === "token" ? t.delta : "")).join(""), lm.format({ answer: "42" }));
    assert.equal(fieldText(events, "answer"), "42");
  });

  it("streams JSONAdapter field values", async () => {
    const lm = new ScriptedLM([{ reasoning: "Because.", answer: "yes" }], { format: "json" });
    const program = streamify(new ChainOfThought("question -> answer"));
    const events = await context({ lm, adapter: new JSONAdapter() }, () => collect(program({ question: "?" })));
    assert.equal(fieldText(events, "reasoning"), "Because.");
    assert.equal(fieldText(events, "answer"), "yes");
    const last = events.at(-1);
    assert.ok(last?.type === "prediction" && last.prediction.answer === "yes");
  });

  it("a cache hit streams nothing but still yields the Prediction; the streamed answer was cached", async () => {
    const cache = new Cache({ disk: false });
    const lm = new DeltaLM(["[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"]);
    const cacheableLM: LM = { ...lm, cacheable: true, stream: (r) => lm.stream(r), generate: (r) => lm.generate(r) };
    const program = streamify(new Predict("question -> answer"));
    const first = await context({ lm: cacheableLM, cache }, () => collect(program({ question: "Capital?" })));
    assert.equal(fieldText(first, "answer"), "Paris");
    const second = await context({ lm: cacheableLM, cache }, () => collect(program({ question: "Capital?" })));
    assert.equal(chunks(second).length, 0);
    const last = second.at(-1);
    assert.ok(last?.type === "prediction" && last.prediction.answer === "Paris");
    assert.equal(lm.streamed, 1);
    assert.equal(lm.generated, 0);
  });

  it("passes the program's error to the consumer", async () => {
    const lm = new ScriptedLM([]);
    const program = streamify(new Predict("question -> answer"));
    await assert.rejects(
      context({ lm }, () => collect(program({ question: "?" }))),
      /run out of answers/,
    );
  });

  it("breaking out of the loop aborts the LM call in flight", async () => {
    let seenSignal: AbortSignal | undefined;
    const lm: LM = {
      specificationVersion: "v1",
      provider: "slow",
      model: "slow",
      cacheable: false,
      generate: () => Promise.reject(new Error("not used")),
      async *stream(request) {
        seenSignal = request.signal;
        yield { index: 0, delta: "[[ ## answer ## ]]\nfirst" };
        await new Promise<void>((_resolve, reject) => {
          request.signal?.addEventListener("abort", () => reject(new LMAbortedError()), { once: true });
          if (request.signal?.aborted) reject(new LMAbortedError());
        });
        yield { index: 0, delta: " never" };
      },
    };
    const program = streamify(new Predict("question -> answer"));
    for await (const event of context({ lm }, () => program({ question: "?" }))) {
      assert.equal(event.type, "chunk");
      break;
    }
    assert.equal(seenSignal?.aborted, true);
  });
});

describe("streamify over OpenAI SSE (loopback server)", () => {
  let server: Loopback;
  before(async () => {
    server = await start();
  });
  after(() => server.close());

  it("streams ChainOfThought fields from real SSE and parses the Prediction", async () => {
    const text =
      "[[ ## reasoning ## ]]\nThe capital of France is Paris.\n\n[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]";
    const deltas = text.match(/.{1,5}/gs) ?? [];
    server.setScript([
      { kind: "stream", deltas, usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 } },
    ]);
    const lm = openai({ baseURL: server.url, model: "m", apiKey: "sk-test" });
    const program = streamify(new ChainOfThought("question -> answer"));
    const events = await context({ lm, cache: false }, () => collect(program({ question: "Capital of France?" })));
    assert.equal(fieldText(events, "reasoning"), "The capital of France is Paris.");
    assert.equal(fieldText(events, "answer"), "Paris");
    const last = events.at(-1);
    assert.ok(last?.type === "prediction");
    assert.equal(last.prediction.reasoning, "The capital of France is Paris.");
    assert.deepEqual(last.prediction.lmUsage, { promptTokens: 50, completionTokens: 20, totalTokens: 70 });
    const body = server.requests.at(-1)?.body as { stream?: boolean };
    assert.equal(body.stream, true);
  });

  it("breaking out of the for-await closes the HTTP request early", async () => {
    server.setScript([{ kind: "stream", deltas: ["[[ ## answer ## ]]\n", "Par", "is", " and more"], hangAfter: 3 }]);
    const lm = openai({ baseURL: server.url, model: "m", apiKey: "sk-test", maxRetries: 0 });
    const program = streamify(new Predict("question -> answer"));
    let received = "";
    for await (const event of context({ lm, cache: false }, () => program({ question: "?" }))) {
      if (event.type === "chunk") {
        received += event.chunk;
        break;
      }
    }
    assert.equal(received, "Par");
    const request = server.requests.at(-1)!;
    await request.closed;
    assert.equal(request.closedEarly, true);
  });

  it("an outer AbortSignal cancels the stream too", async () => {
    server.setScript([{ kind: "stream", deltas: ["[[ ## answer ## ]]\n", "Hel", "lo"], hangAfter: 2 }]);
    const lm = openai({ baseURL: server.url, model: "m", apiKey: "sk-test", maxRetries: 0 });
    const controller = new AbortController();
    const program = streamify(new Predict("question -> answer"));
    const run = context({ lm, cache: false }, () => collect(program({ question: "?" }, { signal: controller.signal })));
    const request = await waitForRequest(server, server.requests.length);
    controller.abort();
    await assert.rejects(run, LMAbortedError);
    await request.closed;
    assert.equal(request.closedEarly, true);
  });
});

async function waitForRequest(server: Loopback, count: number) {
  while (server.requests.length <= count) await new Promise((r) => setTimeout(r, 1));
  return server.requests[count]!;
}
