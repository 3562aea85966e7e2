/**
 * DSPy's Parallel (and the ParallelExecutor under it) on the event loop: runs `[module, input]`
 * pairs with at most `numThreads` in flight, returns results in input order (undefined where an
 * item failed), and counts failures: at `maxErrors` the run is cancelled, which aborts the LM
 * calls still in flight through the AbortSignal every task runs with. When few items remain,
 * one that has run for `timeoutMs` is started once more and the first to finish wins (DSPy's
 * straggler resubmission); here the loser is aborted rather than left running.
 */
import { ConfigurationError, DSPexError } from "../errors.js";
import { Example, type Fields } from "./example.js";
import { Module } from "./module.js";
import { context, currentSettings } from "../runtime/settings.js";
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

const UNSET: unique symbol = Symbol("unset");

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
    const outer = options.signal ?? currentSettings().signal;
    const run = new ParallelRun(this, execPairs, outer, (pair) => this.process(pair), this.#onError);
    const { results, failed } = await run.done;
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

interface Outcome {
  results: ParallelResults;
  failed: [number, unknown][];
}

/** One call's bookkeeping: the queue, what is in flight, errors, stragglers. */
class ParallelRun {
  readonly done: Promise<Outcome>;
  readonly #owner: Parallel<boolean>;
  readonly #pairs: readonly ExecPair[];
  readonly #process: (pair: ExecPair) => Promise<unknown>;
  readonly #onError: ((error: unknown, index: number) => void) | undefined;
  readonly #controller = new AbortController();
  readonly #signal: AbortSignal;
  readonly #outer: AbortSignal | undefined;
  readonly #results: (unknown | typeof UNSET)[];
  readonly #finished: boolean[];
  readonly #running = new Map<number, AbortController[]>();
  readonly #overdue = new Set<number>();
  readonly #resubmitted = new Set<number>();
  readonly #retries: number[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #failed: [number, unknown][] = [];
  #next = 0;
  #inFlight = 0;
  #unfinished: number;
  #errors = 0;
  #over = false;
  #resolve!: (outcome: Outcome) => void;
  #reject!: (error: unknown) => void;

  constructor(
    owner: Parallel<boolean>,
    pairs: readonly ExecPair[],
    outer: AbortSignal | undefined,
    process: (pair: ExecPair) => Promise<unknown>,
    onError: ((error: unknown, index: number) => void) | undefined,
  ) {
    this.#owner = owner;
    this.#pairs = pairs;
    this.#process = process;
    this.#onError = onError;
    this.#outer = outer;
    this.#signal = outer === undefined ? this.#controller.signal : AbortSignal.any([outer, this.#controller.signal]);
    this.#results = new Array(pairs.length).fill(UNSET);
    this.#finished = new Array(pairs.length).fill(false);
    this.#unfinished = pairs.length;
    this.done = new Promise<Outcome>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    if (outer?.aborted) {
      this.#cancel(new ParallelCancelledError("Execution cancelled: the signal was aborted", { cause: outer.reason }));
      return;
    }
    outer?.addEventListener("abort", this.#onOuterAbort, { once: true });
    if (pairs.length === 0) this.#finish();
    else this.#pump();
  }

  readonly #onOuterAbort = (): void => {
    this.#cancel(
      new ParallelCancelledError("Execution cancelled: the signal was aborted", { cause: this.#outer?.reason }),
    );
  };

  #pump(): void {
    while (!this.#over && this.#inFlight < this.#owner.numThreads) {
      const retry = this.#retries.shift();
      if (retry !== undefined) {
        if (!this.#finished[retry]) this.#launch(retry, true);
      } else if (this.#next < this.#pairs.length) {
        this.#launch(this.#next++, false);
      } else return;
    }
  }

  #launch(index: number, isRetry: boolean): void {
    const own = new AbortController();
    const runs = this.#running.get(index) ?? [];
    runs.push(own);
    this.#running.set(index, runs);
    this.#inFlight++;
    const signal = AbortSignal.any([this.#signal, own.signal]);
    const task = context({ signal }, () => this.#process(this.#pairs[index]!));
    task.then(
      (value) => this.#settle(index, own, true, value),
      (error: unknown) => this.#settle(index, own, false, error),
    );
    if (!isRetry && this.#owner.timeoutMs > 0) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (this.#finished[index]) return;
        this.#overdue.add(index);
        this.#checkStragglers();
      }, this.#owner.timeoutMs);
      timer.unref();
      this.#timers.add(timer);
    }
  }

  #settle(index: number, own: AbortController, ok: boolean, value: unknown): void {
    this.#inFlight--;
    const runs = this.#running.get(index)?.filter((c) => c !== own) ?? [];
    this.#running.set(index, runs);
    if (this.#over || this.#finished[index]) {
      this.#pump();
      return;
    }
    // First finisher wins; a duplicate still running for this item is no longer needed.
    if (ok || runs.length === 0) {
      this.#finished[index] = true;
      this.#unfinished--;
      for (const other of runs) other.abort();
    }
    if (ok) {
      this.#results[index] = value;
    } else if (runs.length === 0) {
      this.#errors++;
      this.#failed.push([index, value]);
      if (this.#onError) this.#onError(value, index);
      else console.error(`Error for item ${index}: ${value instanceof Error ? value.message : String(value)}`);
      if (this.#errors >= this.#owner.maxErrors) {
        this.#cancel(
          new ParallelCancelledError(
            `Execution cancelled due to errors: ${this.#errors} of ${this.#pairs.length} items failed (maxErrors ${this.#owner.maxErrors})`,
            {
              context: { errors: this.#errors, failedIndices: this.#failed.map(([i]) => i) },
              fix: "see the cause (the last error), or raise maxErrors",
              cause: value,
            },
          ),
        );
        return;
      }
    }
    if (this.#unfinished === 0) {
      this.#finish();
      return;
    }
    this.#checkStragglers();
    this.#pump();
  }

  #checkStragglers(): void {
    if (this.#over || this.#unfinished > this.#owner.stragglerLimit) return;
    for (const index of this.#overdue) {
      if (this.#finished[index] || this.#resubmitted.has(index)) continue;
      this.#resubmitted.add(index);
      this.#retries.push(index);
    }
    this.#overdue.clear();
    this.#pump();
  }

  #finish(): void {
    this.#cleanup();
    this.#resolve({ results: this.#results.map((r) => (r === UNSET ? undefined : r)), failed: this.#failed });
  }

  #cancel(error: ParallelCancelledError): void {
    if (this.#over) return;
    this.#cleanup();
    this.#controller.abort(error);
    this.#reject(error);
  }

  #cleanup(): void {
    this.#over = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#outer?.removeEventListener("abort", this.#onOuterAbort);
    // Duplicates of finished items may still run; nothing needs them now.
    for (const runs of this.#running.values()) for (const c of runs) c.abort();
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
