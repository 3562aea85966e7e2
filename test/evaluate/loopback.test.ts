/**
 * Evaluate over a real OpenAI-compatible HTTP server on 127.0.0.1: concurrency is proven by the
 * number of requests the server saw in flight at once, and cancellation by the connections closing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { answerExactMatch, Evaluate, EvaluateError } from "../../src/evaluate/index.js";
import { openai } from "../../src/lm/providers/openai.js";
import { Example } from "../../src/modules/example.js";
import { Predict } from "../../src/modules/predict.js";
import { context } from "../../src/runtime/settings.js";
import { type Loopback, type RecordedRequest, type Reply, start } from "../helpers/loopback-openai.js";

const qa = (n: number): Example[] =>
  Array.from({ length: n }, (_, i) => new Example({ question: `q${i}`, answer: `a${i}` }).withInputs("question"));

/** Answers `a<i>` to a prompt about `q<i>`, and counts requests in flight. */
function answering(counter: { now: number; max: number }): (req: RecordedRequest) => Reply {
  return (req) => {
    counter.now++;
    counter.max = Math.max(counter.max, counter.now);
    void req.closed.then(() => counter.now--);
    const body = req.body as { messages: { content: string }[] };
    const q = /\bq(\d+)\b/.exec(body.messages.at(-1)?.content ?? "")?.[1];
    return { kind: "completion", outputs: `[[ ## answer ## ]]\na${q}\n\n[[ ## completed ## ]]` };
  };
}

describe("Evaluate against a loopback OpenAI-compatible server", () => {
  let server: Loopback;
  before(async () => {
    server = await start({ latencyMs: 40 });
  });
  after(() => server.close());

  for (const concurrency of [1, 8]) {
    it(`keeps exactly ${concurrency} request(s) in flight at concurrency ${concurrency}`, async () => {
      const counter = { now: 0, max: 0 };
      server.setScript(answering(counter));
      const lm = openai({ baseURL: server.url, apiKey: "x", model: "loopback", maxRetries: 0 });
      const devset = qa(concurrency * 4);
      const result = await context({ lm, cache: false }, () =>
        new Evaluate({ devset, metric: answerExactMatch, concurrency }).run(new Predict("question -> answer")),
      );
      assert.equal(result.score, 100);
      assert.equal(result.errors, 0);
      assert.equal(counter.max, concurrency, "the server saw the whole concurrency overlap, and never more");
    });
  }

  it("aborting closes the in-flight HTTP requests", async () => {
    server.setScript(() => ({ kind: "hang" }));
    const seen = server.requests.length;
    const lm = openai({ baseURL: server.url, apiKey: "x", model: "loopback", maxRetries: 0 });
    const controller = new AbortController();
    const run = context({ lm, cache: false }, () =>
      new Evaluate({ devset: qa(10), metric: answerExactMatch, concurrency: 3 }).run(
        new Predict("question -> answer"),
        {
          signal: controller.signal,
        },
      ),
    );
    while (server.requests.length < seen + 3) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await assert.rejects(run, (e: unknown) => e instanceof EvaluateError && e.reason === "aborted");
    const inFlight = server.requests.slice(seen);
    assert.equal(inFlight.length, 3);
    await Promise.all(inFlight.map((r) => r.closed));
    assert.ok(inFlight.every((r) => r.closedEarly));
  });
});
