/**
 * The pool's side of Python -> Node calls: the allowlist of Node functions a worker may call by
 * name, and the answer to each `cb_call` frame. Nothing unregistered is callable; arguments of a
 * callback that wire.json lists are checked first; a function that throws answers with its
 * error's name and message, which Python raises as NodeCallbackError.
 */
import type { LM } from "../lm/types.js";
import { type CallbackContext, type CallbackFn, lmCallback } from "./callbacks.js";
import type { CallbackCallMsg, CallbackResultMsg } from "./messages.js";
import type { PendingCall } from "./pending.js";
import { callbackArgs, checkShape } from "./wire-schema.js";
import type { WorkerProcess } from "./worker.js";

export class CallbackServer {
  private readonly callbacks = new Map<string, CallbackFn>();

  constructor(
    private readonly pool: string,
    /** The LM that serves `lm` callbacks when the call that led to them names none. */
    private readonly lm: LM | undefined,
    callbacks: Record<string, CallbackFn>,
  ) {
    this.callbacks.set("lm", lmCallback);
    for (const [name, fn] of Object.entries(callbacks)) this.callbacks.set(name, fn);
  }

  register(name: string, fn: CallbackFn): void {
    this.callbacks.set(name, fn);
  }

  names(): string[] {
    return [...this.callbacks.keys()].sort();
  }

  /** Runs the named function for `m` and sends its answer back on `worker`. */
  serve(worker: WorkerProcess<PendingCall>, m: CallbackCallMsg): void {
    const fn = this.callbacks.get(m.name);
    if (!fn) {
      reply(worker, m.id, false, undefined, {
        type: "CallbackNotAllowed",
        message: `Node has no callback named "${m.name}" (registered: ${this.names().join(", ")}); register it with pool.registerCallback(name, fn)`,
      });
      return;
    }
    const shape = callbackArgs(m.name);
    const problem = shape === undefined ? undefined : checkShape(shape, m.args, "args");
    if (problem) {
      reply(worker, m.id, false, undefined, {
        type: "BadArguments",
        message: `callback "${m.name}": ${problem} (see python/dspex_worker/wire.json)`,
      });
      return;
    }
    const parent = m.parent === null ? undefined : worker.inflight.get(m.parent);
    const context: CallbackContext = {
      pool: this.pool,
      workerId: worker.id,
      parentCallId: parent?.id,
      parentTool: parent?.tool,
      lm: parent?.lm ?? this.lm,
    };
    const fail = (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      reply(worker, m.id, false, undefined, { type: e.name, message: e.message });
    };
    let value: unknown;
    try {
      value = fn(m.args, context);
    } catch (err) {
      fail(err);
      return;
    }
    // A synchronous answer goes out without waiting for a promise tick (the P3 path is latency-bound).
    if (isThenable(value)) value.then((v: unknown) => reply(worker, m.id, true, v), fail);
    else reply(worker, m.id, true, value);
  }
}

function reply(
  worker: WorkerProcess<PendingCall>,
  id: number,
  ok: boolean,
  value: unknown,
  error?: CallbackResultMsg["error"],
): void {
  try {
    worker.send(ok ? { k: "cb_result", id, ok, value } : { k: "cb_result", id, ok, ...(error ? { error } : {}) });
  } catch (err) {
    worker.send({ k: "cb_result", id, ok: false, error: { type: "EncodeError", message: (err as Error).message } });
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
