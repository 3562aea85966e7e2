import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  LMAbortedError,
  LMBadResponseError,
  LMConnectionError,
  LMServerError,
  type LMStreamChunk,
  LMTimeoutError,
  openai,
} from "../../src/lm/index.js";
import { type Loopback, start } from "../helpers/loopback-openai.js";

const lastBody = (s: { requests: { body: unknown }[] }): Record<string, unknown> =>
  (s.requests.at(-1)?.body ?? {}) as Record<string, unknown>;

const KEY = "sk-stream-key-0123456789";
const msgs = [{ role: "user" as const, content: "hi" }];

async function collect(iterable: AsyncIterable<LMStreamChunk>): Promise<LMStreamChunk[]> {
  const out: LMStreamChunk[] = [];
  for await (const chunk of iterable) out.push(chunk);
  return out;
}

const text = (chunks: LMStreamChunk[], index = 0): string =>
  chunks
    .filter((c) => c.index === index)
    .map((c) => c.delta)
    .join("");

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
}

describe("openai provider: SSE streaming", () => {
  let server: Loopback;
  before(async () => {
    server = await start();
  });
  after(() => server.close());

  const lm = (extra: Partial<Parameters<typeof openai>[0]> = {}) =>
    openai({ baseURL: server.url, apiKey: KEY, model: "m", retry: { baseDelayMs: 1, maxDelayMs: 2 }, ...extra });

  it("streams deltas, the finish reason and a final usage chunk", async () => {
    server.setScript([
      {
        kind: "stream",
        deltas: ["[[ ## answer ## ]]\n", "Par", "is", "\n\n[[ ## completed ## ]]"],
        usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
      },
    ]);
    const chunks = await collect(lm().stream({ messages: msgs, temperature: 0 }));
    assert.equal(text(chunks), "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]");
    assert.equal(chunks.find((c) => c.finishReason !== undefined)?.finishReason, "stop");
    assert.deepEqual(chunks.at(-1), {
      index: 0,
      delta: "",
      usage: { promptTokens: 9, completionTokens: 4, totalTokens: 13 },
    });
    const req = server.requests.at(-1);
    assert.deepEqual(req?.body, {
      model: "m",
      messages: msgs,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(req?.headers.accept, "text/event-stream");
  });

  it("interleaves n > 1 completions by index", async () => {
    server.setScript([
      {
        kind: "stream",
        deltas: [
          ["a", "b"],
          ["x", "y", "z"],
        ],
      },
    ]);
    const chunks = await collect(lm({ streamUsage: false }).stream({ messages: msgs, n: 2 }));
    assert.equal(text(chunks, 0), "ab");
    assert.equal(text(chunks, 1), "xyz");
    assert.deepEqual(lastBody(server).stream_options, undefined);
  });

  it("reassembles events split across reads (including multi-byte characters)", async () => {
    server.setScript([{ kind: "stream", deltas: ["héllo ", "wörld ", "日本語", " ✓"], splitWrites: true }]);
    const chunks = await collect(lm().stream({ messages: msgs }));
    assert.equal(text(chunks), "héllo wörld 日本語 ✓");
  });

  it("accepts a stream without [DONE] when every completion finished", async () => {
    server.setScript([{ kind: "stream", deltas: ["fine"], omitDone: true }]);
    assert.equal(text(await collect(lm().stream({ messages: msgs }))), "fine");
  });

  it("a stream cut by a socket drop throws LMConnectionError after the text it got", async () => {
    server.setScript([{ kind: "stream", deltas: ["one ", "two ", "three"], truncateAfter: 3 }]);
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const c of lm().stream({ messages: msgs })) got.push(c.delta);
      })(),
      LMConnectionError,
    );
    assert.equal(got.join(""), "one two ");
  });

  it("a stream that ends early without [DONE] or a finish throws LMConnectionError", async () => {
    server.setScript([{ kind: "stream", deltas: ["one ", "two"], truncateAfter: 2, truncateMode: "end" }]);
    await assert.rejects(collect(lm().stream({ messages: msgs })), /ended before it was complete/);
  });

  it("an error event inside the stream throws LMServerError; a malformed chunk LMBadResponseError", async () => {
    server.setScript([
      { kind: "stream", deltas: ["a", "b", "c"], errorAfter: 2 },
      { kind: "raw", status: 200, headers: { "content-type": "text/event-stream" }, body: "data: {not json}\n\n" },
    ]);
    await assert.rejects(collect(lm().stream({ messages: msgs })), /stream exploded/);
    await assert.rejects(collect(lm().stream({ messages: msgs })), LMBadResponseError);
    server.setScript([{ kind: "stream", deltas: ["a"], errorAfter: 1 }]);
    await assert.rejects(collect(lm().stream({ messages: msgs })), LMServerError);
  });

  it("retries the connection (429, 500) before the first chunk", async () => {
    server.setScript([
      { kind: "rateLimit", retryAfter: "0" },
      { kind: "serverError" },
      { kind: "stream", deltas: ["ok"] },
    ]);
    const before = server.requests.length;
    assert.equal(text(await collect(lm().stream({ messages: msgs }))), "ok");
    assert.equal(server.requests.length - before, 3);
  });

  it("aborting mid-stream throws LMAbortedError and closes the socket", async () => {
    server.setScript([{ kind: "stream", deltas: ["first", "second"], hangAfter: 2 }]);
    const controller = new AbortController();
    const before = server.requests.length;
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const c of lm().stream({ messages: msgs, signal: controller.signal })) {
          got.push(c.delta);
          if (c.delta === "first") controller.abort();
        }
      })(),
      LMAbortedError,
    );
    assert.deepEqual(got, ["first"]);
    const req = server.requests[before];
    assert.ok(req);
    await req.closed;
    assert.equal(req.closedEarly, true);
  });

  it("breaking out of the loop closes the socket", async () => {
    server.setScript([{ kind: "stream", deltas: ["first", "second"], hangAfter: 2 }]);
    const before = server.requests.length;
    for await (const c of lm().stream({ messages: msgs })) {
      if (c.delta === "first") break;
    }
    await until(() => server.requests.length > before);
    const req = server.requests[before];
    assert.ok(req);
    await req.closed;
    assert.equal(req.closedEarly, true);
  });

  it("a stream that goes silent longer than timeoutMs throws LMTimeoutError", async () => {
    server.setScript([{ kind: "stream", deltas: ["first", "second"], hangAfter: 2 }]);
    await assert.rejects(collect(lm({ timeoutMs: 60 }).stream({ messages: msgs })), LMTimeoutError);
  });
});
