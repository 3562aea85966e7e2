import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CallAbortedError,
  CallTimeoutError,
  PoolClosedError,
  PoolSaturatedError,
  PythonError,
  type PythonPool,
  UnknownToolError,
  UnserializableResultError,
} from "../../src/bridge/index.js";
import { collectingLogger, startPlain, waitFor } from "./helpers.js";

describe("PythonPool basics (real workers, no DSPy import)", () => {
  let pool: PythonPool;
  const logger = collectingLogger();

  before(async () => {
    process.env.OPENAI_API_KEY = "sk-never-cross";
    pool = await startPlain({ name: "basics", size: 2, logger, env: { DSPEX_EXTRA: "yes" } });
    delete process.env.OPENAI_API_KEY;
  });
  after(() => pool.close());

  it("starts the requested workers and reports versions", () => {
    const stats = pool.stats();
    assert.equal(stats.state, "running");
    assert.equal(stats.workers.length, 2);
    for (const w of stats.workers) {
      assert.equal(w.state, "ready");
      assert.match(w.python ?? "", /^3\.\d+/);
      assert.equal(w.dspy, null);
    }
  });

  it("echoes structured values, bytes included", async () => {
    const value = { text: "héllo", n: 42, f: 1.5, list: [1, "two", null, true], nested: { a: [] } };
    assert.deepEqual(await pool.call("echo", value), value);
    const bytes = await pool.call<Uint8Array>("echo", Buffer.from([0, 1, 2, 255]));
    assert.deepEqual([...bytes], [0, 1, 2, 255]);
  });

  it("round-trips a 10 MB payload", async () => {
    const big = "x".repeat(10 * 1024 * 1024);
    const back = await pool.call<string>("echo", { big });
    assert.equal((back as unknown as { big: string }).big.length, big.length);
  });

  it("multiplexes many concurrent calls by id", async () => {
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => pool.call<number>("echo", i)));
    assert.deepEqual(
      results,
      Array.from({ length: 500 }, (_, i) => i),
    );
    const slow = pool.call("sleep", { seconds: 0.2, value: "slow" });
    const fast = await pool.call("echo", "fast");
    assert.equal(fast, "fast");
    assert.equal(await slow, "slow");
  });

  it("turns Python exceptions into PythonError with type, message and traceback", async () => {
    const err = await pool.call("raise", { type: "KeyError", message: "missing" }).catch((e: unknown) => e);
    assert.ok(err instanceof PythonError);
    assert.equal(err.pythonType, "KeyError");
    assert.match(err.pythonMessage, /missing/);
    assert.match(err.traceback, /Traceback \(most recent call last\)/);
    assert.match(err.traceback, /tools_testing\.py/);
  });

  it("reports an unknown tool and an unserialisable result clearly", async () => {
    const unknown = await pool.call("no_such_tool").catch((e: unknown) => e);
    assert.ok(unknown instanceof UnknownToolError);
    assert.match(unknown.message, /no tool named 'no_such_tool'/);
    const bad = await pool.call("bad_result").catch((e: unknown) => e);
    assert.ok(bad instanceof UnserializableResultError);
    assert.match(bad.message, /cannot be serialised/);
    assert.equal(await pool.call("echo", "still fine"), "still fine");
  });

  it("keeps Python's prints off the channel and sends them to the logger with the worker id", async () => {
    assert.equal(await pool.call("print_noise"), "quiet");
    // stdout is its own pipe: its lines may arrive after the result frame.
    const logged = () => logger.lines.find((l) => l.message.includes("noise on stdout"));
    assert.ok(await waitFor(() => logged() !== undefined, 5000), "stdout line logged");
    const line = logged()!;
    assert.match(String(line.fields?.worker), /^basics#\d+$/);
    await waitFor(() => logger.lines.some((l) => l.message === "noise on stderr"), 5000);
    const err = logger.lines.find((l) => l.message === "noise on stderr");
    assert.equal(err?.level, "warn");
  });

  it("forwards Python logging records as log frames with the worker id", async () => {
    await pool.call("log_warning", { what: "the ice is thin" });
    const line = logger.lines.find((l) => l.message.includes("careful: the ice is thin"));
    assert.equal(line?.level, "warn");
    assert.equal(line?.fields?.logger, "dspex.test");
    assert.match(String(line?.fields?.worker), /^basics#\d+$/);
  });

  it("does not pass the parent's secrets to workers, but passes the pool env", async () => {
    const names = await pool.call<string[]>("env_names");
    assert.ok(!names.includes("OPENAI_API_KEY"));
    assert.ok(names.includes("DSPEX_EXTRA"));
  });

  it("times out a call at its deadline and cancels it in Python without killing the worker", async () => {
    const before = pool.stats().restarts;
    const err = await pool.call("sleep", { seconds: 30 }, { timeoutMs: 100 }).catch((e: unknown) => e);
    assert.ok(err instanceof CallTimeoutError);
    assert.equal(await pool.call("echo", 1), 1);
    assert.equal(pool.stats().restarts, before);
  });

  it("aborts a call through its AbortSignal", async () => {
    const controller = new AbortController();
    const pending = pool.call("sleep", { seconds: 30 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(pending, CallAbortedError);
    const already = AbortSignal.abort();
    await assert.rejects(pool.call("echo", 1, { signal: already }), CallAbortedError);
  });
});

describe("saturation", () => {
  it("rejects with PoolSaturatedError when the queue is full and stays bounded under a 100k-call flood", async () => {
    const pool = await startPlain({ name: "flood", size: 1, concurrency: 4, queueLimit: 200 });
    try {
      let ok = 0;
      let saturated = 0;
      let other = 0;
      let maxQueued = 0;
      const heapBefore = process.memoryUsage().heapUsed;
      const pending: Promise<void>[] = [];
      for (let batch = 0; batch < 100; batch++) {
        for (let i = 0; i < 1000; i++) {
          pending.push(
            pool.call("echo", i).then(
              () => {
                ok++;
              },
              (e: unknown) => {
                if (e instanceof PoolSaturatedError) saturated++;
                else other++;
              },
            ),
          );
        }
        maxQueued = Math.max(maxQueued, pool.stats().queued);
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all(pending);
      const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
      assert.equal(ok + saturated, 100_000);
      assert.equal(other, 0);
      assert.ok(saturated > 0, "some calls were refused");
      assert.ok(ok > 0, "some calls ran");
      assert.ok(maxQueued <= 200, `queue stayed within its limit (max ${maxQueued})`);
      assert.ok(grownMb < 256, `heap grew by ${grownMb.toFixed(0)} MiB`);
      assert.equal(pool.stats().queued, 0);
    } finally {
      await pool.close();
    }
  });

  it("fails queued and new calls with PoolClosedError after close()", async () => {
    const pool = await startPlain({ name: "closing", size: 1, concurrency: 1 });
    const running = assert.rejects(pool.call("sleep", { seconds: 5 }), PoolClosedError);
    const queued = assert.rejects(pool.call("echo", 1), PoolClosedError);
    await pool.close();
    await running;
    await queued;
    await assert.rejects(pool.call("echo", 1), PoolClosedError);
    assert.equal(pool.stats().workers.length, 0);
  });
});
