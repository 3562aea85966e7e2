import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LMAuthError, LMBadResponseError, openai } from "../../src/lm/index.js";
import { type Loopback, start } from "../helpers/loopback-openai.js";

const lastBody = (s: { requests: { body: unknown }[] }): Record<string, unknown> =>
  (s.requests.at(-1)?.body ?? {}) as Record<string, unknown>;

const KEY = "sk-test-0123456789abcdefSECRET";

describe("openai provider: requests and responses", () => {
  let server: Loopback;
  before(async () => {
    server = await start();
  });
  after(() => server.close());

  it("posts chat/completions and returns the text, usage and model", async () => {
    server.setScript([
      { kind: "completion", outputs: "Paris", usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } },
    ]);
    const lm = openai({ baseURL: server.url, apiKey: KEY, model: "gpt-test" });
    const res = await lm.generate({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Capital of France?" },
      ],
      temperature: 0.2,
      maxTokens: 50,
    });
    assert.deepEqual(res.outputs, ["Paris"]);
    assert.deepEqual(res.usage, { promptTokens: 12, completionTokens: 3, totalTokens: 15 });
    assert.equal(res.model, "gpt-test");
    assert.equal(res.cached, false);
    assert.deepEqual(res.finishReasons, ["stop"]);
    const req = server.requests.at(-1);
    assert.ok(req);
    assert.equal(req.method, "POST");
    assert.equal(req.path, "/v1/chat/completions");
    assert.equal(req.headers["content-type"], "application/json");
    assert.deepEqual(req.body, {
      model: "gpt-test",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Capital of France?" },
      ],
      temperature: 0.2,
      max_tokens: 50,
    });
  });

  it("sends the API key only in the Authorization header", async () => {
    server.setScript([{ kind: "completion", outputs: "x" }]);
    const lm = openai({ baseURL: server.url, apiKey: KEY, model: "m", headers: { "x-extra": "1" } });
    await lm.generate({ messages: [{ role: "user", content: "hi" }] });
    const req = server.requests.at(-1);
    assert.ok(req);
    assert.equal(req.headers.authorization, `Bearer ${KEY}`);
    assert.equal(req.headers["x-extra"], "1");
    for (const [name, value] of Object.entries(req.headers)) {
      if (name !== "authorization") assert.ok(!String(value).includes(KEY), `key leaked in header ${name}`);
    }
    assert.ok(!req.rawBody.includes(KEY));
    assert.ok(!req.path.includes(KEY));
    // Neither inspection nor serialisation of the client shows the key.
    const { inspect } = await import("node:util");
    assert.ok(!inspect(lm, { depth: 5, showHidden: true }).includes(KEY));
    assert.ok(!JSON.stringify(lm).includes(KEY));
  });

  it("omits Authorization when no key is configured (local servers)", async () => {
    const saved = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    try {
      server.setScript([{ kind: "completion", outputs: "x" }]);
      await openai({ baseURL: server.url, model: "m" }).generate({ messages: [{ role: "user", content: "hi" }] });
      assert.equal(server.requests.at(-1)?.headers.authorization, undefined);
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
    }
  });

  it("refuses to call api.openai.com without a key, before any network use", async () => {
    const saved = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    try {
      await assert.rejects(
        openai({ model: "gpt" }).generate({ messages: [{ role: "user", content: "hi" }] }),
        LMAuthError,
      );
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
    }
  });

  it("reads the key from OPENAI_API_KEY by default", async () => {
    const saved = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = "sk-from-env-123456";
    try {
      server.setScript([{ kind: "completion", outputs: "x" }]);
      await openai({ baseURL: server.url, model: "m" }).generate({ messages: [{ role: "user", content: "hi" }] });
      assert.equal(server.requests.at(-1)?.headers.authorization, "Bearer sk-from-env-123456");
    } finally {
      if (saved === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = saved;
    }
  });

  it("supports n > 1 and stop, ordering choices by index", async () => {
    server.setScript([
      {
        kind: "json",
        body: {
          model: "m",
          choices: [
            { index: 1, message: { role: "assistant", content: "b" }, finish_reason: "stop" },
            { index: 0, message: { role: "assistant", content: "a" }, finish_reason: "length" },
            { index: 2, message: { role: "assistant", content: null }, finish_reason: "content_filter" },
          ],
          usage: { prompt_tokens: 4, completion_tokens: 6 },
        },
      },
    ]);
    const lm = openai({ baseURL: server.url, apiKey: KEY, model: "m" });
    const res = await lm.generate({ messages: [{ role: "user", content: "hi" }], n: 3, stop: ["\n\n", "END"] });
    assert.deepEqual(res.outputs, ["a", "b", ""]);
    assert.deepEqual(res.finishReasons, ["length", "stop", "content_filter"]);
    assert.deepEqual(res.usage, { promptTokens: 4, completionTokens: 6, totalTokens: 10 });
    const body = server.requests.at(-1)?.body as Record<string, unknown>;
    assert.equal(body.n, 3);
    assert.deepEqual(body.stop, ["\n\n", "END"]);
  });

  it("maps responseFormat json_schema and json_object onto response_format", async () => {
    const lm = openai({ baseURL: server.url, apiKey: KEY, model: "m" });
    const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] };
    server.setScript([
      { kind: "completion", outputs: '{"answer": "x"}' },
      { kind: "completion", outputs: "{}" },
    ]);
    await lm.generate({
      messages: [{ role: "user", content: "hi" }],
      responseFormat: { type: "json_schema", name: "DSPyProgramOutputs", schema, strict: true },
    });
    assert.deepEqual(lastBody(server).response_format, {
      type: "json_schema",
      json_schema: { name: "DSPyProgramOutputs", schema, strict: true },
    });
    await lm.generate({ messages: [{ role: "user", content: "hi" }], responseFormat: { type: "json_object" } });
    assert.deepEqual(lastBody(server).response_format, {
      type: "json_object",
    });
  });

  it("merges defaults under the request and passes providerOptions through", async () => {
    server.setScript([{ kind: "completion", outputs: "x" }]);
    const lm = openai({
      baseURL: `${server.url}/`,
      apiKey: KEY,
      model: "m",
      defaults: { temperature: 0.7, maxTokens: 100, providerOptions: { seed: 1, top_p: 0.5 } },
    });
    await lm.generate({ messages: [{ role: "user", content: "hi" }], temperature: 0, providerOptions: { seed: 7 } });
    const req = server.requests.at(-1);
    assert.equal(req?.path, "/v1/chat/completions");
    assert.deepEqual(req?.body, {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      temperature: 0,
      max_tokens: 100,
      seed: 7,
      top_p: 0.5,
    });
  });

  it("rejects bodies without choices or with malformed choices", async () => {
    const lm = openai({ baseURL: server.url, apiKey: KEY, model: "m", maxRetries: 0 });
    server.setScript([
      { kind: "json", body: { id: "x", choices: [] } },
      { kind: "json", body: { id: "x" } },
      { kind: "json", body: { choices: [{ index: 0, message: { content: 5 } }] } },
      { kind: "json", body: { error: { message: "upstream failed" } } },
    ]);
    for (let i = 0; i < 4; i++) {
      await assert.rejects(lm.generate({ messages: [{ role: "user", content: "hi" }] }), LMBadResponseError);
    }
  });
});
