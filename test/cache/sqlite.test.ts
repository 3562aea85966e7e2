import assert from "node:assert/strict";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { CacheStoreError, defaultCachePath, SqliteStore } from "../../src/cache/index.js";
import { response, spawnChild, tempDir } from "./helpers.js";

describe("SqliteStore", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
  });
  after(() => cleanup());

  it("stores and reads back responses across connections, in WAL mode", () => {
    const path = join(dir, "nested", "a.db");
    const store = new SqliteStore({ path });
    store.set("k1", { ...response("hello"), finishReasons: ["stop"] });
    assert.deepEqual(store.get("k1"), { ...response("hello"), finishReasons: ["stop"] });
    assert.equal(store.get("missing"), undefined);
    store.close();

    const again = new SqliteStore({ path });
    assert.deepEqual(again.get("k1")?.outputs, ["hello"]);
    assert.equal(again.count(), 1);
    assert.equal(again.delete("k1"), true);
    assert.equal(again.delete("k1"), false);
    again.set("a", response("a"));
    again.set("b", response("b"));
    again.clear();
    assert.equal(again.count(), 0);
    again.close();

    const raw = new Database(path, { readonly: true });
    assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
    raw.close();
  });

  it("stores a detached copy, flagged not cached", () => {
    const store = new SqliteStore({ path: ":memory:" });
    const value = { ...response("x"), cached: true };
    store.set("k", value);
    value.outputs.push("mutated");
    assert.deepEqual(store.get("k"), response("x"));
    store.close();
  });

  it("expires entries after ttlMs and prunes them", () => {
    let now = 1_000_000;
    const path = join(dir, "ttl.db");
    const store = new SqliteStore({ path, ttlMs: 100, now: () => now });
    store.set("k", response("v"));
    now += 99;
    assert.deepEqual(store.get("k")?.outputs, ["v"]);
    now += 1;
    assert.equal(store.get("k"), undefined);
    assert.equal(store.count(), 1);
    assert.equal(store.prune(), 1);
    assert.equal(store.count(), 0);
    store.close();
  });

  it("treats a row that is not a response as a miss and drops it", () => {
    const path = join(dir, "odd.db");
    const store = new SqliteStore({ path });
    store.set("k", response("v"));
    store.flush();
    const raw = new Database(path);
    raw.prepare("UPDATE entries SET value = ? WHERE key = ?").run('{"not":"a response"', "k");
    raw.close();
    assert.equal(store.get("k"), undefined);
    assert.equal(store.count(), 0);
    store.close();
  });

  it("batches writes: pending ones are read back at once, and the tick's writes reach the file together", async () => {
    const path = join(dir, "batch.db");
    const store = new SqliteStore({ path });
    const raw = new Database(path, { readonly: true });
    const rows = () => raw.prepare("SELECT count(*) AS n FROM entries").get() as { n: number };
    const writes = [store.set("a", response("1")), store.set("b", response("2"))];
    assert.deepEqual(store.get("a")?.outputs, ["1"]);
    assert.equal(rows().n, 0, "not in the file before the next turn of the event loop");
    await Promise.all(writes);
    assert.equal(rows().n, 2);
    assert.deepEqual(store.get("b")?.outputs, ["2"]);
    raw.close();
    store.close();
  });

  it("writes pending entries on close and when the process exits", async () => {
    const path = join(dir, "exit.db");
    const closing = new SqliteStore({ path });
    void closing.set("on-close", response("c"));
    closing.close();
    const child = spawnChild("sqlite-exit.ts", [path]);
    assert.equal(await child.end(), 0);
    const store = new SqliteStore({ path });
    assert.deepEqual(store.get("on-close")?.outputs, ["c"]);
    assert.deepEqual(store.get("written-before-exit")?.outputs, ["kept"]);
    store.close();
  });

  it("fails to open a corrupt file with a typed error", () => {
    const path = join(dir, "garbage.db");
    writeFileSync(path, Buffer.from("this is not a database at all, just garbage bytes ".repeat(200)));
    assert.throws(
      () => new SqliteStore({ path }),
      (error: unknown) =>
        error instanceof CacheStoreError &&
        error.context["code"] === "SQLITE_NOTADB" &&
        /garbage\.db/.test(error.message),
    );
  });

  it("is safe with several processes writing at once", { timeout: 60_000 }, async () => {
    const path = join(dir, "shared", "cache.db");
    const writers = 4;
    const perWriter = 250;
    const children = Array.from({ length: writers }, (_, i) =>
      spawnChild("sqlite-writer.ts", [path, `w${i}`, String(perWriter)]),
    );
    try {
      // Every writer opens the (new) file concurrently, then all start writing together.
      for (const child of children) assert.equal(await child.nextLine(), "ready");
      for (const child of children) child.process.stdin.write("go\n");
      const summaries = await Promise.all(children.map(async (c) => JSON.parse(await c.nextLine())));
      for (const s of summaries)
        assert.deepEqual({ written: s.written, errors: s.errors }, { written: perWriter, errors: 0 });
      const codes = await Promise.all(children.map((c) => c.end()));
      assert.deepEqual(codes, Array(writers).fill(0));
    } finally {
      for (const c of children) c.process.kill();
    }
    const store = new SqliteStore({ path });
    assert.equal(store.count(), writers * perWriter);
    for (let w = 0; w < writers; w++) {
      for (let i = 0; i < perWriter; i += 17) assert.deepEqual(store.get(`w${w}:${i}`)?.outputs, [`w${w}-${i}`]);
    }
    store.close();
    assert.ok(statSync(path).size > 0);
  });
});

describe("defaultCachePath", () => {
  it("prefers DSPEX_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache", () => {
    assert.equal(defaultCachePath({ DSPEX_CACHE_DIR: "/x/y" }), "/x/y/cache.db");
    assert.equal(defaultCachePath({ XDG_CACHE_HOME: "/xdg" }), "/xdg/dspex/cache.db");
    assert.match(defaultCachePath({}), /\.cache\/dspex\/cache\.db$/);
  });

  it("is where a store with no path opens", () => {
    const { dir, cleanup } = tempDir();
    const previous = process.env["DSPEX_CACHE_DIR"];
    process.env["DSPEX_CACHE_DIR"] = join(dir, "env");
    try {
      const store = new SqliteStore();
      store.close();
      assert.ok(existsSync(join(dir, "env", "cache.db")));
    } finally {
      if (previous === undefined) delete process.env["DSPEX_CACHE_DIR"];
      else process.env["DSPEX_CACHE_DIR"] = previous;
      cleanup();
    }
  });
});
