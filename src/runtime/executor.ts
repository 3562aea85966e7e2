/**
 * The one executor under Evaluate and Parallel (DSPy's ParallelExecutor on the event loop): at
 * most `concurrency` items in flight, results kept in item order, failures counted until
 * `maxErrors` cancels the run, and one AbortSignal that every item's LM calls run with, so a
 * cancel (too many errors, the caller's signal) stops the work in flight. Optionally, when few
 * items remain, one that has run for `timeoutMs` is started once more and the first to finish
 * wins (DSPy's straggler resubmission; the loser is aborted rather than left running).
 */
import { setMaxListeners } from "node:events";
import { context, currentSettings } from "./settings.js";

export interface ExecutorOptions<R> {
  total: number;
  concurrency: number;
  /** Failures that cancel the run (an item that threw, or a value `failureOf` names). */
  maxErrors: number;
  /** The caller's signal: its abort cancels the run with `abortError`. */
  signal?: AbortSignal | undefined;
  abortError: (reason: unknown) => Error;
  tooManyErrors: (failed: readonly [number, unknown][]) => Error;
  /** A value that still counts as a failure (Evaluate's failed rows); return its error. */
  failureOf?: (value: R) => unknown;
  /** Each item's value as it settles (failed values included), in settle order. */
  onValue?: (index: number, value: R) => void;
  /** Each item that threw, as it settles. */
  onError?: (index: number, error: unknown) => void;
  stragglers?: { timeoutMs: number; limit: number } | undefined;
}

export interface ExecutorOutcome<R> {
  /** In item order; undefined where the item threw. */
  results: (R | undefined)[];
  failed: [number, unknown][];
}

const UNSET: unique symbol = Symbol("unset");

export class Executor<R> {
  /** Aborted when the run is over or cancelled; items that run elsewhere (a queue) listen to it. */
  readonly signal: AbortSignal;
  readonly done: Promise<ExecutorOutcome<R>>;
  readonly #options: ExecutorOptions<R>;
  readonly #controller = new AbortController();
  readonly #results: (R | typeof UNSET)[];
  readonly #finished: boolean[];
  readonly #failed: [number, unknown][] = [];
  readonly #running = new Map<number, AbortController[]>();
  readonly #overdue = new Set<number>();
  readonly #resubmitted = new Set<number>();
  readonly #retries: number[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #task: ((index: number) => Promise<R>) | undefined;
  #next = 0;
  #inFlight = 0;
  #unfinished: number;
  #over = false;
  #resolve!: (outcome: ExecutorOutcome<R>) => void;
  #reject!: (error: unknown) => void;

  constructor(options: ExecutorOptions<R>) {
    this.#options = options;
    const scope = currentSettings().signal;
    const outer = [options.signal, scope].filter((s): s is AbortSignal => s !== undefined);
    this.signal = outer.length === 0 ? this.#controller.signal : AbortSignal.any([...outer, this.#controller.signal]);
    // Every in-flight LM call listens on this signal; above 10 at once that is not a leak.
    setMaxListeners(0, this.signal);
    this.#results = new Array(options.total).fill(UNSET);
    this.#finished = new Array(options.total).fill(false);
    this.#unfinished = options.total;
    this.done = new Promise<ExecutorOutcome<R>>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The caller may stop waiting early (a queue that failed); an early cancel must not warn.
    this.done.catch(() => undefined);
    const caller = options.signal;
    if (caller?.aborted) this.cancel(options.abortError(caller.reason));
    else caller?.addEventListener("abort", this.#onCallerAbort, { once: true });
  }

  /** Runs every item here: `task(index)` in a scope whose signal is the run's. */
  run(task: (index: number) => Promise<R>): Promise<ExecutorOutcome<R>> {
    this.#task = task;
    if (this.#options.total === 0) this.#finish();
    else this.#pump();
    return this.done;
  }

  /** For items that run elsewhere: one item's value (the first for an index counts). */
  settle(index: number, value: R): void {
    if (this.#over || this.#finished[index]) return;
    this.#record(index, true, value, []);
  }

  /** Ends a run whose items ran elsewhere; unsettled items stay undefined. */
  finishExternal(): void {
    if (!this.#over) this.#finish();
  }

  cancel(error: Error): void {
    if (this.#over) return;
    this.#cleanup();
    this.#controller.abort(error);
    this.#reject(error);
  }

  get over(): boolean {
    return this.#over;
  }

  readonly #onCallerAbort = (): void => {
    this.cancel(this.#options.abortError(this.#options.signal?.reason));
  };

  #pump(): void {
    const { total, concurrency } = this.#options;
    while (!this.#over && this.#inFlight < concurrency) {
      const retry = this.#retries.shift();
      if (retry !== undefined) {
        if (!this.#finished[retry]) this.#launch(retry, true);
      } else if (this.#next < total) {
        this.#launch(this.#next++, false);
      } else return;
    }
  }

  #launch(index: number, isRetry: boolean): void {
    const task = this.#task!;
    const stragglers = this.#options.stragglers;
    let own: AbortController | undefined;
    let signal = this.signal;
    // Only a run that may start an item twice needs a signal per launch (to stop the loser).
    if (stragglers !== undefined) {
      own = new AbortController();
      const runs = this.#running.get(index) ?? [];
      runs.push(own);
      this.#running.set(index, runs);
      signal = AbortSignal.any([this.signal, own.signal]);
    }
    this.#inFlight++;
    context({ signal }, () => task(index)).then(
      (value) => this.#settled(index, own, true, value),
      (error: unknown) => this.#settled(index, own, false, error),
    );
    if (!isRetry && stragglers !== undefined && stragglers.timeoutMs > 0) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (this.#finished[index]) return;
        this.#overdue.add(index);
        this.#checkStragglers();
      }, stragglers.timeoutMs);
      timer.unref();
      this.#timers.add(timer);
    }
  }

  #settled(index: number, own: AbortController | undefined, ok: boolean, value: unknown): void {
    this.#inFlight--;
    let others: AbortController[] = [];
    if (own !== undefined) {
      others = this.#running.get(index)?.filter((c) => c !== own) ?? [];
      this.#running.set(index, others);
    }
    // Like DSPy's cancelled jobs, results that arrive after the stop are dropped.
    if (this.#over) return;
    if (!this.#finished[index]) {
      // A failed launch while a duplicate still runs waits for the duplicate.
      if (ok || others.length === 0) this.#record(index, ok, value, others);
      if (this.#over) return;
    }
    this.#checkStragglers();
    this.#pump();
  }

  #record(index: number, ok: boolean, value: unknown, others: AbortController[]): void {
    this.#finished[index] = true;
    this.#unfinished--;
    // First finisher wins; a duplicate still running for this item is no longer needed.
    for (const other of others) other.abort();
    let failure: unknown = UNSET;
    if (ok) {
      this.#results[index] = value as R;
      this.#options.onValue?.(index, value as R);
      const failureOf = this.#options.failureOf;
      if (failureOf !== undefined) {
        const error = failureOf(value as R);
        if (error !== undefined) failure = error;
      }
    } else {
      failure = value;
      this.#options.onError?.(index, value);
    }
    if (failure !== UNSET) {
      this.#failed.push([index, failure]);
      if (this.#failed.length >= this.#options.maxErrors) {
        this.cancel(this.#options.tooManyErrors(this.#failed));
        return;
      }
    }
    if (this.#unfinished === 0) this.#finish();
  }

  #checkStragglers(): void {
    const stragglers = this.#options.stragglers;
    if (stragglers === undefined || this.#over || this.#unfinished > stragglers.limit) return;
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

  #cleanup(): void {
    this.#over = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#options.signal?.removeEventListener("abort", this.#onCallerAbort);
    // Duplicates of finished items may still run; nothing needs them now.
    for (const runs of this.#running.values()) for (const c of runs) c.abort();
  }
}
