import { DSPexError } from "../errors.js";

/** Base of every error the Python bridge raises. */
export class BridgeError extends DSPexError {}

/** The worker running the call died (crash, SIGKILL, bad frame, missed heartbeat). */
export class WorkerCrashedError extends BridgeError {
  readonly workerId: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The worker's last stderr lines, oldest first. */
  readonly stderrTail: string[];

  constructor(
    message: string,
    info: { workerId: string; exitCode: number | null; signal: string | null; stderrTail: string[]; cause?: unknown },
  ) {
    const tail = info.stderrTail.length ? `\nlast stderr lines:\n  ${info.stderrTail.join("\n  ")}` : "";
    super(message + tail, {
      context: { workerId: info.workerId, exitCode: info.exitCode, signal: info.signal },
      cause: info.cause,
    });
    this.workerId = info.workerId;
    this.exitCode = info.exitCode;
    this.signal = info.signal;
    this.stderrTail = info.stderrTail;
  }
}

/**
 * The pool cannot serve: its workers could not start, or restarted too often. After a restart
 * storm in a pool that was serving this is temporary (`permanent` false): the pool starts
 * workers again after a pause. Calls fail with this meanwhile.
 */
export class PoolFailedError extends BridgeError {
  readonly reason: string;
  /** True when the pool gave up for good (no interpreter, or it never got going); it must be recreated. */
  readonly permanent: boolean;
  constructor(pool: string, reason: string, options: { fix?: string; cause?: unknown; permanent?: boolean } = {}) {
    const { permanent = false, ...rest } = options;
    super(`Python pool "${pool}" failed: ${reason}`, { context: { pool, permanent }, ...rest });
    this.reason = reason;
    this.permanent = permanent;
  }
}

export class PoolClosedError extends BridgeError {}

/** The pool's queue is full; the caller should back off. */
export class PoolSaturatedError extends BridgeError {}

/** The call passed its deadline. The Python side was told to cancel. */
export class CallTimeoutError extends BridgeError {}

/** The caller's AbortSignal fired. */
export class CallAbortedError extends BridgeError {}

/** The session's worker died, or the session was closed or expired. Never rerouted. */
export class SessionLostError extends BridgeError {}

/** A Python exception raised by the tool. */
export class PythonError extends BridgeError {
  readonly pythonType: string;
  readonly pythonMessage: string;
  readonly traceback: string;
  constructor(tool: string, pythonType: string, pythonMessage: string, traceback: string) {
    super(`${tool}: ${pythonType}: ${pythonMessage}`, { context: { tool, pythonType } });
    this.pythonType = pythonType;
    this.pythonMessage = pythonMessage;
    this.traceback = traceback;
  }
}

/** The tool returned something MessagePack cannot carry (an arbitrary object, a set...). */
export class UnserializableResultError extends PythonError {}

/** No tool of that name is registered in the worker. */
export class UnknownToolError extends PythonError {}

/** A value given to the bridge cannot be sent to Python (too deep, circular, a Symbol...). Only its own call fails. */
export class BridgeValueError extends BridgeError {}

/** The worker broke the wire protocol (malformed or oversized frame). */
export class ProtocolError extends BridgeError {}
