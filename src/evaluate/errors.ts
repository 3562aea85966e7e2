import { DSPexError } from "../errors.js";

/** A metric was given values it cannot score (DSPy raises ValueError/TypeError in the same cases). */
export class MetricError extends DSPexError {}

/** One example's failure, as recorded in the results and summarised by EvaluateError. */
export interface EvaluationFailure {
  /** Position in the devset. */
  index: number;
  message: string;
  error: unknown;
}

/**
 * An evaluation stopped early: `maxErrors` examples failed (DSPy counts `errors >= maxErrors`),
 * or the caller aborted it. Partial results in devset order are kept on `results`.
 */
export class EvaluateError<R = unknown> extends DSPexError {
  readonly failures: readonly EvaluationFailure[];
  readonly results: readonly (R | undefined)[];
  readonly reason: "maxErrors" | "aborted";

  constructor(
    message: string,
    options: {
      reason: "maxErrors" | "aborted";
      failures: readonly EvaluationFailure[];
      results: readonly (R | undefined)[];
      cause?: unknown;
      fix?: string;
      context?: Record<string, unknown>;
    },
  ) {
    super(message, {
      context: { failed: options.failures.length, ...options.context },
      ...(options.fix === undefined ? {} : { fix: options.fix }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.reason = options.reason;
    this.failures = options.failures;
    this.results = options.results;
  }
}
