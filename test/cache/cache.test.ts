import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { openSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { Cache, SqliteStore } from "../../src/cache/index.js";
import { recordingLogger, response, spawnChild, tempDir } from "./helpers.js";

describe("Cache", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
  });
  after(() => cleanup());

  it("serves hits from memory, then SQLite, as detached copies with zero usage", async () => {
    const path = join(dir, "tiers.db");
    const cache = new Cache({ disk: { path } });
    assert.equal(await cache.get("k"), undefined);
    await cache.set("k", response("v"));
    const hit = await cache.get("k");
    assert.deepEqual(hit, {
      outputs: ["v"],
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      model: "m",
      cached: true,
    });
    hit!.outputs.push("mutated");
    assert.deepEqual((await cache.get("k"))?.outputs, ["v"]);
    await cache.close();

    // A second cache (a new process, say) finds it on disk, then keeps it in memory.
    const other = new Cache({ disk: { path } });
    assert.deepEqual((await other.get("k"))?.outputs, ["v"]);
    assert.deepEqual((await other.get("k"))?.outputs, ["v"]);
    assert.deepEqual(other.stats(), {
      hits: 2,
      misses: 0,
      errors: 0,
      memoryHits: 1,
      storeHits: 1,
      writes: 0,
      mode: "memory+sqlite",
    });
    await other.clear();
    assert.equal(await other.get("k"), undefined);
    await other.close();
  });

  it("can be memory-only or disk-only", async () => {
    const memoryOnly = new Cache({ disk: false });
    await memoryOnly.set("k", response("v"));
    assert.deepEqual((await memoryOnly.get("k"))?.outputs, ["v"]);
    assert.equal(memoryOnly.stats().mode, "memory");

    const path = join(dir, "disk-only.db");
    const diskOnly = new Cache({ memory: false, disk: { path } });
    await diskOnly.set("k", response("v"));
    assert.deepEqual((await diskOnly.get("k"))?.outputs, ["v"]);
    assert.equal(diskOnly.stats().storeHits, 1);
    assert.equal(diskOnly.stats().mode, "sqlite");
    await diskOnly.close();
    const store = new SqliteStore({ path });
    assert.equal(store.count(), 1);
    store.close();
  });

  it("does nothing while disabled, and does not touch the disk", async () => {
    const path = join(dir, "never.db");
    const cache = new Cache({ enabled: false, disk: { path } });
    await cache.set("k", response("v"));
    assert.equal(await cache.get("k"), undefined);
    assert.equal(cache.stats().mode, "off");
    assert.deepEqual(
      { ...cache.stats(), mode: "" },
      { hits: 0, misses: 0, errors: 0, memoryHits: 0, storeHits: 0, writes: 0, mode: "" },
    );
    cache.enabled = true;
    await cache.set("k", response("v"));
    assert.deepEqual((await cache.get("k"))?.outputs, ["v"]);
    await cache.close();
  });

  it("applies ttlMs to both tiers", async () => {
    let now = 5_000;
    const clock = () => now;
    const path = join(dir, "ttl.db");
    const cache = new Cache({ ttlMs: 10, memory: { now: clock }, disk: { path, now: clock } });
    await cache.set("k", response("v"));
    now += 10;
    assert.equal(await cache.get("k"), undefined);
    await cache.close();
  });

  it("warns once and runs memory-only when the file is garbage", async () => {
    const path = join(dir, "garbage.db");
    writeFileSync(path, randomBytes(64 * 1024));
    const logger = recordingLogger();
    const cache = new Cache({ disk: { path }, logger });
    assert.equal(await cache.get("a"), undefined);
    await cache.set("a", response("1"));
    assert.deepEqual((await cache.get("a"))?.outputs, ["1"]);
    await cache.set("b", response("2"));
    assert.equal(logger.warnings.length, 1);
    assert.match(logger.warnings[0]!, /sqlite/i);
    assert.match(logger.warnings[0]!, /memory cache only/);
    assert.equal(cache.stats().mode, "memory");
    assert.equal(cache.stats().errors, 1);
    await cache.close();
  });

  it("warns once when a database goes bad under it (corrupt pages on read)", async () => {
    const path = join(dir, "pages.db");
    const store = new SqliteStore({ path });
    for (let i = 0; i < 2000; i++) store.set(`k${i}`, response("x".repeat(200)));
    store.close();
    // Keep page 1 (header and schema) and trash the rest: the open succeeds, reads fail.
    const fd = openSync(path, "r+");
    writeSync(fd, randomBytes(256 * 1024), 0, 256 * 1024, 4096);
    closeSync(fd);

    const logger = recordingLogger();
    const cache = new Cache({ disk: { path }, logger });
    for (let i = 0; i < 5; i++) assert.equal(await cache.get(`k${i}`), undefined);
    await cache.set("k0", response("fresh"));
    assert.deepEqual((await cache.get("k0"))?.outputs, ["fresh"]);
    assert.equal(logger.warnings.length, 1);
    assert.match(logger.warnings[0]!, /SQLite cache .* failed/);
    assert.equal(cache.stats().mode, "memory");
    await cache.close();
  });

  it("warns once and runs memory-only when another process holds an exclusive lock", async () => {
    // A plain (rollback-journal) database locked by another process: switching it to WAL
    // needs the lock, so opening times out.
    const path = join(dir, "locked-open.db");
    const locker = spawnChild("sqlite-locker.ts", [path, "create"]);
    try {
      assert.equal(await locker.nextLine(), "locked");
      const logger = recordingLogger();
      const cache = new Cache({ disk: { path, busyTimeoutMs: 50 }, logger });
      await cache.set("k", response("v"));
      assert.deepEqual((await cache.get("k"))?.outputs, ["v"]);
      assert.equal(await cache.get("other"), undefined);
      assert.equal(logger.warnings.length, 1);
      assert.match(logger.warnings[0]!, /SQLITE_BUSY|locked/i);
      assert.equal(cache.stats().mode, "memory");
      await cache.close();
    } finally {
      assert.equal(await locker.end(), 0);
    }
  });

  it("warns once when a write runs into a lock held by another connection (WAL file)", async () => {
    const path = join(dir, "locked-write.db");
    const seed = new SqliteStore({ path });
    seed.set("old", response("old"));
    seed.close();

    const logger = recordingLogger();
    const cache = new Cache({ memory: false, disk: { path, busyTimeoutMs: 50 }, logger });
    assert.deepEqual((await cache.get("old"))?.outputs, ["old"]);

    const holder = new Database(path);
    holder.exec("BEGIN EXCLUSIVE");
    holder.exec("INSERT OR REPLACE INTO entries VALUES ('x', '{}', 0, NULL)");
    try {
      await cache.set("new", response("new")); // SQLITE_BUSY after 50 ms: warn, drop the tier
      await cache.set("newer", response("newer"));
      assert.equal(await cache.get("old"), undefined); // no tier left: memory is off too
      assert.equal(logger.warnings.length, 1);
      assert.match(logger.warnings[0]!, /continuing without a cache/);
      assert.equal(cache.stats().mode, "none");
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
      await cache.close();
    }
  });

  it("never throws from a failing custom store", async () => {
    const logger = recordingLogger();
    const broken = {
      name: "flaky",
      get: () => Promise.reject(new Error("connection lost")),
      set: () => Promise.reject(new Error("connection lost")),
      delete: () => Promise.reject(new Error("connection lost")),
      clear: () => Promise.reject(new Error("connection lost")),
      close: () => undefined,
    };
    const cache = new Cache({ store: broken, logger });
    await cache.set("k", response("v"));
    await cache.flush();
    assert.deepEqual((await cache.get("k"))?.outputs, ["v"]);
    await cache.clear();
    assert.equal(logger.warnings.length, 1);
    assert.match(logger.warnings[0]!, /flaky cache failed: connection lost/);

    const throwsOnOpen = new Cache({
      store: () => {
        throw new Error("no such server");
      },
      logger,
    });
    assert.equal(await throwsOnOpen.get("k"), undefined);
    assert.equal(logger.warnings.length, 2);
    await throwsOnOpen.close();
    await cache.close();
  });
});
