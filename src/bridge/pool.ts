/**
 * PythonPool: a named set of `python -m dspex_worker` processes running real DSPy. The pool is
 * the public face of four parts, one file each: the supervisor (processes, restarts, backoff),
 * the dispatcher (queues, choosing a worker, routing answers), the pending call (deadline,
 * cancel, result) and the callback server (Python -> Node calls).
 */
import type { CallOptions, StreamOptions } from "./call.js";
import { CallbackServer } from "./callback-server.js";
import type { CallbackFn } from "./callbacks.js";
import { Dispatcher, type Worker } from "./dispatcher.js";
import { PoolClosedError, type PoolFailedError } from "./errors.js";
import type { StartMode } from "./launch.js";
import { logAt } from "./logger.js";
import type { FromPython } from "./messages.js";
import { type PoolOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import type { PendingCall } from "./pending.js";
import { checkInterpreter } from "./python-env.js";
import type { Session, SessionHost } from "./session.js";
import { ChunkStream } from "./stream.js";
import { type PoolState, Supervisor } from "./supervisor.js";

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
  state: PoolState;
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
  private readonly supervisor: Supervisor;
  private readonly dispatcher: Dispatcher;
  private readonly callbacks: CallbackServer;

  private constructor(opts: ResolvedOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.callbacks = new CallbackServer(opts.name, opts.lm, opts.callbacks);
    this.supervisor = new Supervisor(opts, this, {
      message: (w, m) => this.onMessage(w, m),
      dispatch: () => this.dispatcher.dispatch(),
      workerLost: (w, exit, crash, how) => this.dispatcher.workerLost(w, exit, crash, how),
      stopped: (error, sessionsLost) => {
        this.dispatcher.rejectEverything(error);
        this.dispatcher.loseSessions(sessionsLost);
      },
    });
    const supervisor = this.supervisor;
    this.dispatcher = new Dispatcher(opts, {
      get workers() {
        return supervisor.workers;
      },
      serving: () => supervisor.serving(),
      refusal: () => supervisor.refusal(),
      afterAnswer: (w) => supervisor.afterAnswer(w),
      maybeStopDrained: (w) => supervisor.maybeStopDrained(w),
    });
  }

  /** Starts `size` workers in parallel and resolves once all are ready (DSPy imported). */
  static async start(options: PoolOptions = {}): Promise<PythonPool> {
    const opts = resolveOptions(options);
    const pool = new PythonPool(opts);
    // The fork server starts importing DSPy while the interpreter is checked (a Python start of
    // its own, on the critical path of every cold start: bench P8, whole process). No worker
    // starts before the check passes: an interpreter without DSPy would crash-loop them.
    pool.supervisor.warm();
    try {
      await checkInterpreter(opts.name, opts.pythonEnv, {
        dspy: opts.importDspy,
        pythonPath: opts.workerEnv.PYTHONPATH,
      });
      await pool.supervisor.start();
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  call<T = unknown>(tool: string, args: unknown = null, options: CallOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.dispatcher.submit(
        this.dispatcher.create(tool, args, options, resolve as (v: unknown) => void, reject, undefined, 0),
      );
    });
  }

  /** Runs a Python generator; iterate with `for await`. Leaving the loop early cancels it in Python. */
  stream<T = unknown>(tool: string, args: unknown = null, options: StreamOptions = {}): AsyncIterable<T> {
    const window = Math.max(1, options.window ?? this.opts.streamWindow);
    let rec: PendingCall | undefined;
    const stream: ChunkStream<T> = new ChunkStream<T>(window, {
      start: () => {
        rec = this.dispatcher.create(
          tool,
          args,
          { ...options, timeoutMs: options.timeoutMs ?? 0 },
          () => stream.end(),
          (e) => stream.fail(e),
          stream as ChunkStream<unknown>,
          window,
        );
        this.dispatcher.submit(rec);
      },
      credit: (n) => {
        if (rec?.worker && !rec.settled) rec.worker.send({ k: "credit", id: rec.id, n });
      },
      cancel: () => {
        if (rec) this.dispatcher.abort(rec, undefined);
      },
    });
    return stream;
  }

  /** A session pinned to one worker (chosen by its first call), expiring after `ttlMs` idle. */
  session(options: { ttlMs?: number } = {}): Session {
    const { state, failure } = this.supervisor;
    if (state === "failed" && failure) throw failure;
    if (state === "closed") throw new PoolClosedError(`Python pool "${this.name}" is closed`);
    return this.dispatcher.openSession(this, options.ttlMs);
  }

  /** Lets Python call `fn` by `name` (see dspex_worker.call_node). Nothing unregistered is callable. */
  registerCallback(name: string, fn: CallbackFn): void {
    this.callbacks.register(name, fn);
  }

  stats(): PoolStats {
    const s = this.supervisor;
    return {
      name: this.name,
      state: s.state,
      startMode: s.forkServer?.forking ? "fork" : "spawn",
      forkServerPid: s.forkServer?.pid,
      forkServerSocket: s.forkServer?.socketPath,
      queued: this.dispatcher.queued,
      restarts: s.restartCount,
      recycled: s.recycled,
      workers: s.workers.map((w) => ({
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
    return this.supervisor.state === "failed" ? this.supervisor.failure : undefined;
  }

  /** Whether the pool was closed. */
  get closed(): boolean {
    return this.supervisor.state === "closed";
  }

  /** Stops every worker. Queued and running calls fail with PoolClosedError. */
  close(): Promise<void> {
    return this.supervisor.close((error) => {
      this.dispatcher.rejectEverything(error);
      this.dispatcher.closeSessions();
    });
  }

  /** Synchronous SIGKILL of every worker; used by the process exit hooks. */
  killNow(): void {
    this.supervisor.killNow();
  }

  releaseSession(session: Session): void {
    this.dispatcher.releaseSession(session);
  }

  private onMessage(w: Worker, m: FromPython): void {
    switch (m.k) {
      case "result":
      case "error":
      case "end":
        this.dispatcher.onAnswer(w, m);
        return;
      case "chunk":
        this.dispatcher.onChunk(w, m);
        return;
      case "cb_call":
        this.callbacks.serve(w, m);
        return;
      case "log":
        logAt(this.opts.logger, m.level, m.message, { worker: w.id, logger: m.logger });
        return;
      default:
        return;
    }
  }
}
