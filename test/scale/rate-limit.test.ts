/**
 * Shared rate limits: budgets in a real redis-server, used by several "machines" (each with its
 * own Redis connection and LM client) against a loopback OpenAI-compatible server that records
 * when each request arrived.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openai } from "../../src/lm/index.js";
import type { LMRequest } from "../../src/lm/types.js";
import { type RateLimitedLM, sharedRateLimit } from "../../src/scale/rate-limit.js";
import { hasRedisServer, type RedisServer, startRedis } from "../cache/redis-server.js";
import { type Loopback, type Reply, start } from "../helpers/loopback-openai.js";

const available = hasRedisServer();
if (!available && process.env.CI) throw new Error("redis-server is missing on CI: .ci/run should install it");

const ask = (text: string): LMRequest => ({ messages: [{ role: "user", content: text }] });

describe("shared rate limits (real redis-server)", {
  skip: available ? false : "redis-server is not installed",
}, () => {
  let redis: RedisServer;
  let llm: Loopback;
  const arrivals: number[] = [];
  let replies: (i: number) => Reply = () => ({ kind: "completion", outputs: "ok" });
  const limited: RateLimitedLM[] = [];
  const machine = (options: Omit<Parameters<typeof sharedRateLimit>[1], "url">): RateLimitedLM => {
    // maxRetries 0: the 429 reaches the limiter at once, not after the client's own retries.
    const lm = sharedRateLimit(openai({ model: "m", baseURL: llm.url, apiKey: "k", maxRetries: 0 }), {
      url: redis.url,
      ...options,
    });
    limited.push(lm);
    return lm;
  };

  before(async () => {
    redis = await startRedis();
    llm = await start({
      script: (_request, index) => {
        arrivals.push(Date.now());
        return replies(index);
      },
    });
  });
  after(async () => {
    for (const lm of limited) await lm.limit.close();
    await llm?.close();
    await redis?.stop();
  });

  it("holds a requests-per-minute budget across machines", async () => {
    arrivals.length = 0;
    // 600 rpm = one request per 100 ms, in bursts of at most 2.
    const machines = [0, 1, 2].map(() => machine({ rpm: 600, burst: 2, key: "rpm-test" }));
    const started = Date.now();
    await Promise.all(machines.flatMap((lm, m) => [0, 1, 2, 3].map((i) => lm.generate(ask(`m${m} r${i}`)))));
    assert.equal(arrivals.length, 12);
    const sorted = [...arrivals].sort((a, b) => a - b);
    // After the burst of 2, the k-th request cannot arrive before (k - 1) * 100 ms from the start
    // (a small allowance for Redis's and Node's clock granularity).
    for (let k = 2; k < sorted.length; k++) {
      assert.ok(sorted[k]! - started >= (k - 1) * 100 - 15, `request ${k} at ${sorted[k]! - started} ms`);
    }
  });

  it("holds a tokens-per-minute budget across machines, charged with each response's usage", async () => {
    arrivals.length = 0;
    replies = () => ({
      kind: "completion",
      outputs: "ok",
      usage: { prompt_tokens: 100, completion_tokens: 100, total_tokens: 200 },
    });
    // 6000 tpm = 100 tokens per second, bucket of 100; every call costs 200. Tokens are charged
    // when a response comes back, so the machines take turns: each call after the first waits
    // for the budget the previous one overdrew (to -100, then to about -199).
    const [a, b] = [machine({ tpm: 6000, key: "tpm-test" }), machine({ tpm: 6000, key: "tpm-test" })];
    await a.generate(ask("t1"));
    await b.generate(ask("t2"));
    await a.generate(ask("t3"));
    const sorted = [...arrivals].sort((x, y) => x - y);
    assert.equal(sorted.length, 3);
    assert.ok(sorted[1]! - sorted[0]! >= 950, `b waited for the budget a spent (${sorted[1]! - sorted[0]!} ms)`);
    assert.ok(sorted[2]! - sorted[1]! >= 1900, `a waited for the budget b spent (${sorted[2]! - sorted[1]!} ms)`);
    replies = () => ({ kind: "completion", outputs: "ok" });
  });

  it("makes every machine back off after one gets a 429", async () => {
    arrivals.length = 0;
    let first = true;
    replies = () => {
      if (first) {
        first = false;
        return { kind: "rateLimit", retryAfterMs: "800" };
      }
      return { kind: "completion", outputs: "ok" };
    };
    const [a, b] = [machine({ rpm: 60_000, key: "429-test" }), machine({ rpm: 60_000, key: "429-test" })];
    const gotA = a.generate(ask("first"));
    await new Promise((r) => setTimeout(r, 100));
    const startB = Date.now();
    const replyB = await b.generate(ask("other machine"));
    const replyA = await gotA;
    assert.deepEqual(replyA.outputs, ["ok"]);
    assert.deepEqual(replyB.outputs, ["ok"]);
    assert.equal(arrivals.length, 3);
    // b's request waited for the back-off a's 429 set (800 ms from the 429, b asked 100 ms later).
    const bArrival = Math.min(arrivals[1]!, arrivals[2]!);
    assert.ok(bArrival - arrivals[0]! >= 750, `no request before the back-off ended (${bArrival - arrivals[0]!} ms)`);
    assert.ok(bArrival - startB >= 600);
    replies = () => ({ kind: "completion", outputs: "ok" });
  });
});
