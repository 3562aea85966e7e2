import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryLRU, responseSize } from "../../src/cache/index.js";
import type { LMResponse } from "../../src/lm/types.js";

const response = (text: string): LMResponse => ({
  outputs: [text],
  usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
  model: "m",
  cached: false,
});

describe("MemoryLRU", () => {
  it("evicts the least recently used entry beyond maxEntries", () => {
    const lru = new MemoryLRU<number>({ maxEntries: 3 });
    lru.set("a", 1);
    lru.set("b", 2);
    lru.set("c", 3);
    assert.equal(lru.get("a"), 1); // a is now the most recent
    lru.set("d", 4);
    assert.equal(lru.get("b"), undefined);
    assert.deepEqual([...lru.keys()], ["c", "a", "d"]);
    assert.equal(lru.size, 3);
  });

  it("replaces an existing key without growing", () => {
    const lru = new MemoryLRU<number>({ maxEntries: 2 });
    lru.set("a", 1);
    lru.set("a", 2);
    assert.equal(lru.size, 1);
    assert.equal(lru.get("a"), 2);
    assert.equal(lru.delete("a"), true);
    assert.equal(lru.delete("a"), false);
  });

  it("bounds the summed size with maxBytes", () => {
    const one = responseSize(response("x".repeat(100)));
    const lru = new MemoryLRU<LMResponse>({ maxEntries: 100, maxBytes: one * 2 });
    lru.set("a", response("x".repeat(100)));
    lru.set("b", response("y".repeat(100)));
    assert.equal(lru.totalBytes, one * 2);
    lru.set("c", response("z".repeat(100)));
    assert.equal(lru.get("a"), undefined);
    assert.equal(lru.size, 2);
    assert.equal(lru.totalBytes, one * 2);
    // A value larger than the whole budget is not kept, and evicts nothing.
    lru.set("huge", response("h".repeat(10_000)));
    assert.equal(lru.get("huge"), undefined);
    assert.equal(lru.size, 2);
    lru.clear();
    assert.equal(lru.totalBytes, 0);
  });

  it("expires entries after ttlMs", () => {
    let now = 1000;
    const lru = new MemoryLRU<number>({ ttlMs: 50, now: () => now });
    lru.set("a", 1);
    now += 49;
    assert.equal(lru.get("a"), 1);
    now += 1;
    assert.equal(lru.get("a"), undefined);
    assert.equal(lru.size, 0);
  });

  it("rejects nonsense bounds", () => {
    assert.throws(() => new MemoryLRU({ maxEntries: 0 }), /maxEntries/);
    assert.throws(() => new MemoryLRU({ maxBytes: -1 }), /maxBytes/);
    assert.throws(() => new MemoryLRU({ ttlMs: 0 }), /ttlMs/);
  });
});
