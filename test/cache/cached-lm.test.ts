import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Cache, cachedGenerate, withCache } from "../../src/cache/index.js";
import { LMAuthError } from "../../src/lm/errors.js";
import { openai } from "../../src/lm/providers/openai.js";
import type { LMRequest } from "../../src/lm/types.js";
import { type Loopback, type Script, start } from "../helpers/loopback-openai.js";
import { recordingLogger, tempDir } from "./helpers.js";

const question: LMRequest = { messages: [{ role: "user", content: "What is 2+2?" }], temperature: 0 };

/** Answers with the last message's text, or a 401 when it asks to fail. */
const script: Script = (request) => {
  const body = request.body as { messages: { content: string }[] };
  const text = body.messages.at(-1)?.content ?? "";
  if (text.includes("fail")) return { kind: "auth", message: "bad key" };
  return {
    kind: "completion",
    outputs: `answer to ${text}`,
    usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
  };
};

describe("withCache / cachedGenerate (real OpenAI client, loopback server)", () => {
  let server: Loopback;
  let dir: string;
  let cleanup: () => void;
  before(async () => {
    ({ dir, cleanup } = tempDir());
    server = await start({ script });
  });
  after(async () => {
    await server.close();
    cleanup();
  });

  const client = (apiKey = "sk-one", baseURL = server.url) =>
    openai({ model: "gpt-test", baseURL, apiKey, maxRetries: 0 });

  it("answers a repeated request from the cache, flagged and with zero usage", async () => {
    const cache = new Cache({ disk: { path: join(dir, "a.db") } });
    const lm = withCache(client(), cache, { adapter: "ChatAdapter" });
    assert.equal(lm.provider, "openai");
    assert.equal(lm.model, "gpt-test");
    const before = server.requests.length;

    const first = await lm.generate(question);
    assert.equal(first.cached, false);
    assert.deepEqual(first.outputs, ["answer to What is 2+2?"]);
    assert.deepEqual(first.usage, { promptTokens: 12, completionTokens: 3, totalTokens: 15 });

    const second = await lm.generate({ ...question, signal: new AbortController().signal });
    assert.equal(second.cached, true);
    assert.deepEqual(second.outputs, first.outputs);
    assert.deepEqual(second.usage, { promptTokens: 0, completionTokens: 0, totalTokens: 0 });
    assert.equal(server.requests.length - before, 1);

    // Another key or base URL for the same provider and model shares the entry.
    const moved = withCache(client("sk-two", server.url.replace("127.0.0.1", "localhost")), cache, {
      adapter: "ChatAdapter",
    });
    assert.equal((await moved.generate(question)).cached, true);
    assert.equal(server.requests.length - before, 1);

    // A new rolloutId, setting or adapter is a new request.
    assert.equal((await lm.generate({ ...question, rolloutId: 1 })).cached, false);
    assert.equal((await lm.generate({ ...question, temperature: 1 })).cached, false);
    assert.equal((await withCache(client(), cache, { adapter: "JSONAdapter" }).generate(question)).cached, false);
    assert.equal(server.requests.length - before, 4);
    assert.deepEqual({ hits: cache.stats().hits, misses: cache.stats().misses }, { hits: 2, misses: 4 });
    await cache.close();
  });

  it("survives a new process: the SQLite tier answers a fresh cache", async () => {
    const path = join(dir, "persist.db");
    const one = new Cache({ disk: { path } });
    await cachedGenerate(client(), question, one);
    await one.close();
    const before = server.requests.length;
    const two = new Cache({ disk: { path } });
    const again = await cachedGenerate(client(), question, two);
    assert.equal(again.cached, true);
    assert.equal(server.requests.length, before);
    await two.close();
  });

  it("never stores a failure", async () => {
    const cache = new Cache({ disk: false });
    const lm = withCache(client(), cache);
    const failing: LMRequest = { messages: [{ role: "user", content: "please fail" }] };
    await assert.rejects(lm.generate(failing), LMAuthError);
    await assert.rejects(lm.generate(failing), LMAuthError);
    assert.equal(cache.stats().writes, 0);
  });

  it("can be bypassed per call and switched off globally", async () => {
    const cache = new Cache({ disk: false });
    const lm = client();
    await cachedGenerate(lm, question, cache);
    const before = server.requests.length;
    const bypassed = await cachedGenerate(lm, question, cache, { enabled: false });
    assert.equal(bypassed.cached, false);
    assert.equal(server.requests.length - before, 1);
    cache.enabled = false;
    assert.equal((await cachedGenerate(lm, question, cache)).cached, false);
    assert.equal((await cachedGenerate(lm, question, undefined)).cached, false);
    assert.equal(server.requests.length - before, 3);
    cache.enabled = true;
    assert.equal((await cachedGenerate(lm, question, cache)).cached, true);
  });

  it("keeps calls working when the disk cache is broken", async () => {
    const logger = recordingLogger();
    const { writeFileSync } = await import("node:fs");
    const path = join(dir, "broken.db");
    writeFileSync(path, "garbage ".repeat(1000));
    const cache = new Cache({ disk: { path }, logger });
    const lm = withCache(client(), cache);
    assert.equal((await lm.generate(question)).cached, false);
    assert.equal((await lm.generate(question)).cached, true);
    assert.equal(logger.warnings.length, 1);
  });

  it("streams uncached, straight from the LM", async () => {
    server.setScript([{ kind: "stream", deltas: ["a", "b"] }]);
    try {
      const cache = new Cache({ disk: false });
      const lm = withCache(client(), cache);
      let text = "";
      for await (const chunk of lm.stream(question)) text += chunk.delta;
      assert.equal(text, "ab");
      assert.equal(cache.stats().writes, 0);
    } finally {
      server.setScript(script);
    }
  });
});
