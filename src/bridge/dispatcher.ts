/**
 * Which worker runs a call, and when: the pool's queue and its sessions' queues, least-busy
 * choice, the per-worker concurrency limit, cancels (a worker with a cancelled call still
 * running gets nothing new) and the routing of answers back to their pending calls.
 */
import type { CallOptions } from "./call.js";
import { Deque } from "./deque.js";
import {
  PoolSaturatedError,
  PythonError,
  UnknownToolError,
  UnserializableResultError,
  type WorkerCrashedError,
} from "./errors.js";
import type { ChunkMsg, EndMsg, ErrorMsg, ResultMsg } from "./messages.js";
import type { ResolvedOptions } from "./options.js";
import { PendingCall } from "./pending.js";
import { Session, type SessionHost } from "./session.js";
import type { ChunkStream } from "./stream.js";
import type { WorkerExit, WorkerProcess } from "./worker.js";

export type Worker = WorkerProcess<PendingCall>;

/** What the dispatcher needs from the supervisor, which owns the workers. */
export interface DispatchHost {
  readonly workers: readonly Worker[];
  /** Whether calls may be sent now (starting or running). */
  serving(): boolean;
  /** Why calls are refused now (failed or closed), if they are. */
  refusal(): Error | undefined;
  /** A worker finished a call: recycle it if it is due. */
  afterAnswer(worker: Worker): void;
  /** A draining worker may have nothing left to do: stop it if so. */
  maybeStopDrained(worker: Worker): void;
}

export class Dispatcher {
  private readonly queue = new Deque<PendingCall>();
  readonly sessions = new Set<Session>();
  /**
   * Workers with a cancelled call still running, counted per worker. They get no new calls:
   * if the call ignores its cancel, the worker is killed when the grace ends, and anything
   * sent to it meanwhile would fail with an error about another call.
   */
  private readonly cancelling = new Map<Worker, number>();
  /** Calls waiting for a worker (pool queue and session queues). */
  queued = 0;
  private nextId = 1;
  private sessionSeq = 0;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly host: DispatchHost,
  ) {}

  /** A pending call (deadline and signal armed), not yet submitted. */
  create(
    tool: string,
    args: unknown,
    options: CallOptions,
    resolve: (v: unknown) => void,
    reject: (e: Error) => void,
    stream: ChunkStream<unknown> | undefined,
    window: number,
  ): PendingCall {
    return new PendingCall(
      { id: this.nextId++, tool, args, options, timeoutMs: this.opts.timeoutMs, stream, window, resolve, reject },
      { abort: (call, error) => this.abort(call, error), unqueued: () => this.queued-- },
    );
  }

  openSession(host: SessionHost, ttlMs: number | undefined): Session {
    const session = new Session(host, `${this.opts.name}-s${++this.sessionSeq}`, ttlMs ?? this.opts.sessionTtlMs);
    this.sessions.add(session);
    return session;
  }

  releaseSession(session: Session): void {
    this.sessions.delete(session);
    for (const rec of session.queue.drain()) rec.reject(session.lostError());
    const w = session.worker;
    if (w) {
      w.sessions--;
      w.send({ k: "session_close", session: session.id });
      this.host.maybeStopDrained(w);
    }
  }

  submit(rec: PendingCall): void {
    const refused = this.host.refusal();
    if (refused) {
      rec.reject(refused);
      return;
    }
    const session = rec.session;
    if (session && session.state !== "open") {
      rec.reject(session.lostError());
      return;
    }
    if (this.queued >= this.opts.queueLimit) {
      rec.reject(
        new PoolSaturatedError(
          `Python pool "${this.opts.name}" has ${this.queued} calls waiting (queueLimit ${this.opts.queueLimit})`,
          {
            context: { pool: this.opts.name, queueLimit: this.opts.queueLimit },
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

  dispatch(): void {
    if (!this.host.serving()) return;
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

  /** Cancel: fail the caller now (or quietly, for a stream left early) and tell Python to stop. */
  abort(rec: PendingCall, error: Error | undefined): void {
    if (rec.settled) return;
    const w = rec.worker;
    if (error) rec.reject(error);
    else rec.settle();
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

  /** A result, error or stream end for one of `w`'s calls. */
  onAnswer(w: Worker, m: ResultMsg | ErrorMsg | EndMsg): void {
    const rec = w.inflight.get(m.id);
    if (!rec) return;
    this.answered(w, rec);
    if (m.k === "error") rec.reject(pythonError(rec, m));
    else if (rec.stream && m.k === "result") {
      rec.stream.push(m.value);
      rec.resolve(undefined);
    } else rec.resolve(m.k === "result" ? m.value : undefined);
    this.dispatch();
  }

  onChunk(w: Worker, m: ChunkMsg): void {
    const rec = w.inflight.get(m.id);
    if (rec?.stream && !rec.settled) rec.stream.push(m.value);
  }

  /**
   * `worker` is gone: its idempotent calls go back to the front of the queue (unless the exit
   * was ours), the others fail with `crash`, and its sessions are lost.
   */
  workerLost(worker: Worker, exit: WorkerExit, crash: WorkerCrashedError, how: string): void {
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
      rec.reject(crash);
    }
    worker.inflight.clear();
    this.cancelling.delete(worker);
    for (const s of [...this.sessions]) if (s.worker === worker) s.lose(`its worker ${worker.id} ${how}`);
  }

  /** Fails every queued and running call with `error`. */
  rejectEverything(error: Error): void {
    for (const rec of this.queue.drain()) rec.reject(error);
    for (const s of this.sessions) for (const rec of s.queue.drain()) rec.reject(error);
    for (const w of this.host.workers) for (const rec of w.inflight.values()) rec.reject(error);
  }

  loseSessions(reason: string): void {
    for (const s of [...this.sessions]) s.lose(reason);
  }

  closeSessions(): void {
    for (const s of [...this.sessions]) s.close();
  }

  private pickWorker(): Worker | undefined {
    let best: Worker | undefined;
    for (const w of this.host.workers) {
      if (w.state !== "ready" || w.inflight.size >= this.opts.concurrency || this.cancelling.has(w)) continue;
      if (!best || w.inflight.size < best.inflight.size) best = w;
    }
    return best;
  }

  private send(w: Worker, rec: PendingCall): void {
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
      rec.reject(err as Error);
    }
  }

  /** The worker answered `rec` (result, error or end): free its slot. */
  private answered(w: Worker, rec: PendingCall): void {
    w.inflight.delete(rec.id);
    if (rec.clearGrace()) {
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
    this.host.afterAnswer(w);
    this.host.maybeStopDrained(w);
  }
}

function pythonError(rec: PendingCall, m: ErrorMsg): Error {
  if (m.type === "UnserializableResult") return new UnserializableResultError(rec.tool, m.type, m.message, m.traceback);
  if (m.type === "UnknownTool") return new UnknownToolError(rec.tool, m.type, m.message, m.traceback);
  return new PythonError(rec.tool, m.type, m.message, m.traceback);
}
