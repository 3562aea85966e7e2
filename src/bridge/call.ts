import type { LM } from "../lm/types.js";
import type { Session } from "./session.js";

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
