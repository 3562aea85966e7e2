import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  anthropic,
  LMAbortedError,
  LMAuthError,
  LMBadResponseError,
  LMConnectionError,
  LMContextWindowError,
  LMRateLimitError,
  LMServerError,
  type LMStreamChunk,
  LMTimeoutError,
  toAnthropicMessages,
} from "../../src/lm/index.js";
import { type AnthropicLoopback, start } from "../helpers/loopback-anthropic.js";

const lastBody = (s: { requests: { body: unknown }[] }): Record<string, unknown> =>
  (s.requests.at(-1)?.body ?? {}) as Record<string, unknown>;

const KEY = "sk-ant-api03-ZYXWVUTSRQ0987654321";
const msgs = [{ role: "user" as const, content: "hi" }];

async function collect(iterable: AsyncIterable<LMStreamChunk>): Promise<LMStreamChunk[]> {
  const out: LMStreamChunk[] = [];
  for await (const chunk of iterable) out.push(chunk);
  return out;
}

describe("anthropic provider (Messages API)", () => {
  let server: AnthropicLoopback;
  before(async () => {
    server = await start();
  });
  after(() => server.close());

  const lm = (extra: Partial<Parameters<typeof anthropic>[0]> = {}) =>
    anthropic({
      baseURL: server.url,
      apiKey: KEY,
      model: "claude-test",
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
      ...extra,
    });

  it("lifts system messages, merges same-role turns and maps settings onto the wire", async () => {
    server.setScript([
      {
        kind: "message",
        text: ["Hello", " world"],
        stopReason: "stop_sequence",
        usage: { input_tokens: 20, output_tokens: 3 },
      },
    ]);
    const res = await lm().generate({
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "part one" },
        { role: "user", content: "part two" },
        { role: "assistant", content: "ok" },
        { role: "system", content: "Second rule." },
        { role: "user", content: "go" },
      ],
      temperature: 0.5,
      stop: ["END"],
      providerOptions: { top_k: 5 },
    });
    assert.deepEqual(res.outputs, ["Hello world"]);
    assert.deepEqual(res.usage, { promptTokens: 20, completionTokens: 3, totalTokens: 23 });
    assert.deepEqual(res.finishReasons, ["stop_sequence"]);
    assert.equal(res.model, "claude-test");
    const req = server.requests.at(-1);
    assert.ok(req);
    assert.equal(req.path, "/v1/messages");
    assert.equal(req.headers["x-api-key"], KEY);
    assert.equal(req.headers["anthropic-version"], "2023-06-01");
    assert.equal(req.headers.authorization, undefined);
    assert.ok(!req.rawBody.includes(KEY));
    assert.deepEqual(req.body, {
      model: "claude-test",
      max_tokens: 1024,
      system: "You are terse.\n\nSecond rule.",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "part one" },
            { type: "text", text: "part two" },
          ],
        },
        { role: "assistant", content: "ok" },
        { role: "user", content: "go" },
      ],
      temperature: 0.5,
      stop_sequences: ["END"],
      top_k: 5,
    });
  });

  it("accepts a baseURL ending in /v1 and honours maxTokens", async () => {
    server.setScript([{ kind: "message", text: "x" }]);
    await lm({ baseURL: `${server.url}/v1`, maxTokens: 77 }).generate({ messages: msgs });
    assert.equal(server.requests.at(-1)?.path, "/v1/messages");
    assert.equal(lastBody(server).max_tokens, 77);
  });

  it("does n > 1 by issuing n requests and summing usage", async () => {
    server.setScript([
      { kind: "message", text: "a", usage: { input_tokens: 5, output_tokens: 1 } },
      { kind: "message", text: "b", usage: { input_tokens: 5, output_tokens: 2 } },
      { kind: "message", text: "c", usage: { input_tokens: 5, output_tokens: 3 } },
    ]);
    const before = server.requests.length;
    const res = await lm().generate({ messages: msgs, n: 3 });
    assert.equal(server.requests.length - before, 3);
    assert.deepEqual([...res.outputs].sort(), ["a", "b", "c"]);
    assert.deepEqual(res.usage, { promptTokens: 15, completionTokens: 6, totalTokens: 21 });
    for (const r of server.requests.slice(before)) assert.equal((r.body as Record<string, unknown>).n, undefined);
  });

  it("streams text deltas, the stop reason and usage from message_start/message_delta", async () => {
    server.setScript([
      {
        kind: "stream",
        deltas: ["Hel", "lo ", "wörld"],
        splitWrites: true,
        usage: { input_tokens: 30, output_tokens: 4 },
      },
    ]);
    const chunks = await collect(lm().stream({ messages: msgs }));
    assert.equal(chunks.map((c) => c.delta).join(""), "Hello wörld");
    assert.equal(chunks.find((c) => c.finishReason)?.finishReason, "end_turn");
    assert.deepEqual(chunks.at(-1)?.usage, { promptTokens: 30, completionTokens: 4, totalTokens: 34 });
    assert.equal(lastBody(server).stream, true);
  });

  it("turns error events and truncated streams into typed errors", async () => {
    server.setScript([
      { kind: "stream", deltas: ["a", "b"], errorAt: 4 },
      { kind: "stream", deltas: ["a", "b", "c"], truncateAfter: 4 },
      { kind: "stream", deltas: ["a", "b", "c"], truncateAfter: 4, truncateMode: "end" },
    ]);
    await assert.rejects(
      collect(lm().stream({ messages: msgs })),
      (e: unknown) => e instanceof LMServerError && /overloaded_error/.test(e.message),
    );
    await assert.rejects(collect(lm().stream({ messages: msgs })), LMConnectionError);
    await assert.rejects(collect(lm().stream({ messages: msgs })), /before message_stop/);
  });

  it("aborting a stream closes the socket", async () => {
    server.setScript([{ kind: "stream", deltas: ["first", "second"], hangAfter: 4 }]);
    const controller = new AbortController();
    const before = server.requests.length;
    await assert.rejects(
      (async () => {
        for await (const c of lm().stream({ messages: msgs, signal: controller.signal })) {
          if (c.delta === "first") controller.abort();
        }
      })(),
      LMAbortedError,
    );
    const req = server.requests[before];
    assert.ok(req);
    await req.closed;
    assert.equal(req.closedEarly, true);
  });

  it("maps Anthropic error types to typed errors, retrying 429/529", async () => {
    server.setScript([
      { kind: "error", status: 429, type: "rate_limit_error", message: "slow down", headers: { "retry-after": "0" } },
      { kind: "error", status: 529, type: "overloaded_error", message: "Overloaded" },
      { kind: "message", text: "finally" },
    ]);
    assert.deepEqual((await lm().generate({ messages: msgs })).outputs, ["finally"]);
    server.setScript([], { kind: "error", status: 429, type: "rate_limit_error", message: "slow down" });
    await assert.rejects(lm({ maxRetries: 1 }).generate({ messages: msgs }), LMRateLimitError);
    server.setScript([
      {
        kind: "error",
        status: 400,
        type: "invalid_request_error",
        message: "prompt is too long: 210000 tokens > 200000 maximum",
      },
      {
        kind: "error",
        status: 413,
        type: "request_too_large",
        message: "Request exceeds the maximum allowed number of bytes.",
      },
      { kind: "auth" },
      { kind: "raw", body: "{oops" },
    ]);
    const before = server.requests.length;
    await assert.rejects(lm().generate({ messages: msgs }), LMContextWindowError);
    await assert.rejects(lm().generate({ messages: msgs }), LMContextWindowError);
    const auth = await lm()
      .generate({ messages: msgs })
      .catch((e: unknown) => e);
    assert.ok(auth instanceof LMAuthError);
    assert.ok(!auth.message.includes(KEY) && !JSON.stringify(auth.context).includes(KEY));
    assert.match(auth.message, /invalid x-api-key: \[REDACTED\]/);
    await assert.rejects(lm().generate({ messages: msgs }), LMBadResponseError);
    assert.equal(server.requests.length - before, 4);
    server.setScript([], { kind: "message", text: "ok" });
  });

  it("scrubs a key passed as a header (a gateway's x-api-key) when the server echoes it", async () => {
    const GATEWAY_KEY = "gateway-secret-0123456789";
    server.setScript([{ kind: "auth" }], { kind: "message", text: "ok" });
    const auth = await lm({ apiKey: "", headers: { "x-api-key": GATEWAY_KEY } })
      .generate({ messages: msgs })
      .catch((e: unknown) => e);
    assert.ok(auth instanceof LMAuthError);
    assert.match(auth.message, /invalid x-api-key: \[REDACTED\]/);
    assert.ok(!auth.message.includes(GATEWAY_KEY.slice(0, 10)) && !JSON.stringify(auth.context).includes("0123456789"));
  });

  it("retries drops and times out hangs", async () => {
    server.setScript([{ kind: "drop" }, { kind: "message", text: "back" }]);
    assert.deepEqual((await lm().generate({ messages: msgs })).outputs, ["back"]);
    server.setScript([], { kind: "hang" });
    await assert.rejects(lm({ timeoutMs: 40, maxRetries: 0 }).generate({ messages: msgs }), LMTimeoutError);
    server.setScript([], { kind: "message", text: "ok" });
  });

  it("streams n > 1 as successive requests, each under its own index", async () => {
    server.setScript([
      { kind: "stream", deltas: ["a1", "a2"] },
      { kind: "stream", deltas: ["b1"] },
    ]);
    const chunks = await collect(lm().stream({ messages: msgs, n: 2 }));
    const text = (i: number) =>
      chunks
        .filter((c) => c.index === i)
        .map((c) => c.delta)
        .join("");
    assert.equal(text(0), "a1a2");
    assert.equal(text(1), "b1");
  });

  it("refuses to call api.anthropic.com without a key, before any network use", async () => {
    const saved = process.env.ANTHROPIC_API_KEY;
    delete process.env.ANTHROPIC_API_KEY;
    try {
      await assert.rejects(anthropic({ model: "claude" }).generate({ messages: msgs }), LMAuthError);
    } finally {
      if (saved !== undefined) process.env.ANTHROPIC_API_KEY = saved;
    }
  });

  it("toAnthropicMessages leaves a single system-free conversation as plain strings", () => {
    assert.deepEqual(toAnthropicMessages([{ role: "user", content: "q" }]), {
      system: undefined,
      messages: [{ role: "user", content: "q" }],
    });
  });
});
