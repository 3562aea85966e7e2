import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { type PoolOptions, type PythonPool, WorkerCrashedError } from "../../src/bridge/index.js";
import { collectingLogger, processAlive, startPlain, waitFor, workerPids } from "./helpers.js";

const fixtures = join(import.meta.dirname, "fixtures");

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  random: number;
  frozen: number;
}

async function withPool<T>(pool: PythonPool, fn: (pool: PythonPool) => Promise<T>): Promise<T> {
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

/** proc_info from every worker: calls held open concurrently land on different (least busy) workers. */
async function infoFromEach(pool: PythonPool, workers: number): Promise<Map<number, ProcInfo>> {
  const infos = await Promise.all(
    Array.from({ length: workers }, () => pool.call<ProcInfo>("proc_info", { hold: 0.2 })),
  );
  return new Map(infos.map((i) => [i.pid, i]));
}

describe("fork mode (fork server)", () => {
  it("forks every worker from one fork server that leads no worker's group; each worker draws its own random numbers", async () => {
    await withPool(await startPlain({ name: "forked", size: 3, startMode: "fork" }), async (pool) => {
      const stats = pool.stats();
      assert.equal(stats.startMode, "fork");
      const zygote = stats.forkServerPid;
      assert.ok(zygote !== undefined && processAlive(zygote));
      const infos = await infoFromEach(pool, 3);
      assert.equal(infos.size, 3, "three distinct workers answered");
      for (const info of infos.values()) {
        assert.equal(info.ppid, zygote, "the fork server is the parent");
        assert.equal(info.pgid, info.pid, "each worker leads its own process group");
        assert.ok(info.frozen > 0, "inherited the fork server's frozen (preloaded) objects");
      }
      const draws = [...infos.values()].map((i) => i.random);
      assert.equal(new Set(draws).size, draws.length, `random draws differ: ${draws.join(", ")}`);
    });
  });

  it("imports the pool's modules once, in the fork server, and their tools work in every worker", async () => {
    const options: PoolOptions = { size: 2, modules: ["fork_probe"], env: { PYTHONPATH: fixtures } };
    await withPool(await startPlain({ name: "modfork", startMode: "fork", ...options }), async (pool) => {
      const zygote = pool.stats().forkServerPid;
      const answers = await Promise.all(workerPids(pool).map(() => pool.call<number>("imported_in")));
      for (const pid of answers) assert.equal(pid, zygote);
    });
    await withPool(await startPlain({ name: "modspawn", startMode: "spawn", ...options }), async (pool) => {
      assert.equal(pool.stats().forkServerPid, undefined);
      const imported = await pool.call<number>("imported_in");
      assert.ok(workerPids(pool).includes(imported), "a spawned worker imports its modules itself");
    });
  });

  it("falls back to spawning workers when a module started a thread in the fork server", async () => {
    const logger = collectingLogger();
    const pool = await startPlain({
      name: "threaded",
      size: 2,
      startMode: "fork",
      modules: ["threaded_probe"],
      env: { PYTHONPATH: fixtures },
      logger,
    });
    await withPool(pool, async () => {
      assert.equal(pool.stats().startMode, "spawn");
      assert.ok(logger.lines.some((l) => l.level === "warn" && /cannot fork workers .*2 threads/.test(l.message)));
      const infos = await infoFromEach(pool, 2);
      for (const info of infos.values()) {
        assert.equal(info.ppid, process.pid, "spawned by Node");
        assert.equal(info.frozen, 0);
      }
      assert.ok((await pool.call<number>("threaded_probe")) >= 2, "the module's thread runs in the worker");
      assert.ok(await waitFor(() => pool.stats().forkServerPid === undefined, 5000), "the idle fork server ended");
    });
  });

  it("a SIGKILLed fork server takes its workers with it; the pool starts a new one and goes on", async () => {
    await withPool(await startPlain({ name: "zygote-kill", size: 2, startMode: "fork" }), async (pool) => {
      const zygote = pool.stats().forkServerPid!;
      const before = workerPids(pool);
      const pending = pool.call("sleep", { seconds: 30 }).catch((e: unknown) => e);
      await waitFor(() => pool.stats().workers.some((w) => w.inflight > 0), 5000);
      process.kill(zygote, "SIGKILL");
      const err = await pending;
      assert.ok(err instanceof WorkerCrashedError, String(err));
      assert.match(err.message, new RegExp(`fork server \\(pid ${zygote}\\) was killed by SIGKILL`));
      assert.ok(await waitFor(() => before.every((p) => !processAlive(p)), 2000), "old workers are gone");
      assert.equal(await pool.call("echo", "after"), "after");
      assert.ok(await waitFor(() => pool.stats().workers.filter((w) => w.state === "ready").length === 2, 10_000));
      const next = pool.stats().forkServerPid;
      assert.ok(next !== undefined && next !== zygote, "a new fork server runs");
      for (const info of (await infoFromEach(pool, 2)).values()) assert.equal(info.ppid, next);
    });
  });

  it("close() stops the workers, the fork server and removes its socket folder", async () => {
    const pool = await startPlain({ name: "fork-close", size: 2, startMode: "fork" });
    const { forkServerPid: zygote, forkServerSocket: socket } = pool.stats();
    const pids = workerPids(pool);
    assert.ok(zygote !== undefined && socket !== undefined);
    assert.equal(statSync(dirname(socket)).mode & 0o777, 0o700, "only this user can connect");
    assert.ok(existsSync(socket));
    await pool.close();
    for (const pid of [...pids, zygote]) assert.ok(!processAlive(pid), `process ${pid} ended`);
    assert.ok(!existsSync(dirname(socket)), "socket folder removed");
  });

  it("sweeps socket folders left by Node processes that no longer run", async () => {
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    const stale = join(tmpdir(), `dspex-fork-${dead}-abcXYZ`);
    mkdirSync(stale, { mode: 0o700 });
    const pool = await startPlain({ name: "sweep", size: 1, startMode: "fork" });
    await pool.close();
    assert.ok(!existsSync(stale), "the dead process's folder is gone");
  });

  it("captures a forked worker's stdout and stderr with its id, and its last stderr lines on a crash", async () => {
    const logger = collectingLogger();
    await withPool(await startPlain({ name: "fout", size: 1, startMode: "fork", logger }), async (pool) => {
      assert.equal(await pool.call("print_noise"), "quiet");
      const find = (text: string) => logger.lines.find((l) => l.message.includes(text));
      assert.ok(
        await waitFor(() => find("noise on stderr") !== undefined && find("noise on stdout") !== undefined, 5000),
      );
      assert.equal(find("noise on stderr")?.level, "warn");
      assert.equal(find("noise on stdout")?.level, "info");
      assert.equal(find("noise on stdout")?.fields?.worker, "fout#1");
      const err = await pool.call("crash", { message: "forked last words" }).catch((e: unknown) => e);
      assert.ok(err instanceof WorkerCrashedError);
      assert.equal(err.signal, "SIGKILL");
      assert.ok(err.stderrTail.includes("forked last words"), err.message);
    });
  });
});

describe("spawn mode (one interpreter per worker)", () => {
  it("spawns workers as Node's children, each with its own group, and reports crashes with stderr", async () => {
    await withPool(await startPlain({ name: "spawned", size: 2, startMode: "spawn" }), async (pool) => {
      assert.equal(pool.stats().startMode, "spawn");
      for (const info of (await infoFromEach(pool, 2)).values()) {
        assert.equal(info.ppid, process.pid);
        assert.equal(info.pgid, info.pid);
        assert.equal(info.frozen, 0);
      }
      const err = await pool.call("crash", { message: "spawned last words" }).catch((e: unknown) => e);
      assert.ok(err instanceof WorkerCrashedError);
      assert.ok(err.stderrTail.includes("spawned last words"), err.message);
      assert.equal(await pool.call("echo", 1), 1);
    });
  });
});
