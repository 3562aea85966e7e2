import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PythonError, type PythonPool, SessionLostError, WorkerCrashedError } from "../../src/bridge/index.js";
import { sleep, startPlain, waitFor } from "./helpers.js";

describe("streams, sessions and callbacks (real workers)", () => {
  let pool: PythonPool;

  before(async () => {
    pool = await startPlain({
      name: "ssc",
      size: 2,
      callbacks: {
        add: (args) => {
          const { a, b } = args as { a: number; b: number };
          return a + b;
        },
        slowUpper: async (args) => {
          await sleep(10);
          return String(args).toUpperCase();
        },
        fails: () => {
          throw new TypeError("node side broke");
        },
      },
    });
  });
  after(() => pool.close());

  it("streams a Python generator in order", async () => {
    const got: number[] = [];
    for await (const x of pool.stream<number>("stream_count", { n: 50 })) got.push(x);
    assert.deepEqual(
      got,
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  it("backpressure: a slow consumer pauses the Python generator", async () => {
    const session = pool.session();
    const it = session.stream<number>("stream_count", { n: 1000, key: "bp" }, { window: 4 })[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) assert.equal((await it.next()).value, i);
    await sleep(300); // give an unpaused producer ample time to run ahead
    const produced = await session.call<number>("stream_progress", { key: "bp" });
    assert.ok(produced <= 3 + 4, `generator ran ${produced} steps for 3 consumed with a window of 4`);
    await it.return?.();
    session.close();
  });

  it("leaving the loop early cancels the generator in Python", async () => {
    const session = pool.session();
    const got: number[] = [];
    for await (const x of session.stream<number>("stream_count", { n: 100_000, key: "early", delay: 0.001 })) {
      got.push(x);
      if (got.length === 5) break;
    }
    const worker = () => pool.stats().workers.find((w) => w.id === session.workerId);
    assert.ok(await waitFor(() => worker()?.inflight === 0, 5000), "the cancelled stream finished in Python");
    const stopped = await session.call<number>("stream_progress", { key: "early" });
    await sleep(100);
    assert.equal(await session.call<number>("stream_progress", { key: "early" }), stopped);
    assert.ok(stopped < 100_000);
    session.close();
  });

  it("a Python error mid-stream reaches the consumer after the chunks before it", async () => {
    const got: number[] = [];
    const err = await (async () => {
      for await (const x of pool.stream<number>("stream_fail")) got.push(x);
    })().catch((e: unknown) => e);
    assert.deepEqual(got, [1]);
    assert.ok(err instanceof PythonError);
    assert.equal(err.pythonType, "RuntimeError");
  });

  it("a session pins calls to one worker and keeps state there", async () => {
    const session = pool.session();
    await session.call("session_set", { counter: 41, name: "s" });
    const pids = new Set(await Promise.all(Array.from({ length: 20 }, () => session.call<number>("pid"))));
    assert.equal(pids.size, 1);
    assert.deepEqual(await session.call("session_get"), { counter: 41, name: "s" });
    const other = pool.session();
    assert.deepEqual(await other.call("session_get"), {});
    session.close();
    other.close();
    await assert.rejects(session.call("echo", 1), SessionLostError);
  });

  it("a session whose worker died fails with SessionLostError and is never rerouted", async () => {
    const session = pool.session();
    const pid = await session.call<number>("pid");
    await session.call("session_set", { precious: true });
    const inflight = session.call("sleep", { seconds: 30 }).catch((e: unknown) => e);
    await waitFor(() => pool.stats().workers.some((w) => w.pid === pid && w.inflight > 0), 5000);
    process.kill(pid, "SIGKILL");
    assert.ok((await inflight) instanceof WorkerCrashedError);
    const err = await session.call("session_get").catch((e: unknown) => e);
    assert.ok(err instanceof SessionLostError);
    assert.match(err.message, /is lost: its worker ssc#\d+ was killed by SIGKILL/);
    assert.ok(await waitFor(() => pool.stats().workers.filter((w) => w.state === "ready").length === 2, 10_000));
  });

  it("a session expires after its idle TTL", async () => {
    const session = pool.session({ ttlMs: 50 });
    assert.equal(await session.call("echo", 1), 1);
    await sleep(200);
    assert.equal(session.state, "expired");
    await assert.rejects(session.call("echo", 1), SessionLostError);
  });

  it("Python calls registered Node callbacks by name", async () => {
    assert.equal(await pool.call("call_node", { name: "add", args: { a: 2, b: 3 } }), 5);
    assert.equal(await pool.call("call_node", { name: "slowUpper", args: "abc" }), "ABC");
  });

  it("anything not registered is refused, and Node errors reach Python", async () => {
    const refused = await pool.call("call_node", { name: "process.exit" }).catch((e: unknown) => e);
    assert.ok(refused instanceof PythonError);
    assert.equal(refused.pythonType, "NodeCallbackError");
    assert.match(refused.message, /CallbackNotAllowed: Node has no callback named "process.exit"/);
    const failed = await pool.call("call_node", { name: "fails" }).catch((e: unknown) => e);
    assert.ok(failed instanceof PythonError);
    assert.match(failed.message, /TypeError: node side broke/);
    const noLm = await pool.call("call_node", { name: "lm", args: { messages: [] } }).catch((e: unknown) => e);
    assert.ok(noLm instanceof PythonError);
    assert.match(noLm.message, /no LM is configured/);
  });

  it("registerCallback adds to the allowlist at run time", async () => {
    pool.registerCallback("late", () => "here");
    assert.equal(await pool.call("call_node", { name: "late" }), "here");
  });
});
