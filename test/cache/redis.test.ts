import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { Cache, CacheStoreError, RedisStore } from "../../src/cache/index.js";
import { recordingLogger, response } from "./helpers.js";
import { hasRedisServer, type RedisServer, startRedis } from "./redis-server.js";

const available = hasRedisServer();
// CI installs redis-server (.ci/run), so there a missing server is a failure, not a skip.
if (!available && process.env.CI) throw new Error("redis-server is missing on CI: .ci/run should install it");

describe("RedisStore (real redis-server on loopback)", {
  skip: available ? false : "redis-server is not installed",
}, () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedis();
  });
  after(async () => {
    await server?.stop();
  });

  it("stores, reads, deletes and clears only its own keys", async () => {
    const store = new RedisStore({ url: server.url, keyPrefix: "t1:" });
    const other = new Redis(server.url);
    try {
      await other.set("unrelated", "keep me");
      await store.set("k", { ...response("v"), finishReasons: ["stop"] });
      assert.deepEqual(await store.get("k"), { ...response("v"), finishReasons: ["stop"] });
      assert.equal(await store.get("missing"), undefined);
      assert.equal(await other.exists("t1:k"), 1);
      for (let i = 0; i < 1200; i++) await store.set(`bulk${i}`, response(String(i)));
      assert.equal(await store.delete("k"), true);
      assert.equal(await store.delete("k"), false);
      await store.clear();
      assert.equal((await other.keys("t1:*")).length, 0);
      assert.equal(await other.get("unrelated"), "keep me");
    } finally {
      other.disconnect();
      await store.close();
    }
  });

  it("lets Redis expire entries (ttlMs) and ignores values that are not responses", async () => {
    const store = new RedisStore({ url: server.url, keyPrefix: "t2:", ttlMs: 60_000 });
    const other = new Redis(server.url);
    try {
      await store.set("k", response("v"));
      const ttl = await other.pttl("t2:k");
      assert.ok(ttl > 0 && ttl <= 60_000);
      await other.set("t2:odd", "not json");
      assert.equal(await store.get("odd"), undefined);
    } finally {
      other.disconnect();
      await store.close();
    }
  });

  it("shares entries between caches (machines) and leaves a caller's client open", async () => {
    const client = new Redis(server.url);
    const a = new Cache({ disk: false, memory: false, store: new RedisStore({ url: server.url, keyPrefix: "t3:" }) });
    const b = new Cache({ disk: false, store: new RedisStore({ client, keyPrefix: "t3:" }) });
    try {
      await a.set("k", response("shared"));
      await a.flush();
      const hit = await b.get("k");
      assert.deepEqual(hit?.outputs, ["shared"]);
      assert.equal(hit?.cached, true);
      assert.equal(b.stats().mode, "memory+redis");
    } finally {
      await a.close();
      await b.close();
      assert.equal(await client.ping(), "PONG");
      client.disconnect();
    }
  });

  it("fails with a typed error when the server is gone, and Cache goes memory-only", async () => {
    const dead = await startRedis();
    const url = dead.url;
    await dead.stop();
    const store = new RedisStore({ url, commandTimeoutMs: 200, redisOptions: { retryStrategy: () => null } });
    await assert.rejects(store.get("k"), CacheStoreError);
    await store.close();

    const logger = recordingLogger();
    const cache = new Cache({
      store: new RedisStore({ url, commandTimeoutMs: 200, redisOptions: { retryStrategy: () => null } }),
      logger,
    });
    await cache.set("k", response("v"));
    await cache.flush();
    assert.deepEqual((await cache.get("k"))?.outputs, ["v"]);
    assert.equal(await cache.get("other"), undefined);
    assert.equal(logger.warnings.length, 1);
    assert.match(logger.warnings[0]!, /Redis cache .* failed/);
    assert.equal(cache.stats().mode, "memory");
    await cache.close();
  });
});
