/**
 * PythonPool: a named set of `python -m dspex_worker` processes running real DSPy.
 * Calls are queued, dispatched to the least busy worker, multiplexed by id, and settled
 * exactly once; crashes, deadlines, recycling and sessions are handled here.
 */
import type { CallOptions, CallRecord, StreamOptions } from "./call.js";
import { type CallbackFn, lmCallback } from "./callbacks.js";
import { Deque } from "./deque.js";
import {
  CallAbortedError,
  CallTimeoutError,
  PoolClosedError,
  PoolFailedError,
  PoolSaturatedError,
  PythonError,
  UnknownToolError,
  UnserializableResultError,
  WorkerCrashedError,
} from "./errors.js";
import { trackPool, untrackPool } from "./exit-hooks.js";
import { ForkServer } from "./fork-server.js";
import { type Launcher, type StartMode, spawnLauncher } from "./launch.js";
import { logAt } from "./logger.js";
import type { CallbackCallMsg, ErrorMsg, FromPython } from "./messages.js";
import { type PoolOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { checkInterpreter } from "./python-env.js";
import { Session, type SessionHost } from "./session.js";
import { ChunkStream } from "./stream.js";
import { type WorkerExit, WorkerProcess } from "./worker.js";

type Worker = WorkerProcess<CallRecord>;

export interface WorkerStats {
  id: string;
  pid: number | undefined;
  state: string;
  inflight: number;
  completed: number;
  sessions: number;
  python: string | undefined;
  dspy: string | null | undefined;
}

export interface PoolStats {
  name: string;
  state: "starting" | "running" | "failed" | "closed";
  /** How workers start; "fork" falls back to spawning when the fork server cannot fork safely. */
  startMode: StartMode;
  /** The fork server's pid while it runs (fork mode). */
  forkServerPid: number | undefined;
  /** The Unix socket forked workers connect to (fork mode). */
  forkServerSocket: string | undefined;
  workers: WorkerStats[];
  queued: number;
  restarts: number;
  recycled: number;
}

export class PythonPool implements SessionHost {
  readonly name: string;
  private readonly opts: ResolvedOptions;
  private readonly workers: Worker[] = [];
  private readonly queue = new Deque<CallRecord>();
  private readonly sessions = new Set<Session>();
  private readonly callbacks = new Map<string, CallbackFn>();
  private state: PoolStats["state"] = "starting";
  private failure: PoolFailedError | undefined;
  private queued = 0;
  private nextId = 1;
  private workerSeq = 0;
  private sessionSeq = 0;
  private restarts: number[] = [];
  private restartCount = 0;
  /** Set once the pool has been running: from then on a restart storm suspends it instead of failing it for good. */
  private everRunning = false;
  /** Consecutive restart storms; each doubles the pause before workers are started again. */
  private storms = 0;
  private lastStormAt = 0;
  private revival: NodeJS.Timeout | undefined;
  /**
   * Workers with a cancelled call still running, counted per worker. They get no new calls:
   * if the call ignores its cancel, the worker is killed when the grace ends, and anything
   * sent to it meanwhile would fail with an error about another call.
   */
  private readonly cancelling = new Map<Worker, number>();
  private reviveAt: number | undefined;
  private recycled = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private boot: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private readonly forkServer: ForkServer | undefined;
  private readonly launcher: Launcher;

  private constructor(opts: ResolvedOptions) {
    this.opts = opts;
    this.name = opts.name;
    const spawnWorker = spawnLauncher(opts.pythonEnv.python, opts.workerEnv);
    if (opts.startMode === "fork") {
      this.forkServer = new ForkServer({
        id: `${opts.name}#fork-server`,
        python: opts.pythonEnv.python,
        env: opts.workerEnv,
        stderrLines: opts.stderrLines,
        logger: opts.logger,
        fallback: spawnWorker,
      });
      this.launcher = this.forkServer.launch;
    } else this.launcher = spawnWorker;
    this.callbacks.set("lm", lmCallback);
    for (const [name, fn] of Object.entries(opts.callbacks)) this.callbacks.set(name, fn);
  }

  /** Starts `size` workers in parallel and resolves once all are ready (DSPy imported). */
  static async start(options: PoolOptions = {}): Promise<PythonPool> {
    const opts = resolveOptions(options);
    // Before any worker: an interpreter without DSPy would otherwise crash-loop until the restart limit.
    await checkInterpreter(opts.name, opts.pythonEnv, { dspy: opts.importDspy, pythonPath: opts.workerEnv.PYTHONPATH });
    const pool = new PythonPool(opts);
    await pool.startWorkers();
    return pool;
  }

  call<T = unknown>(tool: string, args: unknown = null, options: CallOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.submit(this.record(tool, args, options, resolve as (v: unknown) => void, reject, undefined, 0));
    });
  }

  /** Runs a Python generator; iterate with `for await`. Leaving the loop early cancels it in Python. */
  stream<T = unknown>(tool: string, args: unknown = null, options: StreamOptions = {}): AsyncIterable<T> {
    const window = Math.max(1, options.window ?? this.opts.streamWindow);
    let rec: CallRecord | undefined;
    const stream: ChunkStream<T> = new ChunkStream<T>(window, {
      start: () => {
        rec = this.record(
          tool,
          args,
          { ...options, timeoutMs: options.timeoutMs ?? 0 },
          () => stream.end(),
          (e) => stream.fail(e),
          stream as ChunkStream<unknown>,
          window,
        );
        this.submit(rec);
      },
      credit: (n) => {
        if (rec?.worker && !rec.settled) rec.worker.send({ k: "credit", id: rec.id, n });
      },
      cancel: () => {
        if (rec) this.abort(rec, undefined);
      },
    });
    return stream;
  }

  /** A session pinned to one worker (chosen by its first call), expiring after `ttlMs` idle. */
  session(options: { ttlMs?: number } = {}): Session {
    this.assertUsable();
    const session = new Session(this, `${this.name}-s${++this.sessionSeq}`, options.ttlMs ?? this.opts.sessionTtlMs);
    this.sessions.add(session);
    return session;
  }

  /** Lets Python call `fn` by `name` (see dspex_worker.call_node). Nothing unregistered is callable. */
  registerCallback(name: string, fn: CallbackFn): void {
    this.callbacks.set(name, fn);
  }

  stats(): PoolStats {
    return {
      name: this.name,
      state: this.state,
      startMode: this.forkServer?.forking ? "fork" : "spawn",
      forkServerPid: this.forkServer?.pid,
      forkServerSocket: this.forkServer?.socketPath,
      queued: this.queued,
      restarts: this.restartCount,
      recycled: this.recycled,
      workers: this.workers.map((w) => ({
        id: w.id,
        pid: w.pid,
        state: w.state,
        inflight: w.inflight.size,
        completed: w.completed,
        sessions: w.sessions,
        python: w.info?.python,
        dspy: w.info?.dspy,
      })),
    };
  }

  /** Why the pool cannot serve now, if it cannot (see PoolFailedError.permanent). */
  failureNow(): PoolFailedError | undefined {
    return this.state === "failed" ? this.failure : undefined;
  }

  /** Whether the pool was closed. */
  get closed(): boolean {
    return this.state === "closed";
  }

  /** Stops every worker. Queued and running calls fail with PoolClosedError. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    const wasFailed = this.state === "failed";
    this.state = "closed";
    this.stopHeartbeat();
    if (this.revival) clearTimeout(this.revival);
    this.revival = undefined;
    const error = new PoolClosedError(`Python pool "${this.name}" was closed`);
    this.rejectEverything(error);
    for (const s of [...this.sessions]) s.close();
    const exits = this.workers.map((w) => w.exited);
    for (const w of this.workers) w.stop("pool closed", 1000);
    untrackPool(this);
    if (!wasFailed) this.boot?.reject(error);
    await Promise.all(exits);
    // Last: the fork server reports its workers' exits, so it outlives them.
    await this.forkServer?.close();
  }

  /** Synchronous SIGKILL of every worker; used by the process exit hooks. */
  killNow(): void {
    for (const w of this.workers) w.killNow();
    this.forkServer?.killNow();
  }

  releaseSession(session: Session): void {
    this.sessions.delete(session);
    for (const rec of session.queue.drain()) this.reject(rec, session.lostError());
    const w = session.worker;
    if (w) {
      w.sessions--;
      w.send({ k: "session_close", session: session.id });
      this.maybeStopDrained(w);
    }
  }

  // ---- start, restart, recycle ---------------------------------------------------------------

  private async startWorkers(): Promise<void> {
    trackPool(this);
    const booted = new Promise<void>((resolve, reject) => {
      this.boot = { resolve, reject };
    });
    for (let i = 0; i < this.opts.size; i++) this.spawn();
    this.heartbeat = setInterval(() => this.tick(), this.opts.heartbeatMs);
    this.heartbeat.unref();
    try {
      await booted;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private spawn(): Worker {
    const worker = new WorkerProcess<CallRecord>({
      id: `${this.name}#${++this.workerSeq}`,
      launch: this.launcher,
      maxFrame: this.opts.maxFrameBytes,
      stderrLines: this.opts.stderrLines,
      logger: this.opts.logger,
      onMessage: (w, m) => this.onMessage(w as Worker, m),
      onExit: (w, e) => this.onExit(w as Worker, e),
    });
    this.workers.push(worker);
    const timer = setTimeout(
      () => worker.kill(`not ready within ${this.opts.startTimeoutMs} ms`),
      this.opts.startTimeoutMs,
    );
    timer.unref(); // the starting child keeps the loop alive; this timer must not
    worker.ready.then(
      (info) => {
        clearTimeout(timer);
        worker.lastHeartbeat = Date.now();
        this.opts.logger.debug(`ready: python ${info.python}, dspy ${info.dspy ?? "not imported"}`, {
          worker: worker.id,
        });
        if (worker.inflight.size === 0) worker.setReferenced(false);
        // After a suspension one ready worker is enough to serve again; the rest follow.
        if (this.state === "starting" && (this.everRunning || this.readyCount() >= this.opts.size)) {
          this.state = "running";
          this.everRunning = true;
          this.boot?.resolve();
        }
        this.dispatch();
      },
      () => clearTimeout(timer),
    );
    return worker;
  }

  private readyCount(): number {
    return this.workers.filter((w) => w.state === "ready").length;
  }

  private onExit(worker: Worker, exit: WorkerExit): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    const how = exit.reason ?? (exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`);
    const crash = new WorkerCrashedError(`worker ${worker.id} (pid ${worker.pid}) ${how}`, {
      workerId: worker.id,
      exitCode: exit.code,
      signal: exit.signal,
      stderrTail: exit.stderrTail,
    });
    for (const rec of worker.inflight.values()) {
      if (rec.grace) clearTimeout(rec.grace);
      if (rec.settled) continue;
      if (rec.idempotent && !rec.stream && !rec.session && rec.attempts <= this.opts.retries && !exit.expected) {
        rec.worker = undefined;
        rec.queued = true;
        this.queued++;
        this.queue.unshift(rec);
        continue;
      }
      this.reject(rec, crash);
    }
    worker.inflight.clear();
    this.cancelling.delete(worker);
    for (const s of [...this.sessions]) if (s.worker === worker) s.lose(`its worker ${worker.id} ${how}`);
    if (this.state === "closed" || this.state === "failed") return;
    if (exit.spawnFailed) {
      this.fail(how, "run `npx dspex setup` to create the Python venv, or set DSPEX_PYTHON to a Python with dspy");
      return;
    }
    if (!exit.expected) {
      this.opts.logger.warn(`worker crashed: ${how}`, { worker: worker.id });
      const now = Date.now();
      this.restartCount++;
      this.restarts = this.restarts.filter((t) => now - t < this.opts.restartWindowMs);
      this.restarts.push(now);
      if (this.revival) {
        // Already pausing after a storm: the revival brings the pool back to size.
        if (this.workers.length === 0) this.suspend(`its last worker ${worker.id} ${how}`);
        return;
      }
      if (this.restarts.length > this.opts.maxRestarts) {
        const tail = exit.stderrTail.length ? `; last stderr: ${exit.stderrTail.slice(-5).join(" | ")}` : "";
        const reason = `${this.restarts.length} worker restarts within ${this.opts.restartWindowMs} ms (limit ${this.opts.maxRestarts}); last: worker ${worker.id} ${how}${tail}`;
        if (!this.everRunning) this.fail(reason);
        else this.pauseRestarts(reason, now);
        return;
      }
      this.spawn();
    }
    this.dispatch();
  }

  /**
   * A restart storm in a pool that has been serving: stop replacing workers for a while (1 s,
   * doubling per consecutive storm up to 30 s), then start them again. The restart budget is a
   * brake, not a verdict: whatever killed the workers may have passed. Live workers keep serving
   * meanwhile; once none is left, calls fail at once with PoolFailedError saying when it retries.
   */
  private pauseRestarts(reason: string, now: number): void {
    this.storms = now - this.lastStormAt > 2 * this.opts.restartWindowMs ? 1 : this.storms + 1;
    this.lastStormAt = now;
    const delay = Math.min(1000 * 2 ** (this.storms - 1), 30_000);
    this.reviveAt = now + delay;
    this.opts.logger.error(`Python pool "${this.name}": ${reason}; starting workers again in ${delay} ms`);
    this.revival = setTimeout(() => this.revive(), delay);
    this.revival.unref();
    if (this.workers.length === 0) this.suspend(reason);
  }

  /** No worker left while restarts pause: refuse calls (typed, with the retry time) until the revival. */
  private suspend(reason: string): void {
    if (this.state === "failed" || this.state === "closed") return;
    const inMs = Math.max(0, (this.reviveAt ?? Date.now()) - Date.now());
    this.state = "failed";
    this.failure = new PoolFailedError(this.name, `${reason}; it starts workers again in ${inMs} ms`, {
      fix: "retry after that; if the workers keep dying, look at the stderr lines and the worker's memory and time limits",
    });
    this.rejectEverything(this.failure);
    for (const s of [...this.sessions]) s.lose(`the pool has no workers: ${reason}`);
  }

  private revive(): void {
    this.revival = undefined;
    this.reviveAt = undefined;
    if (this.state === "closed" || (this.state === "failed" && this.failure?.permanent)) return;
    if (this.state === "failed") {
      this.state = "starting";
      this.failure = undefined;
    }
    this.opts.logger.info(`Python pool "${this.name}": starting workers again after a restart storm`);
    for (let n = this.workers.length; n < this.opts.size; n++) this.spawn();
    this.dispatch();
  }

  private fail(reason: string, fix?: string): void {
    if (this.state === "closed" || (this.state === "failed" && this.failure?.permanent)) return;
    if (this.revival) clearTimeout(this.revival);
    this.revival = undefined;
    this.state = "failed";
    this.failure = new PoolFailedError(this.name, reason, { ...(fix ? { fix } : {}), permanent: true });
    this.opts.logger.error(this.failure.message);
    this.stopHeartbeat();
    this.rejectEverything(this.failure);
    for (const s of [...this.sessions]) s.lose(`the pool failed: ${reason}`);
    const exits = this.workers.map((w) => w.exited);
    for (const w of this.workers) w.kill("pool failed", true);
    void Promise.all(exits).then(() => this.forkServer?.close());
    untrackPool(this);
    this.boot?.reject(this.failure);
  }

  private recycle(worker: Worker, reason: string): void {
    if (worker.state !== "ready" || this.state !== "running") return;
    worker.state = "draining";
    this.recycled++;
    this.opts.logger.info(`recycling: ${reason}`, { worker: worker.id });
    this.spawn();
    this.maybeStopDrained(worker);
  }

  private maybeStopDrained(worker: Worker): void {
    if (worker.state === "draining" && worker.inflight.size === 0 && worker.sessions === 0) {
      worker.stop("recycled");
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const w of this.workers) {
      if (w.state !== "ready" && w.state !== "draining") continue;
      if (now - w.lastHeartbeat > this.opts.heartbeatTimeoutMs) {
        w.kill(`sent no heartbeat for ${now - w.lastHeartbeat} ms`);
        continue;
      }
      w.send({ k: "hb", t: now });
      this.checkRss(w, now);
    }
  }

  private checkRss(w: Worker, now: number): void {
    if (this.opts.maxRssMb <= 0) return;
    w.lastRssCheck = now;
    const rss = w.rssMb();
    if (rss !== undefined && rss > this.opts.maxRssMb) {
      this.recycle(w, `RSS ${rss.toFixed(0)} MiB is over the limit of ${this.opts.maxRssMb} MiB`);
    }
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  // ---- calls ---------------------------------------------------------------------------------

  private record(
    tool: string,
    args: unknown,
    options: CallOptions,
    resolve: (v: unknown) => void,
    reject: (e: Error) => void,
    stream: ChunkStream<unknown> | undefined,
    window: number,
  ): CallRecord {
    const rec: CallRecord = {
      id: this.nextId++,
      tool,
      args,
      idempotent: options.idempotent ?? false,
      session: options.session,
      lm: options.lm,
      stream,
      window,
      resolve,
      reject,
      attempts: 0,
      settled: false,
      queued: false,
      worker: undefined,
      deadline: undefined,
      grace: undefined,
      cleanup: undefined,
    };
    const timeoutMs = options.timeoutMs ?? this.opts.timeoutMs;
    if (timeoutMs > 0) {
      rec.deadline = setTimeout(
        () =>
          this.abort(
            rec,
            new CallTimeoutError(`${tool} did not finish within ${timeoutMs} ms`, { context: { tool, timeoutMs } }),
          ),
        timeoutMs,
      );
      rec.deadline.unref(); // a call in flight keeps its worker referenced; the timer need not
    }
    const signal = options.signal;
    if (signal) {
      const onAbort = () => this.abort(rec, new CallAbortedError(`${tool} was aborted`, { cause: signal.reason }));
      if (signal.aborted) queueMicrotask(onAbort);
      else {
        signal.addEventListener("abort", onAbort, { once: true });
        rec.cleanup = () => signal.removeEventListener("abort", onAbort);
      }
    }
    return rec;
  }

  private submit(rec: CallRecord): void {
    if (this.state === "failed" || this.state === "closed") {
      this.reject(rec, this.failure ?? new PoolClosedError(`Python pool "${this.name}" is closed`));
      return;
    }
    const session = rec.session;
    if (session && session.state !== "open") {
      this.reject(rec, session.lostError());
      return;
    }
    if (this.queued >= this.opts.queueLimit) {
      this.reject(
        rec,
        new PoolSaturatedError(
          `Python pool "${this.name}" has ${this.queued} calls waiting (queueLimit ${this.opts.queueLimit})`,
          {
            context: { pool: this.name, queueLimit: this.opts.queueLimit },
            fix: "slow down, raise queueLimit, or add workers",
          },
        ),
      );
      return;
    }
    rec.queued = true;
    this.queued++;
    if (session) {
      session.queue.push(rec);
      session.touch();
    } else this.queue.push(rec);
    this.dispatch();
  }

  private dispatch(): void {
    if (this.state !== "running" && this.state !== "starting") return;
    for (const s of this.sessions) {
      while (s.queue.length > 0) {
        const w = s.worker ?? this.pickWorker();
        if (!w || w.inflight.size >= this.opts.concurrency || (w.state !== "ready" && w.state !== "draining")) break;
        if (this.cancelling.has(w)) break;
        const rec = s.queue.shift()!;
        if (rec.settled) continue;
        if (!s.worker) {
          s.worker = w;
          w.sessions++;
        }
        s.active++;
        this.send(w, rec);
      }
    }
    while (this.queue.length > 0) {
      const head = this.queue.peek()!;
      if (head.settled) {
        this.queue.shift();
        continue;
      }
      const w = this.pickWorker();
      if (!w) break;
      this.queue.shift();
      this.send(w, head);
    }
  }

  private pickWorker(): Worker | undefined {
    let best: Worker | undefined;
    for (const w of this.workers) {
      if (w.state !== "ready" || w.inflight.size >= this.opts.concurrency || this.cancelling.has(w)) continue;
      if (!best || w.inflight.size < best.inflight.size) best = w;
    }
    return best;
  }

  private send(w: Worker, rec: CallRecord): void {
    rec.queued = false;
    this.queued--;
    rec.worker = w;
    rec.attempts++;
    w.inflight.set(rec.id, rec);
    if (w.inflight.size === 1) w.setReferenced(true);
    try {
      w.send({
        k: "call",
        id: rec.id,
        tool: rec.tool,
        args: rec.args,
        ...(rec.session ? { session: rec.session.id } : {}),
        ...(rec.stream ? { stream: true, credit: rec.window } : {}),
      });
    } catch (err) {
      this.answered(w, rec);
      this.reject(rec, err as Error);
    }
  }

  /** Cancel: fail the caller now (or quietly, for a stream left early) and tell Python to stop. */
  private abort(rec: CallRecord, error: Error | undefined): void {
    if (rec.settled) return;
    const w = rec.worker;
    if (error) this.reject(rec, error);
    else this.settle(rec);
    if (w && w.inflight.get(rec.id) === rec) {
      w.send({ k: "cancel", id: rec.id });
      this.cancelling.set(w, (this.cancelling.get(w) ?? 0) + 1);
      rec.grace = setTimeout(() => {
        if (w.inflight.get(rec.id) === rec) {
          w.kill(`call ${rec.id} (${rec.tool}) did not stop within ${this.opts.cancelGraceMs} ms of its cancel`);
        }
      }, this.opts.cancelGraceMs);
      rec.grace.unref();
    }
  }

  private settle(rec: CallRecord): boolean {
    if (rec.settled) return false;
    rec.settled = true;
    if (rec.deadline) clearTimeout(rec.deadline);
    rec.cleanup?.();
    if (rec.queued) {
      rec.queued = false;
      this.queued--;
    }
    return true;
  }

  private resolve(rec: CallRecord, value: unknown): void {
    if (this.settle(rec)) rec.resolve(value);
  }

  private reject(rec: CallRecord, error: Error): void {
    if (this.settle(rec)) rec.reject(error);
  }

  private rejectEverything(error: Error): void {
    for (const rec of this.queue.drain()) this.reject(rec, error);
    for (const s of this.sessions) for (const rec of s.queue.drain()) this.reject(rec, error);
    for (const w of this.workers) for (const rec of w.inflight.values()) this.reject(rec, error);
  }

  private assertUsable(): void {
    if (this.state === "failed") throw this.failure;
    if (this.state === "closed") throw new PoolClosedError(`Python pool "${this.name}" is closed`);
  }

  /** The worker answered `rec` (result, error or end): free its slot. */
  private answered(w: Worker, rec: CallRecord): void {
    w.inflight.delete(rec.id);
    if (rec.grace) {
      clearTimeout(rec.grace);
      rec.grace = undefined;
      const left = (this.cancelling.get(w) ?? 1) - 1;
      if (left > 0) this.cancelling.set(w, left);
      else this.cancelling.delete(w);
    }
    w.completed++;
    if (rec.session && rec.session.worker === w) {
      rec.session.active--;
      rec.session.touch();
    }
    if (w.inflight.size === 0) w.setReferenced(false);
    if (w.state === "ready") {
      if (this.opts.maxRequestsPerWorker > 0 && w.completed >= this.opts.maxRequestsPerWorker) {
        this.recycle(w, `served ${w.completed} calls (maxRequestsPerWorker ${this.opts.maxRequestsPerWorker})`);
      } else if (this.opts.maxRssMb > 0) {
        const now = Date.now();
        if (now - w.lastRssCheck >= 200) this.checkRss(w, now);
      }
    }
    this.maybeStopDrained(w);
  }

  // ---- messages from Python ------------------------------------------------------------------

  private onMessage(w: Worker, m: FromPython): void {
    switch (m.k) {
      case "result":
      case "error":
      case "end": {
        const rec = w.inflight.get(m.id);
        if (!rec) return;
        this.answered(w, rec);
        if (m.k === "error") this.reject(rec, this.pythonError(rec, m));
        else if (rec.stream && m.k === "result") {
          rec.stream.push(m.value);
          this.resolve(rec, undefined);
        } else this.resolve(rec, m.k === "result" ? m.value : undefined);
        this.dispatch();
        return;
      }
      case "chunk": {
        const rec = w.inflight.get(m.id);
        if (rec?.stream && !rec.settled) rec.stream.push(m.value);
        return;
      }
      case "cb_call":
        this.serveCallback(w, m);
        return;
      case "log":
        logAt(this.opts.logger, m.level, m.message, { worker: w.id, logger: m.logger });
        return;
      default:
        return;
    }
  }

  private pythonError(rec: CallRecord, m: ErrorMsg): Error {
    if (m.type === "UnserializableResult")
      return new UnserializableResultError(rec.tool, m.type, m.message, m.traceback);
    if (m.type === "UnknownTool") return new UnknownToolError(rec.tool, m.type, m.message, m.traceback);
    return new PythonError(rec.tool, m.type, m.message, m.traceback);
  }

  private serveCallback(w: Worker, m: CallbackCallMsg): void {
    const fn = this.callbacks.get(m.name);
    const reply = (ok: boolean, value: unknown, error?: { type: string; message: string }) => {
      try {
        w.send(
          ok ? { k: "cb_result", id: m.id, ok, value } : { k: "cb_result", id: m.id, ok, ...(error ? { error } : {}) },
        );
      } catch (err) {
        w.send({
          k: "cb_result",
          id: m.id,
          ok: false,
          error: { type: "EncodeError", message: (err as Error).message },
        });
      }
    };
    if (!fn) {
      const allowed = [...this.callbacks.keys()].sort().join(", ");
      reply(false, undefined, {
        type: "CallbackNotAllowed",
        message: `Node has no callback named "${m.name}" (registered: ${allowed}); register it with pool.registerCallback(name, fn)`,
      });
      return;
    }
    const parent = m.parent === null ? undefined : w.inflight.get(m.parent);
    const context = {
      pool: this.name,
      workerId: w.id,
      parentCallId: parent?.id,
      parentTool: parent?.tool,
      lm: parent?.lm ?? this.opts.lm,
    };
    Promise.resolve()
      .then(() => fn(m.args, context))
      .then(
        (value) => reply(true, value),
        (err: unknown) => {
          const e = err instanceof Error ? err : new Error(String(err));
          reply(false, undefined, { type: e.name, message: e.message });
        },
      );
  }
}
