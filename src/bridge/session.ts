/**
 * A session pins calls to one worker, so state a workflow builds (an optimizer run, a compiled
 * module) is always found where it was made. The worker is chosen by the first call. If that
 * worker dies the session is lost: calls fail with SessionLostError and are never rerouted.
 */
import type { CallOptions, StreamOptions } from "./call.js";
import { Deque } from "./deque.js";
import { SessionLostError } from "./errors.js";
import type { PendingCall } from "./pending.js";
import type { WorkerProcess } from "./worker.js";

export interface SessionHost {
  call<T = unknown>(tool: string, args?: unknown, options?: CallOptions): Promise<T>;
  stream<T = unknown>(tool: string, args?: unknown, options?: StreamOptions): AsyncIterable<T>;
  releaseSession(session: Session): void;
}

export type SessionState = "open" | "lost" | "closed" | "expired";

export class Session {
  state: SessionState = "open";
  worker: WorkerProcess<PendingCall> | undefined;
  /** Calls waiting for the session's worker. */
  readonly queue = new Deque<PendingCall>();
  /** Calls sent and not yet answered. */
  active = 0;
  private reason = "";
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: SessionHost,
    readonly id: string,
    readonly ttlMs: number,
  ) {
    this.touch();
  }

  call<T = unknown>(tool: string, args?: unknown, options: Omit<CallOptions, "session"> = {}): Promise<T> {
    return this.host.call<T>(tool, args, { ...options, session: this });
  }

  stream<T = unknown>(tool: string, args?: unknown, options: Omit<StreamOptions, "session"> = {}): AsyncIterable<T> {
    return this.host.stream<T>(tool, args, { ...options, session: this });
  }

  /** Ends the session and frees its state in the worker. Later calls fail with SessionLostError. */
  close(): void {
    this.end("closed", "the session was closed");
  }

  get workerId(): string | undefined {
    return this.worker?.id;
  }

  /** The error a call to this session gets once it is no longer open. */
  lostError(): SessionLostError {
    return new SessionLostError(`session ${this.id} is ${this.state}: ${this.reason}`, {
      context: { session: this.id, state: this.state, worker: this.worker?.id },
      fix:
        this.state === "lost"
          ? "start a new session and rebuild its state; session calls are never moved to another worker"
          : "open a new session with pool.session()",
    });
  }

  /** Restarts the idle timer; called on every call start and finish. */
  touch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.state !== "open" || this.ttlMs <= 0 || this.active > 0 || this.queue.length > 0) return;
    this.timer = setTimeout(() => this.end("expired", `idle for more than ${this.ttlMs} ms`), this.ttlMs);
    this.timer.unref();
  }

  /** Used by the pool when the session's worker dies. */
  lose(reason: string): void {
    this.end("lost", reason);
  }

  private end(state: Exclude<SessionState, "open">, reason: string): void {
    if (this.state !== "open") return;
    this.state = state;
    this.reason = reason;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.host.releaseSession(this);
  }
}
