import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CallTimeoutError, PoolFailedError, type PythonPool, WorkerCrashedError } from "../../src/bridge/index.js";
import { collectingLogger, sleep, startPlain, waitFor, workerPids } from "./helpers.js";

async function withPool<T>(pool: PythonPool, fn: (pool: PythonPool) => Promise<T>): Promise<T> {
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

/** The pid of the worker currently running a call, once it has one. */
async function busyPid(pool: PythonPool): Promise<number> {
  let pid: number | undefined;
  await waitFor(() => {
    pid = pool.stats().workers.find((w) => w.inflight > 0)?.pid;
    return pid !== undefined;
  }, 5000);
  assert.ok(pid, "a worker picked up the call");
  return pid;
}

describe("faults (real workers, no mocks)", () => {
  it("crash: SIGKILL mid-call gives WorkerCrashedError with stderr lines within 1 s; the worker is replaced and queued calls complete", async () => {
    await withPool(await startPlain({ name: "crash", size: 2, concurrency: 1 }), async (pool) => {
      const before = workerPids(pool);
      const crashing = pool
        .call("crash", { message: "last words before the crash", after: 0.2 })
        .catch((e: unknown) => e);
      const busy = pool.call("sleep", { seconds: 0.3, value: "survivor" });
      const queued = Array.from({ length: 6 }, (_, i) => pool.call<number>("echo", i));
      const err = await crashing;
      assert.ok(err instanceof WorkerCrashedError, String(err));
      assert.equal(err.signal, "SIGKILL");
      assert.ok(
        err.stderrTail.some((l) => l.includes("last words before the crash")),
        err.message,
      );
      assert.match(err.message, /last stderr lines/);
      assert.equal(await busy, "survivor");
      assert.deepEqual(await Promise.all(queued), [0, 1, 2, 3, 4, 5]);
      assert.ok(await waitFor(() => pool.stats().workers.filter((w) => w.state === "ready").length === 2, 10_000));
      assert.notDeepEqual(workerPids(pool).sort(), before.sort());
      assert.equal(pool.stats().restarts, 1);
    });
  });

  it("crash: an external SIGKILL is reported within 1 s", async () => {
    await withPool(await startPlain({ name: "kill", size: 1, concurrency: 1 }), async (pool) => {
      const pending = pool.call("sleep", { seconds: 30 }).catch((e: unknown) => e);
      const pid = await busyPid(pool);
      const killedAt = Date.now();
      process.kill(pid, "SIGKILL");
      const err = await pending;
      const elapsed = Date.now() - killedAt;
      assert.ok(err instanceof WorkerCrashedError);
      assert.ok(elapsed < 1000, `reported after ${elapsed} ms`);
      assert.equal(await pool.call("echo", "after"), "after");
    });
  });

  it("crash: idempotent calls are retried on another worker, others are not", async () => {
    await withPool(await startPlain({ name: "retry", size: 2, concurrency: 1 }), async (pool) => {
      const retried = pool.call("sleep", { seconds: 0.5, value: "done" }, { idempotent: true });
      const pid = await busyPid(pool);
      process.kill(pid, "SIGKILL");
      assert.equal(await retried, "done");
      const once = pool.call("sleep", { seconds: 30 }).catch((e: unknown) => e);
      process.kill(await busyPid(pool), "SIGKILL");
      assert.ok((await once) instanceof WorkerCrashedError);
    });
  });

  it("restart storm: a pool whose workers keep dying fails with the reason", async () => {
    const err = await startPlain({
      name: "storm",
      size: 1,
      maxRestarts: 3,
      restartWindowMs: 60_000,
      env: { DSPEX_WORKER_FAIL_ON_START: "simulated import failure" },
    }).catch((e: unknown) => e);
    assert.ok(err instanceof PoolFailedError, String(err));
    assert.match(err.reason, /4 worker restarts within 60000 ms \(limit 3\)/);
    assert.match(err.reason, /simulated import failure/);
  });

  it("restart storm: a running pool fails clearly and then refuses calls", async () => {
    const pool = await startPlain({ name: "storm2", size: 1, maxRestarts: 2, restartWindowMs: 60_000 });
    await withPool(pool, async () => {
      for (let i = 0; i < 3; i++) {
        const err = await pool.call("crash").catch((e: unknown) => e);
        assert.ok(err instanceof WorkerCrashedError || err instanceof PoolFailedError, String(err));
        await waitFor(
          () => pool.stats().state === "failed" || pool.stats().workers.some((w) => w.state === "ready"),
          10_000,
        );
      }
      assert.equal(pool.stats().state, "failed");
      const err = await pool.call("echo", 1).catch((e: unknown) => e);
      assert.ok(err instanceof PoolFailedError);
      assert.match(err.message, /3 worker restarts/);
    });
  });

  it("fails the pool at once when the interpreter does not exist, with the fix", async () => {
    const err = await startPlain({ name: "nopython", python: "/nonexistent/python3" }).catch((e: unknown) => e);
    assert.ok(err instanceof PoolFailedError);
    assert.match(err.reason, /cannot start \/nonexistent\/python3/);
    assert.match(err.fix ?? "", /npx dspex setup/);
  });

  it("deadline: a hung call times out, is cancelled, and its worker is killed when it ignores the cancel", async () => {
    const logger = collectingLogger();
    await withPool(
      await startPlain({ name: "hang", size: 1, concurrency: 2, cancelGraceMs: 200, logger }),
      async (pool) => {
        const [pid] = workerPids(pool);
        const neighbour = pool.call("sleep", { seconds: 30 }).catch((e: unknown) => e);
        const err = await pool.call("hang", {}, { timeoutMs: 100 }).catch((e: unknown) => e);
        assert.ok(err instanceof CallTimeoutError);
        const crash = await neighbour;
        assert.ok(crash instanceof WorkerCrashedError);
        assert.match(crash.message, /did not stop within 200 ms of its cancel/);
        assert.equal(await pool.call("echo", "replaced"), "replaced");
        assert.notEqual(workerPids(pool)[0], pid);
      },
    );
  });

  it("heartbeat: a frozen worker (SIGSTOP) is killed and replaced", async () => {
    await withPool(
      await startPlain({ name: "frozen", size: 1, heartbeatMs: 50, heartbeatTimeoutMs: 300 }),
      async (pool) => {
        const pending = pool.call("sleep", { seconds: 30 }).catch((e: unknown) => e);
        process.kill(await busyPid(pool), "SIGSTOP");
        const err = await pending;
        assert.ok(err instanceof WorkerCrashedError);
        assert.match(err.message, /sent no heartbeat/);
        assert.equal(await pool.call("echo", 1), 1);
      },
    );
  });

  it("bad frames: a malformed frame or an oversized length kills that worker with a clear error and the pool goes on", async () => {
    await withPool(await startPlain({ name: "frames", size: 2 }), async (pool) => {
      const malformed = await pool.call("emit_bad_frame").catch((e: unknown) => e);
      assert.ok(malformed instanceof WorkerCrashedError);
      assert.match(malformed.message, /protocol error: malformed frame/);
      const oversized = await pool.call("emit_bad_frame", { oversized: true }).catch((e: unknown) => e);
      assert.ok(oversized instanceof WorkerCrashedError);
      assert.match(oversized.message, /frame length \d+ exceeds the limit of 67108864 bytes/);
      assert.deepEqual(await Promise.all([1, 2, 3, 4].map((i) => pool.call("echo", i))), [1, 2, 3, 4]);
    });
  });

  it("recycling by request count happens without failing calls", async () => {
    await withPool(
      await startPlain({ name: "recycle", size: 1, concurrency: 2, maxRequestsPerWorker: 5 }),
      async (pool) => {
        const pids = new Set<number>();
        const results: number[] = [];
        for (let i = 0; i < 12; i++) {
          results.push(await pool.call<number>("echo", i));
          pids.add(await pool.call<number>("pid"));
        }
        const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.call<number>("echo", i)));
        assert.equal(burst.length, 40);
        assert.deepEqual(
          results,
          Array.from({ length: 12 }, (_, i) => i),
        );
        assert.ok(pool.stats().recycled >= 4, `recycled ${pool.stats().recycled}`);
        assert.ok(pids.size >= 4, `served by ${pids.size} processes`);
        assert.equal(pool.stats().restarts, 0);
      },
    );
  });

  it("recycling by RSS happens without failing calls", async () => {
    await withPool(await startPlain({ name: "rss", size: 1, maxRssMb: 80 }), async (pool) => {
      const first = await pool.call<number>("pid");
      assert.equal(await pool.call("alloc", { mb: 120 }), 1);
      assert.ok(await waitFor(() => pool.stats().recycled === 1, 5000));
      const second = await pool.call<number>("pid");
      assert.notEqual(second, first);
      assert.equal(pool.stats().restarts, 0);
      await sleep(50);
    });
  });
});
