/**
 * A worker whose cancelled call is still running gets no new calls. Before, the pool kept
 * dispatching to it; when the cancelled call ignored its cancel and the worker was killed at the
 * end of the grace period, the innocent calls on it failed with an error naming another call.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CallTimeoutError } from "../../src/bridge/index.js";
import { startPlain } from "./helpers.js";

describe("cancel grace", () => {
  it("calls submitted while a worker waits out a cancel all go elsewhere and succeed", async () => {
    const pool = await startPlain({ name: "grace", size: 2, concurrency: 4, cancelGraceMs: 1500 });
    try {
      const stuck = await pool.call("hang", { seconds: 60 }, { timeoutMs: 100 }).catch((e: unknown) => e);
      assert.ok(stuck instanceof CallTimeoutError, String(stuck));
      // The hung worker now has 1 call in flight and the other none: least-loaded dispatch alone
      // would send every other call to it, and its kill at the end of the grace would fail them.
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => pool.call("sleep", { seconds: 0.8, value: i })),
      );
      const failures = results.filter((r) => r.status === "rejected").map((r) => String(r.reason));
      assert.deepEqual(failures, []);
      assert.deepEqual(
        results.map((r) => (r.status === "fulfilled" ? r.value : undefined)),
        Array.from({ length: 12 }, (_, i) => i),
      );
    } finally {
      await pool.close();
    }
  });
});
