/**
 * A restart budget is a brake, not a verdict. Before, six crashes within 30 s (from any cause)
 * failed a pool for good, and with it every Python module, optimizer and retriever until the
 * process restarted.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { PoolFailedError, type PythonPool, WorkerCrashedError } from "../../src/bridge/index.js";
import { closeSharedPools, configurePool, sharedPool } from "../../src/bridge/shared-pools.js";
import { collectingLogger, startPlain, waitFor } from "./helpers.js";

/** Crashes the pool's single worker `n` times, each time waiting for the replacement (if any). */
async function crashTimes(pool: PythonPool, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const err = await pool.call("crash").catch((e: unknown) => e);
    assert.ok(err instanceof WorkerCrashedError || err instanceof PoolFailedError, String(err));
    await waitFor(
      () => pool.stats().state === "failed" || pool.stats().workers.some((w) => w.state === "ready"),
      15_000,
    );
  }
}

describe("recovery after a restart storm (default restart settings)", () => {
  after(() => closeSharedPools());

  it("a running pool pauses, refuses calls with a typed error saying when, then serves again", async () => {
    const pool = await startPlain({ name: "recover", size: 1 });
    try {
      await crashTimes(pool, 6); // the default budget is 5 restarts in 30 s
      assert.equal(pool.stats().state, "failed");
      const refused = await pool.call("echo", 1).catch((e: unknown) => e);
      assert.ok(refused instanceof PoolFailedError, String(refused));
      assert.equal(refused.permanent, false);
      assert.match(refused.message, /6 worker restarts within 30000 ms \(limit 5\).*starts workers again in \d+ ms/);
      assert.ok(await waitFor(() => pool.stats().state === "running", 20_000), "the pool came back");
      assert.equal(await pool.call("echo", "back"), "back");
      // A second storm right after the first pauses longer (backoff), and the pool still comes back.
      await crashTimes(pool, 1);
      const again = await pool.call("echo", 2).catch((e: unknown) => e);
      assert.ok(again instanceof PoolFailedError, String(again));
      assert.match(again.message, /again in (1\d{3}|20[0-9]{2}) ms/);
      assert.ok(await waitFor(() => pool.stats().state === "running", 20_000), "the pool came back again");
      assert.deepEqual(await Promise.all([1, 2, 3].map((i) => pool.call("echo", i))), [1, 2, 3]);
    } finally {
      await pool.close();
    }
  });

  it("the shared pool recovers from a storm, and a closed shared pool is replaced", async () => {
    configurePool("retrievers", { size: 1, importDspy: false, testTools: true, logger: collectingLogger() });
    const pool = await sharedPool("retrievers");
    await crashTimes(pool, 6);
    assert.ok(await waitFor(() => pool.stats().state === "running", 20_000), "the shared pool came back");
    assert.equal(await (await sharedPool("retrievers")).call("echo", "shared"), "shared");
    assert.equal(await sharedPool("retrievers"), pool);
    await pool.close();
    const fresh = await sharedPool("retrievers");
    assert.notEqual(fresh, pool);
    assert.equal(await fresh.call("echo", "fresh"), "fresh");
  });
});
