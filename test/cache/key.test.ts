import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CacheKeyError, cacheKey, canonicalRequest } from "../../src/cache/index.js";
import type { LMRequest } from "../../src/lm/types.js";

const ctx = { provider: "openai", model: "gpt-4o-mini" };
const base: LMRequest = { messages: [{ role: "user", content: "What is 2+2?" }], temperature: 0, maxTokens: 100 };

describe("cacheKey", () => {
  it("is a sha256 hex digest", () => {
    assert.match(cacheKey(base, ctx), /^[0-9a-f]{64}$/);
  });

  it("ignores key order, undefined fields and the abort signal", () => {
    const reordered: LMRequest = {
      maxTokens: 100,
      temperature: 0,
      stop: undefined,
      signal: new AbortController().signal,
      messages: [{ content: "What is 2+2?", role: "user" }],
    };
    assert.equal(cacheKey(reordered, ctx), cacheKey(base, ctx));
    const opts1 = { ...base, providerOptions: { top_p: 0.5, seed: 1, extra: { b: 1, a: 2 } } };
    const opts2 = { ...base, providerOptions: { extra: { a: 2, b: 1 }, seed: 1, top_p: 0.5, x: undefined } };
    assert.equal(cacheKey(opts1, ctx), cacheKey(opts2, ctx));
  });

  it("changes with every field that shapes the response", () => {
    const keys = new Set<string>([
      cacheKey(base, ctx),
      cacheKey({ ...base, temperature: 0.5 }, ctx),
      cacheKey({ ...base, maxTokens: 101 }, ctx),
      cacheKey({ ...base, n: 2 }, ctx),
      cacheKey({ ...base, stop: ["\n"] }, ctx),
      cacheKey({ ...base, responseFormat: { type: "json_object" } }, ctx),
      cacheKey({ ...base, rolloutId: 1 }, ctx),
      cacheKey({ ...base, rolloutId: "1" }, ctx),
      cacheKey({ ...base, providerOptions: { seed: 7 } }, ctx),
      cacheKey({ ...base, messages: [{ role: "system", content: "What is 2+2?" }] }, ctx),
      cacheKey({ ...base, messages: [{ role: "user", content: "What is 2+3?" }] }, ctx),
      cacheKey(base, { ...ctx, provider: "anthropic" }),
      cacheKey(base, { ...ctx, model: "gpt-4o" }),
      cacheKey(base, { ...ctx, adapter: "ChatAdapter" }),
      cacheKey(base, { ...ctx, adapter: "JSONAdapter" }),
    ]);
    assert.equal(keys.size, 15);
  });

  it("never includes credentials, base URL or headers from provider options", () => {
    const withSecrets: LMRequest = {
      ...base,
      providerOptions: {
        apiKey: "sk-secret",
        api_key: "sk-secret",
        baseURL: "http://a",
        base_url: "http://b",
        api_base: "http://c",
        headers: { Authorization: "Bearer x" },
        Authorization: "Bearer y",
      },
    };
    assert.equal(cacheKey(withSecrets, ctx), cacheKey(base, ctx));
    assert.doesNotMatch(canonicalRequest(withSecrets, ctx), /secret|Bearer|http:/);
  });

  it("uses the LM's defaults for fields the request leaves out", () => {
    const defaults = { temperature: 0.7, providerOptions: { seed: 3 } };
    const { temperature: _t, ...noTemp } = base;
    assert.equal(
      cacheKey(noTemp, { ...ctx, defaults }),
      cacheKey({ ...noTemp, temperature: 0.7, providerOptions: { seed: 3 } }, ctx),
    );
    // The request wins over the defaults.
    assert.equal(cacheKey(base, { ...ctx, defaults }), cacheKey({ ...base, providerOptions: { seed: 3 } }, ctx));
    assert.notEqual(cacheKey(noTemp, { ...ctx, defaults }), cacheKey(noTemp, ctx));
  });

  it("keeps strings unambiguous whatever they contain", () => {
    const a: LMRequest = { messages: [{ role: "user", content: "a','user" }] };
    const b: LMRequest = {
      messages: [
        { role: "user", content: "a" },
        { role: "user", content: "" },
      ],
    };
    assert.notEqual(cacheKey(a, ctx), cacheKey(b, ctx));
    assert.notEqual(cacheKey({ ...base, stop: ["1", "2"] }, ctx), cacheKey({ ...base, stop: ["1,'1:2"] }, ctx));
    assert.notEqual(
      cacheKey({ ...base, providerOptions: { x: Number.NaN } }, ctx),
      cacheKey({ ...base, providerOptions: { x: null } }, ctx),
    );
    assert.equal(
      cacheKey({ ...base, providerOptions: { x: -0 } }, ctx),
      cacheKey({ ...base, providerOptions: { x: 0 } }, ctx),
    );
    const emoji: LMRequest = { messages: [{ role: "user", content: 'héllo 👋 \u0000 "q" \\' }] };
    assert.match(cacheKey(emoji, ctx), /^[0-9a-f]{64}$/);
  });

  it("tells lone surrogates apart from U+FFFD and from each other", () => {
    const key = (content: string) => cacheKey({ messages: [{ role: "user", content }] }, ctx);
    const texts = ["hello\uD800", "hello\uFFFD", "hello\uDC00", "hello\uD800\uDC00", "hello\uFFFD\uFFFD", "hello"];
    assert.equal(new Set(texts.map(key)).size, texts.length);
    const opt = (x: unknown) => cacheKey({ ...base, providerOptions: { x } }, ctx);
    assert.notEqual(opt(["a\uDBFF"]), opt(["a\uFFFD"]));
    assert.notEqual(opt({ "k\uD800": 1 }), opt({ "k\uFFFD": 1 }));
    assert.notEqual(cacheKey({ ...base, stop: ["\uD83D"] }, ctx), cacheKey({ ...base, stop: ["\uFFFD"] }, ctx));
    // A JSON-escaped string cannot pass for a length-prefixed one holding the same characters.
    assert.notEqual(key("\uD800"), key('"\\ud800"'));
  });

  it("is stable across runs (a fixed request has a fixed key)", () => {
    // If this changes, every stored entry is orphaned: bump KEY_VERSION on purpose, then update it.
    assert.equal(
      canonicalRequest(base, ctx),
      `{"adapter":null,"maxTokens":100,"messages":[{"content":'12:What is 2+2?,"role":'4:user}],"model":'11:gpt-4o-mini,"n":null,"provider":'6:openai,"providerOptions":null,"responseFormat":null,"rolloutId":null,"stop":null,"temperature":0,"v":1}`,
    );
  });

  it("throws CacheKeyError on a cycle", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    assert.throws(() => cacheKey({ ...base, providerOptions: cyclic }, ctx), CacheKeyError);
  });
});
