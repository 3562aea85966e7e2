/**
 * A pool's worker processes: starting them (spawned, or forked by the fork server), readiness,
 * heartbeats, recycling by request count and RSS, replacing crashed workers, and the brakes on
 * that: a restart storm fails a pool that never served, and pauses (with doubling backoff) one
 * that has. What happens to the calls of a worker that is gone is the dispatcher's business.
 */
import type { Worker } from "./dispatcher.js";
import { PoolClosedError, PoolFailedError, WorkerCrashedError } from "./errors.js";
import { trackPool, untrackPool } from "./exit-hooks.js";
import { ForkServer } from "./fork-server.js";
import { type Launcher, spawnLauncher } from "./launch.js";
import type { FromPython } from "./messages.js";
import type { ResolvedOptions } from "./options.js";
import type { PendingCall } from "./pending.js";
import { type WorkerExit, WorkerProcess } from "./worker.js";

export type PoolState = "starting" | "running" | "failed" | "closed";

/** What the supervisor tells the rest of the pool. */
export interface SupervisorEvents {
  message(worker: Worker, message: FromPython): void;
  /** A worker became ready, or one left: queued calls may move. */
  dispatch(): void;
  /** `worker` is gone; settle or requeue its calls and lose its sessions. */
  workerLost(worker: Worker, exit: WorkerExit, crash: WorkerCrashedError, how: string): void;
  /** The pool stopped serving (failed or suspended): fail every call and lose every session. */
  stopped(error: Error, sessionsLost: string): void;
}

export class Supervisor {
  readonly workers: Worker[] = [];
  state: PoolState = "starting";
  failure: PoolFailedError | undefined;
  restartCount = 0;
  recycled = 0;
  readonly forkServer: ForkServer | undefined;
  private readonly launcher: Launcher;
  private workerSeq = 0;
  private restarts: number[] = [];
  /** Set once the pool has been running: from then on a restart storm suspends it instead of failing it for good. */
  private everRunning = false;
  /** Consecutive restart storms; each doubles the pause before workers are started again. */
  private storms = 0;
  private lastStormAt = 0;
  private revival: NodeJS.Timeout | undefined;
  private reviveAt: number | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private boot: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(
    private readonly opts: ResolvedOptions,
    /** What the exit hooks kill synchronously; the pool itself, so they see one object per pool. */
    private readonly owner: { killNow(): void },
    private readonly events: SupervisorEvents,
  ) {
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
  }

  /** Starts the fork server (fork mode) ahead of the workers, so its imports overlap other work. */
  warm(): void {
    this.forkServer?.warm();
  }

  /** Starts `size` workers in parallel and resolves once all are ready. */
  async start(): Promise<void> {
    trackPool(this.owner);
    const booted = new Promise<void>((resolve, reject) => {
      this.boot = { resolve, reject };
    });
    for (let i = 0; i < this.opts.size; i++) this.spawn();
    this.heartbeat = setInterval(() => this.tick(), this.opts.heartbeatMs);
    this.heartbeat.unref();
    await booted;
  }

  serving(): boolean {
    return this.state === "running" || this.state === "starting";
  }

  refusal(): Error | undefined {
    if (this.state === "failed" || this.state === "closed") {
      return this.failure ?? new PoolClosedError(`Python pool "${this.opts.name}" is closed`);
    }
    return undefined;
  }

  /** Stops every worker (gracefully, then SIGKILL) and the fork server. `before` runs once the state is closed. */
  async close(before: (error: PoolClosedError) => void): Promise<void> {
    if (this.state === "closed") return;
    const wasFailed = this.state === "failed";
    this.state = "closed";
    this.stopHeartbeat();
    if (this.revival) clearTimeout(this.revival);
    this.revival = undefined;
    const error = new PoolClosedError(`Python pool "${this.opts.name}" was closed`);
    before(error);
    const exits = this.workers.map((w) => w.exited);
    for (const w of this.workers) w.stop("pool closed", 1000);
    untrackPool(this.owner);
    if (!wasFailed) this.boot?.reject(error);
    await Promise.all(exits);
    // Last: the fork server reports its workers' exits, so it outlives them.
    await this.forkServer?.close();
  }

  killNow(): void {
    for (const w of this.workers) w.killNow();
    this.forkServer?.killNow();
  }

  /** A worker finished a call: recycle it when it reached its request limit or (checked at most every 200 ms) its RSS limit. */
  afterAnswer(w: Worker): void {
    if (w.state !== "ready") return;
    if (this.opts.maxRequestsPerWorker > 0 && w.completed >= this.opts.maxRequestsPerWorker) {
      this.recycle(w, `served ${w.completed} calls (maxRequestsPerWorker ${this.opts.maxRequestsPerWorker})`);
    } else if (this.opts.maxRssMb > 0) {
      const now = Date.now();
      if (now - w.lastRssCheck >= 200) this.checkRss(w, now);
    }
  }

  maybeStopDrained(worker: Worker): void {
    if (worker.state === "draining" && worker.inflight.size === 0 && worker.sessions === 0) {
      worker.stop("recycled");
    }
  }

  private spawn(): Worker {
    const worker = new WorkerProcess<PendingCall>({
      id: `${this.opts.name}#${++this.workerSeq}`,
      launch: this.launcher,
      maxFrame: this.opts.maxFrameBytes,
      stderrLines: this.opts.stderrLines,
      logger: this.opts.logger,
      onMessage: (w, m) => this.events.message(w as Worker, m),
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
        this.events.dispatch();
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
    this.events.workerLost(worker, exit, crash, how);
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
    this.events.dispatch();
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
    this.opts.logger.error(`Python pool "${this.opts.name}": ${reason}; starting workers again in ${delay} ms`);
    this.revival = setTimeout(() => this.revive(), delay);
    this.revival.unref();
    if (this.workers.length === 0) this.suspend(reason);
  }

  /** No worker left while restarts pause: refuse calls (typed, with the retry time) until the revival. */
  private suspend(reason: string): void {
    if (this.state === "failed" || this.state === "closed") return;
    const inMs = Math.max(0, (this.reviveAt ?? Date.now()) - Date.now());
    this.state = "failed";
    this.failure = new PoolFailedError(this.opts.name, `${reason}; it starts workers again in ${inMs} ms`, {
      fix: "retry after that; if the workers keep dying, look at the stderr lines and the worker's memory and time limits",
    });
    this.events.stopped(this.failure, `the pool has no workers: ${reason}`);
  }

  private revive(): void {
    this.revival = undefined;
    this.reviveAt = undefined;
    if (this.state === "closed" || (this.state === "failed" && this.failure?.permanent)) return;
    if (this.state === "failed") {
      this.state = "starting";
      this.failure = undefined;
    }
    this.opts.logger.info(`Python pool "${this.opts.name}": starting workers again after a restart storm`);
    for (let n = this.workers.length; n < this.opts.size; n++) this.spawn();
    this.events.dispatch();
  }

  private fail(reason: string, fix?: string): void {
    if (this.state === "closed" || (this.state === "failed" && this.failure?.permanent)) return;
    if (this.revival) clearTimeout(this.revival);
    this.revival = undefined;
    this.state = "failed";
    this.failure = new PoolFailedError(this.opts.name, reason, { ...(fix ? { fix } : {}), permanent: true });
    this.opts.logger.error(this.failure.message);
    this.stopHeartbeat();
    this.events.stopped(this.failure, `the pool failed: ${reason}`);
    const exits = this.workers.map((w) => w.exited);
    for (const w of this.workers) w.kill("pool failed", true);
    void Promise.all(exits).then(() => this.forkServer?.close());
    untrackPool(this.owner);
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
}
