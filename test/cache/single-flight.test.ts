/**
 * Single flight through the Redis cache: identical requests missed by several caches at once
 * (each with its own Redis connection, as on separate machines) reach the LM once. Real
 * redis-server, real OpenAI-compatible loopback server.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Cache, cachedGenerate, RedisStore } from "../../src/cache/index.js";
import { openai } from "../../src/lm/index.js";
import type { LMRequest } from "../../src/lm/types.js";
import { type Loopback, start } from "../helpers/loopback-openai.js";
import { response } from "./helpers.js";
import { hasRedisServer, type RedisServer, startRedis } from "./redis-server.js";

const available = hasRedisServer();
if (!available && process.env.CI) throw new Error("redis-server is missing on CI: .ci/run should install it");

const request = (text: string): LMRequest => ({ messages: [{ role: "user", content: text }] });

describe("Cache single flight over Redis", { skip: available ? false : "redis-server is not installed" }, () => {
  let server: RedisServer;
  let llm: Loopback;
  const caches: Cache[] = [];
  const machine = (prefix: string, lockMs?: number): Cache => {
    const cache = new Cache({
      disk: false,
      store: new RedisStore({ url: server.url, keyPrefix: prefix }),
      ...(lockMs ? { singleFlight: { lockMs } } : {}),
    });
    caches.push(cache);
    return cache;
  };

  before(async () => {
    server = await startRedis();
    llm = await start({ latencyMs: 300, script: () => ({ kind: "completion", outputs: "answer" }) });
  });
  after(async () => {
    for (const c of caches) await c.close();
    await llm?.close();
    await server?.stop();
  });

  it("sends the same request from four machines at once to the provider once", async () => {
    const lm = openai({ model: "m", baseURL: llm.url, apiKey: "k" });
    const machines = [0, 1, 2, 3].map(() => machine("sf1:"));
    const before = llm.requests.length;
    const replies = await Promise.all(machines.map((c) => cachedGenerate(lm, request("same question"), c)));
    assert.equal(llm.requests.length - before, 1);
    assert.deepEqual(
      replies.map((r) => r.outputs),
      [["answer"], ["answer"], ["answer"], ["answer"]],
    );
    assert.equal(replies.filter((r) => !r.cached).length, 1, "one paid call, three hits");
    assert.equal(replies.filter((r) => r.cached && r.usage.totalTokens === 0).length, 3);
    // Different requests are not held up by each other.
    const other = await Promise.all(machines.map((c, i) => cachedGenerate(lm, request(`question ${i}`), c)));
    assert.equal(other.filter((r) => !r.cached).length, 4);
  });

  it("shares one call among concurrent identical misses in one process too", async () => {
    const lm = openai({ model: "m", baseURL: llm.url, apiKey: "k" });
    const cache = machine("sf2:");
    const before = llm.requests.length;
    const replies = await Promise.all([1, 2, 3].map(() => cachedGenerate(lm, request("in process"), cache)));
    assert.equal(llm.requests.length - before, 1);
    assert.equal(replies.filter((r) => r.cached).length, 2);
    assert.equal(cache.stats().hits, 2);
  });

  it("lets a waiter compute itself when the holder fails, and never caches the failure", async () => {
    const [a, b] = [machine("sf3:"), machine("sf3:")];
    let release!: () => void;
    const holding = new Promise<void>((r) => {
      release = r;
    });
    const failing = a.getOrCompute("k", async () => {
      await holding;
      throw new Error("provider down");
    });
    await new Promise((r) => setTimeout(r, 50));
    let computedByB = false;
    const waiting = b.getOrCompute("k", async () => {
      computedByB = true;
      return response("from b");
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(computedByB, false, "b waits while a holds the claim");
    release();
    await assert.rejects(failing, /provider down/);
    const got = await waiting;
    assert.equal(computedByB, true);
    assert.deepEqual(got.outputs, ["from b"]);
  });

  it("gives up on a holder that hangs once the lock times out", async () => {
    const [a, b] = [machine("sf4:", 400), machine("sf4:", 400)];
    const hung = a.getOrCompute("k", () => new Promise(() => undefined));
    void hung;
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const got = await b.getOrCompute("k", async () => response("after timeout"));
    const waited = Date.now() - started;
    assert.deepEqual(got.outputs, ["after timeout"]);
    assert.ok(waited >= 300, `b waited for the lock to lapse (${waited} ms)`);
  });
});
