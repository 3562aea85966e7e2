import type { LM } from "../lm/types.js";
import type { Session } from "./session.js";
import type { ChunkStream } from "./stream.js";
import type { WorkerProcess } from "./worker.js";

export interface CallOptions {
  /** Deadline for this call in ms (0 = none). Defaults to the pool's timeoutMs; streams have none by default. */
  timeoutMs?: number;
  /** Run on this session's worker (same as calling `session.call`). */
  session?: Session;
  /** Safe to run twice: if its worker crashes, the call is retried on another worker. */
  idempotent?: boolean;
  signal?: AbortSignal;
  /** The LM that serves this call's `lm` callbacks, instead of the pool's. */
  lm?: LM;
}

export interface StreamOptions extends CallOptions {
  /** How many chunks Python may run ahead of the consumer. Defaults to the pool's streamWindow. */
  window?: number;
}

/** One call's state, from submission until it is settled and its worker has answered. */
export interface CallRecord {
  readonly id: number;
  readonly tool: string;
  readonly args: unknown;
  readonly idempotent: boolean;
  readonly session: Session | undefined;
  readonly lm: LM | undefined;
  readonly stream: ChunkStream<unknown> | undefined;
  readonly window: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  attempts: number;
  settled: boolean;
  queued: boolean;
  worker: WorkerProcess<CallRecord> | undefined;
  deadline: NodeJS.Timeout | undefined;
  grace: NodeJS.Timeout | undefined;
  cleanup: (() => void) | undefined;
}
