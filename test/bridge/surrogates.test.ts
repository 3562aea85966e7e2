/**
 * Lone UTF-16 surrogates (half an emoji) cross the bridge unchanged in both directions, and never
 * take a worker down: before, msgpackr's bytes for them made Python's msgpack reject the frame
 * and the worker exit, failing every call in flight on it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BridgeValueError, PythonError, type PythonPool } from "../../src/bridge/index.js";
import { startPlain, workerPids } from "./helpers.js";

const SAMPLES = [
  "a\uD83D",
  "\uDE00b",
  "\uDE00\uD83D",
  "x\uD800y\uDBFFz\uDC00",
  `${"long ".repeat(5000)}\uD83D`,
  "pair \uD83D\uDE00 then lone \uD83D",
];

describe("lone surrogates on the bridge", () => {
  let pool: PythonPool;
  before(async () => {
    pool = await startPlain({ size: 1, concurrency: 4 });
  });
  after(() => pool.close());

  it("echoes strings with lone surrogates code unit for code unit, and the worker lives", async () => {
    const [pid] = workerPids(pool);
    for (const s of SAMPLES)
      assert.ok((await pool.call("echo", s)) === s, `round trip of ${JSON.stringify(s.slice(-20))}`);
    const nested = {
      [`key\uD83D`]: [`v\uDC00`, { deep: "\uD83D" }],
      [`${"k".repeat(100)}\uDC00`]: `${"v".repeat(100)}\uD800`,
      plain: "ok",
    };
    assert.deepEqual(await pool.call("echo", nested), nested);
    const many = await Promise.all(Array.from({ length: 7 }, (_, i) => pool.call("echo", `${i}\uD83D`)));
    assert.deepEqual(
      many,
      Array.from({ length: 7 }, (_, i) => `${i}\uD83D`),
    );
    assert.deepEqual(workerPids(pool), [pid]);
  });

  it("carries them inside a Python error's message, too", async () => {
    await assert.rejects(pool.call("raise", { type: "ValueError", message: "bad \uD83D" }), (err: unknown) => {
      assert.ok(err instanceof PythonError);
      assert.match(err.message, /bad \uD83D/);
      return true;
    });
    assert.equal(await pool.call("echo", "still up"), "still up");
  });

  it("carries them through a Python -> Node callback and back", async () => {
    const got: unknown[] = [];
    const p = await startPlain({
      size: 1,
      callbacks: {
        mirror: (args: unknown) => {
          got.push(args);
          return { back: `\uDC00${String((args as { s: string }).s)}` };
        },
      },
    });
    try {
      const r = await p.call("call_node", { name: "mirror", args: { s: "half \uD83D" } });
      assert.deepEqual(got, [{ s: "half \uD83D" }]);
      assert.deepEqual(r, { back: "\uDC00half \uD83D" });
    } finally {
      await p.close();
    }
  });

  it("refuses values it cannot carry with a typed error for that call only", async () => {
    const [pid] = workerPids(pool);
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    let deep: unknown = "leaf";
    for (let i = 0; i < 5000; i++) deep = [deep];
    const bad: [string, unknown, RegExp][] = [
      ["circular", circular, /circular/],
      ["5,000 deep", deep, /nested deeper/],
      ["Symbol", { s: Symbol("x") }, /Symbol.*\$\.args\.s/],
      ["BigInt", [1, 2n ** 70n], /BigInt.*\$\.args\[1\]/],
    ];
    for (const [name, value, message] of bad) {
      await assert.rejects(pool.call("echo", value), (err: unknown) => {
        assert.ok(err instanceof BridgeValueError, `${name}: ${String(err)}`);
        assert.match(err.message, message);
        return true;
      });
    }
    assert.equal(await pool.call("echo", 2n ** 40n), 2n ** 40n);
    assert.deepEqual(workerPids(pool), [pid]);
  });
});
