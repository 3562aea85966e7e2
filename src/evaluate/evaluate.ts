/**
 * Evaluate: runs a program over a devset with an async concurrency limit, scores each prediction
 * with a metric, and reports DSPy's numbers (`round(100 * sum / n, 2)`, failures scored with
 * `failureScore`, stop once `errors >= maxErrors`). Progress and per-example results are events;
 * nothing here blocks the event loop, and an abort (caller's or maxErrors') cancels in-flight calls.
 */
import { EventEmitter } from "node:events";
import { ConfigurationError } from "../errors.js";
import { Example, type Fields } from "../modules/example.js";
import { Prediction } from "../modules/prediction.js";
import { observe } from "../runtime/observe.js";
import { Executor } from "../runtime/executor.js";
import { currentSettings } from "../runtime/settings.js";
import { EvaluateError, type EvaluationFailure, MetricError } from "./errors.js";
import { pyRound } from "../py/round.js";
import { formatTable, saveCSV, saveJSON } from "./results.js";
import type {
  EvaluationQueue,
  EvaluationResult,
  EvaluationRow,
  Metric,
  MetricLike,
  MetricValue,
  Program,
  ProgramFileRef,
  ProgressEvent,
} from "./types.js";

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface EvaluateOptions {
  devset: readonly Example[];
  metric: MetricLike;
  /** Examples in flight at once (DSPy's `num_threads`; default 8, DSPy's default). */
  concurrency?: number;
  /** Stop once this many examples have failed (default 10, DSPy's `settings.max_errors`). */
  maxErrors?: number;
  /** Score given to an example whose program or metric threw (default 0). */
  failureScore?: number;
  /** Write a progress line to `output` while running. */
  displayProgress?: boolean;
  /** Write the results table to `output` at the end; a number shows only that many rows. */
  displayTable?: boolean | number;
  saveAsCSV?: string;
  saveAsJSON?: string;
  /** Where progress and the table go (default: process.stdout). */
  output?: Output;
  /**
   * Send the examples to workers on other processes or machines (`redisQueue({ url })` from
   * dspex/scale) instead of running them here. Scores, rows, their order and the progress events
   * are those of a local run. `run()` then needs `programFile`, the file the workers load.
   */
  queue?: EvaluationQueue;
}

export interface RunOptions<O extends Fields = Fields> {
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  devset?: readonly Example[];
  metric?: MetricLike<O>;
  concurrency?: number;
  /**
   * With a queue: the file workers load the program from (its saved state travels with each
   * job, so an optimized or loaded program is evaluated as it is here). A string is the path,
   * with the program as its default export (or `program`).
   */
  programFile?: string | ProgramFileRef;
}

export interface EvaluateEvents {
  progress: [ProgressEvent];
  /** An example's program or metric threw; the row holds the failure score. */
  failure: [EvaluationRow];
}

export class Evaluate extends EventEmitter<EvaluateEvents> {
  readonly devset: readonly Example[];
  readonly metric: MetricLike;
  readonly concurrency: number;
  readonly maxErrors: number;
  readonly failureScore: number;
  readonly displayProgress: boolean;
  readonly displayTable: boolean | number;
  readonly saveAsCSV: string | undefined;
  readonly saveAsJSON: string | undefined;
  readonly output: Output;
  readonly queue: EvaluationQueue | undefined;

  constructor(options: EvaluateOptions) {
    super();
    this.devset = options.devset;
    this.metric = options.metric;
    this.concurrency = checkConcurrency(options.concurrency ?? 8);
    this.maxErrors = options.maxErrors ?? 10;
    this.failureScore = options.failureScore ?? 0;
    this.displayProgress = options.displayProgress ?? false;
    this.displayTable = options.displayTable ?? false;
    this.saveAsCSV = options.saveAsCSV;
    this.saveAsJSON = options.saveAsJSON;
    this.output = options.output ?? process.stdout;
    this.queue = options.queue;
  }

  /**
   * The rows and the metric are typed by the program's predictions (`Module<I, O>` gives `O`).
   * The run sits between onEvaluateStart and onEvaluateEnd.
   */
  async run<O extends Fields = Fields>(program: Program<O>, options: RunOptions<O> = {}): Promise<EvaluationResult<O>> {
    const untyped = program as Program;
    const result = await observe(
      currentSettings(),
      "evaluate",
      { instance: this, name: "Evaluate", inputs: { program } },
      () => this.runUntyped(untyped, options as RunOptions),
    );
    return result as EvaluationResult<O>;
  }

  private async runUntyped(program: Program, options: RunOptions): Promise<EvaluationResult> {
    const devset = options.devset ?? this.devset;
    const metricLike = options.metric ?? this.metric;
    const concurrency = checkConcurrency(options.concurrency ?? this.concurrency);
    checkDevset(devset);
    const metric = toMetric(metricLike);
    const metricName = nameOf(metricLike);
    const total = devset.length;
    const programFile = this.queue ? checkProgramFile(options.programFile) : undefined;

    const rows: (EvaluationRow | undefined)[] = new Array(total).fill(undefined);
    const failures: EvaluationFailure[] = [];
    let done = 0;
    let sum = 0;
    let scored = 0;

    const finish = (row: EvaluationRow): void => {
      rows[row.index] = row;
      done++;
      if (row.error) {
        failures.push({ index: row.index, message: row.error.message, error: row.error.cause });
        this.emit("failure", row);
      } else {
        sum += row.score;
        scored++;
      }
      const event: ProgressEvent = {
        done,
        total,
        errors: failures.length,
        sum,
        scored,
        score: scored === 0 ? 0 : pyRound((100 * sum) / scored, 1),
        row,
      };
      options.onProgress?.(event);
      this.emit("progress", event);
      if (this.displayProgress) this.drawProgress(event);
    };

    // Concurrency, maxErrors and abort are the executor's, shared with Parallel; a failed
    // example is a row (scored failureScore) that counts toward maxErrors.
    const executor = new Executor<EvaluationRow>({
      total,
      concurrency,
      maxErrors: this.maxErrors,
      signal: options.signal,
      abortError: (reason) =>
        new EvaluateError(`Evaluation aborted after ${done} of ${total} examples`, {
          reason: "aborted",
          failures,
          results: rows,
          cause: reason,
        }),
      tooManyErrors: () => this.tooManyErrors(failures, rows, done),
      failureOf: (row) => (row.error ? row.error : undefined),
      onValue: (_index, row) => finish(row),
    });

    try {
      if (this.queue && programFile) {
        const queue = this.queue;
        const remote = queue.evaluate({
          program,
          programFile,
          devset,
          metric: metricLike,
          failureScore: this.failureScore,
          signal: executor.signal,
          score: (index, prediction) => this.scoreOne(metric, devset[index]!, index, prediction),
          // As in a local run: each example counts once, and nothing counts after the stop.
          onRow: (row) => executor.settle(row.index, row),
        });
        await Promise.race([remote.then(() => executor.finishExternal()), executor.done]);
        await executor.done;
      } else {
        let started = 0;
        await executor.run(async (index) => {
          // After the first wave, yield to timers and I/O before each example, so fast (or
          // synchronous) programs never starve them.
          if (started++ >= concurrency) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            executor.signal.throwIfAborted();
          }
          return this.runOne(program, metric, devset[index]!, index);
        });
      }
    } catch (error) {
      if (this.displayProgress) this.output.write("\n");
      throw error;
    } finally {
      // A queue still sending rows is told to stop.
      if (!executor.over) {
        executor.cancel(new EvaluateError("Evaluation ended", { reason: "aborted", failures, results: rows }));
      }
    }

    const results = rows as EvaluationRow[];
    let total100 = 0;
    for (const row of results) total100 += row.score;
    const result: EvaluationResult = {
      score: pyRound((100 * total100) / total, 2),
      results,
      metricName,
      errors: failures.length,
    };
    await this.report(result, total100);
    return result;
  }

  private async runOne(program: Program, metric: Metric, example: Example, index: number): Promise<EvaluationRow> {
    try {
      const inputs = example.inputs().toDict();
      // Runs in the executor's scope: every LM call (Predict reads settings.signal) stops when
      // the run does, including predictors with an LM of their own.
      // A function has a `call` too (Function.prototype.call), so functions are checked first.
      const prediction = await (typeof program === "function" ? program(inputs) : program.call(inputs));
      return await scoreRow(metric, example, index, prediction);
    } catch (cause) {
      return this.failedRow(example, index, cause);
    }
  }

  /** A prediction made elsewhere (a queue's worker), scored here as `runOne` scores. */
  private async scoreOne(
    metric: Metric,
    example: Example,
    index: number,
    prediction: Prediction,
  ): Promise<EvaluationRow> {
    try {
      return await scoreRow(metric, example, index, prediction);
    } catch (cause) {
      return this.failedRow(example, index, cause);
    }
  }

  private failedRow(example: Example, index: number, cause: unknown): EvaluationRow {
    return {
      index,
      example,
      prediction: new Prediction(),
      score: this.failureScore,
      error: { message: messageOf(cause), cause },
    };
  }

  private tooManyErrors(
    failures: readonly EvaluationFailure[],
    rows: readonly (EvaluationRow | undefined)[],
    done: number,
  ): EvaluateError<EvaluationRow> {
    const first = failures
      .slice(0, 3)
      .map((f) => `  #${f.index}: ${f.message}`)
      .join("\n");
    return new EvaluateError(
      `Evaluation stopped: ${failures.length} examples failed (maxErrors is ${this.maxErrors}) after ${done} of ${rows.length} finished. First errors:\n${first}`,
      {
        reason: "maxErrors",
        failures: [...failures],
        results: rows,
        cause: failures[0]?.error,
        fix: "fix the failing program or metric, or raise maxErrors to keep going past failures",
        context: { maxErrors: this.maxErrors, finished: done },
      },
    );
  }

  private drawProgress(event: ProgressEvent): void {
    const line = `Average Metric: ${event.sum.toFixed(2)} / ${event.scored} (${event.score}%) | ${event.done}/${event.total}${event.errors ? ` | ${event.errors} failed` : ""}`;
    if (this.output.isTTY) this.output.write(`\r${line}`);
    else if (event.done === event.total) this.output.write(line);
  }

  private async report(result: EvaluationResult, sum: number): Promise<void> {
    const n = result.results.length;
    if (this.displayProgress) {
      this.output.write(`\nAverage Metric: ${sum} / ${n} (${pyRound((100 * sum) / n, 1)}%)\n`);
    }
    if (this.displayTable !== false) {
      const limit = typeof this.displayTable === "number" ? this.displayTable : undefined;
      this.output.write(formatTable(result, limit === undefined ? {} : { limit }));
    }
    if (this.saveAsCSV) await saveCSV(this.saveAsCSV, result);
    if (this.saveAsJSON) await saveJSON(this.saveAsJSON, result);
  }
}

/** The facade: `await evaluate(program, devset, metric, { concurrency, signal, ... })`. */
export function evaluate<O extends Fields = Fields>(
  program: Program<O>,
  devset: readonly Example[],
  metric: MetricLike<O>,
  options: Omit<EvaluateOptions, "devset" | "metric"> & Pick<RunOptions, "signal" | "onProgress"> = {},
): Promise<EvaluationResult<O>> {
  const { signal, onProgress, ...rest } = options;
  const run: RunOptions<O> = {};
  if (signal) run.signal = signal;
  if (onProgress) run.onProgress = onProgress;
  return new Evaluate({ ...rest, devset, metric: metric as MetricLike }).run(program, run);
}

async function scoreRow(
  metric: Metric,
  example: Example,
  index: number,
  prediction: Prediction,
): Promise<EvaluationRow> {
  const value = await metric(example, prediction, undefined);
  const [score, metricOutput] = toScore(value);
  return metricOutput ? { index, example, prediction, score, metricOutput } : { index, example, prediction, score };
}

function checkProgramFile(file: string | ProgramFileRef | undefined): ProgramFileRef {
  if (typeof file === "string" && file.length > 0) return { path: file };
  if (typeof file === "object" && file !== null && typeof file.path === "string" && file.path.length > 0) return file;
  throw new ConfigurationError("Evaluate with a queue needs the program's file, which the workers load", {
    fix: 'pass evaluate.run(program, { programFile: "./program.ts" }) (the program\'s state travels with each job)',
  });
}

/** Booleans count 0/1; a Prediction or record contributes its `score`. The one rule, for local and remote runs. */
export function toScore(value: MetricValue): [number, Prediction | undefined] {
  if (typeof value === "number") return [value, undefined];
  if (typeof value === "boolean") return [value ? 1 : 0, undefined];
  if (typeof value === "object" && value !== null && "score" in value) {
    const s = value.score;
    if (typeof s === "number" || typeof s === "boolean") {
      return [typeof s === "boolean" ? Number(s) : s, value instanceof Prediction ? value : undefined];
    }
  }
  throw new MetricError(`The metric returned ${describe(value)}, not a score`, {
    fix: "return a number, a boolean, or a Prediction with a numeric `score` field",
  });
}

function toMetric(metric: MetricLike): Metric {
  if (typeof metric === "function") return metric;
  if (typeof metric === "object" && metric !== null && typeof metric.score === "function") {
    return (example, prediction, trace) => metric.score(example, prediction, trace);
  }
  throw new ConfigurationError("Evaluate needs a metric", {
    fix: "pass a function (example, prediction) => number | boolean, or a metric module such as new SemanticF1()",
  });
}

function nameOf(metric: MetricLike): string {
  if (typeof metric === "function") return metric.name || "metric";
  return metric.constructor?.name && metric.constructor.name !== "Object" ? metric.constructor.name : "metric";
}

function checkDevset(devset: readonly Example[]): void {
  if (!Array.isArray(devset) || devset.length === 0) {
    throw new ConfigurationError("devset must contain at least one example, got an empty devset", {
      fix: "pass a non-empty array of Examples",
    });
  }
  const bad = devset.findIndex((e) => !(e instanceof Example) || e.inputKeys === undefined);
  if (bad >= 0) {
    throw new ConfigurationError(`devset[${bad}] has no input keys`, {
      fix: 'build examples with new Example({...}).withInputs("question", ...) so Evaluate knows what to pass',
    });
  }
}

function checkConcurrency(n: number): number {
  if (!Number.isInteger(n) || n < 1) {
    throw new ConfigurationError(`concurrency must be a positive integer, got ${n}`, { fix: "pass e.g. 8" });
  }
  return n;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return `an object without a numeric score (${Object.keys(value).join(", ") || "{}"})`;
  return `${typeof value} ${JSON.stringify(value)}`;
}
