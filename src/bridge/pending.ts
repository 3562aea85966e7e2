/**
 * One call from submission until it is settled and its worker has answered: its deadline, its
 * abort signal and its result. A call is settled exactly once (result, error, deadline, abort,
 * crash or pool close, whichever comes first); later outcomes are ignored. The worker's answer
 * may still come after that (a cancelled call), which is why "settled" and "answered" differ.
 */
import type { LM } from "../lm/types.js";
import type { CallOptions } from "./call.js";
import { CallAbortedError, CallTimeoutError } from "./errors.js";
import type { Session } from "./session.js";
import type { ChunkStream } from "./stream.js";
import type { WorkerProcess } from "./worker.js";

export interface PendingHooks {
  /** The deadline passed or the signal fired: fail the caller and tell the worker to stop. */
  abort(call: PendingCall, error: Error): void;
  /** A call settled while still queued: it no longer counts against the queue limit. */
  unqueued(): void;
}

export interface PendingInit {
  id: number;
  tool: string;
  args: unknown;
  options: CallOptions;
  /** The pool's default deadline, used when the options name none. */
  timeoutMs: number;
  stream: ChunkStream<unknown> | undefined;
  window: number;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class PendingCall {
  readonly id: number;
  readonly tool: string;
  readonly args: unknown;
  readonly idempotent: boolean;
  readonly session: Session | undefined;
  readonly lm: LM | undefined;
  readonly stream: ChunkStream<unknown> | undefined;
  readonly window: number;
  attempts = 0;
  settled = false;
  queued = false;
  worker: WorkerProcess<PendingCall> | undefined;
  /** Set after a cancel is sent: when it ends, a worker still running the call is killed. */
  grace: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private cleanup: (() => void) | undefined;
  private readonly onResolve: (value: unknown) => void;
  private readonly onReject: (error: Error) => void;

  constructor(
    init: PendingInit,
    private readonly hooks: PendingHooks,
  ) {
    const { id, tool, options } = init;
    this.id = id;
    this.tool = tool;
    this.args = init.args;
    this.idempotent = options.idempotent ?? false;
    this.session = options.session;
    this.lm = options.lm;
    this.stream = init.stream;
    this.window = init.window;
    this.onResolve = init.resolve;
    this.onReject = init.reject;
    const timeoutMs = options.timeoutMs ?? init.timeoutMs;
    if (timeoutMs > 0) {
      this.deadline = setTimeout(
        () =>
          hooks.abort(
            this,
            new CallTimeoutError(`${tool} did not finish within ${timeoutMs} ms`, { context: { tool, timeoutMs } }),
          ),
        timeoutMs,
      );
      this.deadline.unref(); // a call in flight keeps its worker referenced; the timer need not
    }
    const signal = options.signal;
    if (signal) {
      const onAbort = () => hooks.abort(this, new CallAbortedError(`${tool} was aborted`, { cause: signal.reason }));
      if (signal.aborted) queueMicrotask(onAbort);
      else {
        signal.addEventListener("abort", onAbort, { once: true });
        this.cleanup = () => signal.removeEventListener("abort", onAbort);
      }
    }
  }

  /** Marks the call settled (timers and listeners gone); false if it already was. */
  settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.deadline) clearTimeout(this.deadline);
    this.cleanup?.();
    if (this.queued) {
      this.queued = false;
      this.hooks.unqueued();
    }
    return true;
  }

  resolve(value: unknown): void {
    if (this.settle()) this.onResolve(value);
  }

  reject(error: Error): void {
    if (this.settle()) this.onReject(error);
  }

  /** The worker answered after a cancel: the grace timer is no longer needed. Returns whether one ran. */
  clearGrace(): boolean {
    if (!this.grace) return false;
    clearTimeout(this.grace);
    this.grace = undefined;
    return true;
  }
}
