/**
 * DSPy's Parallel on the event loop: runs `[module, input]` pairs with at most `numThreads` in
 * flight, returns results in input order (undefined where an item failed), and counts failures:
 * at `maxErrors` the run is cancelled, which aborts the LM calls still in flight. The scheduling
 * (concurrency, maxErrors, abort, straggler resubmission) is runtime/executor.ts, shared with
 * Evaluate.
 */
import { ConfigurationError, DSPexError } from "../errors.js";
import { Example, type Fields } from "./example.js";
import { Module } from "./module.js";
import { Executor } from "../runtime/executor.js";
import type { Prediction } from "./prediction.js";

/** What can run an item: a module, a nested Parallel (for a list of pairs) or a function. */
export type ParallelTarget = Module | Parallel | ((input: Fields) => unknown);
export type ParallelInput = Example | Fields | readonly ExecPair[];
export type ExecPair = readonly [ParallelTarget, ParallelInput];

export interface ParallelOptions<R extends boolean = false> {
  /** Items in flight at once; DSPy's default `num_threads` is 8. */
  numThreads?: number;
  /** Failures that cancel the run; DSPy's default `max_errors` is 10. */
  maxErrors?: number;
  /** Call modules with `example.inputs()` for Examples (default true), else with the Example. */
  accessExamples?: boolean;
  /** Return `[results, failedExamples, exceptions]` instead of the results. */
  returnFailedExamples?: R;
  /** After this long an item may be started again when few remain (default 120 s; 0 never). */
  timeoutMs?: number;
  /** "Few": at most this many items unfinished (default 3). */
  stragglerLimit?: number;
  /** Told about each failed item; default: console.error, as DSPy logs them. */
  onError?: (error: unknown, index: number) => void;
}

export type ParallelResults = unknown[];

/** What one pair gives: a module's typed prediction, a function's value, a nested Parallel's list. */
export type PairResult<P> = P extends readonly [infer T, unknown]
  ? T extends Module<infer _I, infer O>
    ? Prediction<O>
    : T extends Parallel<boolean>
      ? ParallelResults
      : T extends (input: Fields) => infer V
        ? Awaited<V>
        : unknown
  : unknown;

/** The results in pair order, each undefined where its item failed. */
export type ResultsOf<P extends readonly ExecPair[]> = { -readonly [K in keyof P]: PairResult<P[K]> | undefined };

export type ParallelOutput<R extends boolean, Results = ParallelResults> = R extends true
  ? [results: Results, failedExamples: ParallelInput[], exceptions: unknown[]]
  : Results;

/** The run stopped: too many items failed, or the caller's signal aborted it. */
export class ParallelCancelledError extends DSPexError {}

export class Parallel<R extends boolean = false> {
  readonly numThreads: number;
  readonly maxErrors: number;
  readonly accessExamples: boolean;
  readonly returnFailedExamples: R;
  readonly timeoutMs: number;
  readonly stragglerLimit: number;
  /** Accumulated over calls, as DSPy's attributes are. */
  readonly failedExamples: ParallelInput[] = [];
  readonly exceptions: unknown[] = [];
  readonly #onError: ((error: unknown, index: number) => void) | undefined;

  constructor(options: ParallelOptions<R> = {}) {
    this.numThreads = options.numThreads || 8;
    this.maxErrors = options.maxErrors ?? 10;
    this.accessExamples = options.accessExamples ?? true;
    this.returnFailedExamples = (options.returnFailedExamples ?? false) as R;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.stragglerLimit = options.stragglerLimit ?? 3;
    this.#onError = options.onError;
    if (!Number.isInteger(this.numThreads) || this.numThreads < 1) {
      throw new ConfigurationError(`numThreads must be a positive integer, got ${String(options.numThreads)}`);
    }
  }

  forward<const P extends readonly ExecPair[]>(
    execPairs: P,
    options: { signal?: AbortSignal } = {},
  ): Promise<ParallelOutput<R, ResultsOf<P>>> {
    return this.call(execPairs, options);
  }

  async call<const P extends readonly ExecPair[]>(
    execPairs: P,
    options: { signal?: AbortSignal } = {},
  ): Promise<ParallelOutput<R, ResultsOf<P>>> {
    const onError = this.#onError;
    const executor = new Executor<unknown>({
      total: execPairs.length,
      concurrency: this.numThreads,
      maxErrors: this.maxErrors,
      signal: options.signal,
      abortError: (reason) =>
        new ParallelCancelledError("Execution cancelled: the signal was aborted", { cause: reason }),
      tooManyErrors: (failed) =>
        new ParallelCancelledError(
          `Execution cancelled due to errors: ${failed.length} of ${execPairs.length} items failed (maxErrors ${this.maxErrors})`,
          {
            context: { errors: failed.length, failedIndices: failed.map(([i]) => i) },
            fix: "see the cause (the last error), or raise maxErrors",
            cause: failed[failed.length - 1]?.[1],
          },
        ),
      onError: (index, error) =>
        onError
          ? onError(error, index)
          : console.error(`Error for item ${index}: ${error instanceof Error ? error.message : String(error)}`),
      stragglers: { timeoutMs: this.timeoutMs, limit: this.stragglerLimit },
    });
    const { results, failed } = await executor.run((index) => this.process(execPairs[index]!));
    // The run keeps every result in its pair's slot, which is what ResultsOf<P> describes.
    if (!this.returnFailedExamples) return results as ParallelOutput<R, ResultsOf<P>>;
    for (const [index, error] of failed) {
      this.failedExamples.push(execPairs[index]![1]);
      this.exceptions.push(error);
    }
    return [results, this.failedExamples, this.exceptions] as ParallelOutput<R, ResultsOf<P>>;
  }

  private async process([target, input]: ExecPair): Promise<unknown> {
    if (isExecPairList(input)) {
      if (target instanceof Parallel) return target.call(input);
      throw invalidInput(input);
    }
    const args = input instanceof Example ? (this.accessExamples ? input.inputs() : input) : input;
    if (!(input instanceof Example) && !isRecord(input)) throw invalidInput(input);
    if (target instanceof Module) return target.call(args);
    if (typeof target === "function") return target(args);
    throw new ConfigurationError("A Parallel pair must start with a module or a function", {
      fix: "pass [module, example] pairs",
    });
  }
}

function isRecord(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isExecPairList(value: ParallelInput): value is readonly ExecPair[] {
  return Array.isArray(value);
}

function invalidInput(input: unknown): ConfigurationError {
  const kind = Array.isArray(input) ? "a list (only a nested Parallel takes one)" : typeof input;
  return new ConfigurationError(`Invalid example type: ${kind}`, {
    fix: "each pair's input must be an Example or a plain object of inputs (or a list of pairs for a nested Parallel)",
  });
}
