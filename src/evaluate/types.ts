/** The shapes Evaluate works with: metrics, programs, per-example rows and progress events. */
import type { Example, Fields } from "../modules/example.js";
import type { Module } from "../modules/module.js";
import type { Prediction } from "../modules/prediction.js";
import type { TraceEntry } from "../runtime/settings.js";

/** What a metric may return: a number, a boolean (counted 0/1), or a Prediction (or record) with a `score`. */
export type MetricValue = number | boolean | Prediction | { readonly score: number | boolean };

/** DSPy's metric: `metric(example, prediction, trace)`. The trace is undefined during evaluation. */
export type Metric<O extends Fields = Fields> = (
  example: Example,
  prediction: Prediction<O>,
  trace?: readonly TraceEntry[],
) => MetricValue | Promise<MetricValue>;

/** A metric that is a module (SemanticF1, CompleteAndGrounded): `score()` plays DSPy's `__call__`. */
export interface MetricModule {
  score(example: Example, prediction: Prediction, trace?: readonly TraceEntry[]): MetricValue | Promise<MetricValue>;
}

export type MetricLike<O extends Fields = Fields> = Metric<O> | MetricModule;

/** Anything run as `program.call(inputs)`: every Module, or a plain object with a `call` method. */
export interface ProgramObject<O extends Fields = Fields> {
  call(inputs: Fields): Promise<Prediction<O>> | Prediction<O>;
}

/**
 * What Evaluate runs: a module (or any object with `call`), or a plain function of the inputs.
 * `O` is the fields of its predictions, which types the rows and the metric's `prediction`.
 */
export type Program<O extends Fields = Fields> =
  | Module<Fields, O>
  | ProgramObject<O>
  | ((inputs: Fields) => Promise<Prediction<O>> | Prediction<O>);

/**
 * One devset example after evaluation. Check `error` first: a failed row's prediction is the
 * empty Prediction DSPy gives, so its fields are typed as possibly absent.
 */
export type EvaluationRow<O extends Fields = Fields> = ScoredRow<O> | FailedRow<O>;

interface RowBase {
  /** Position in the devset (results are in devset order, so this equals the array index). */
  index: number;
  example: Example;
  /** The metric's score as a number (booleans count 0/1); `failureScore` when the example failed. */
  score: number;
  /** The metric's own Prediction, when it returned one (e.g. with feedback). */
  metricOutput?: Prediction;
}

export interface ScoredRow<O extends Fields = Fields> extends RowBase {
  /** The program's prediction. */
  prediction: Prediction<O>;
  error?: undefined;
}

export interface FailedRow<O extends Fields = Fields> extends RowBase {
  /** An empty Prediction, as in DSPy. */
  prediction: Prediction<Partial<O>>;
  /** The program or the metric threw. */
  error: { message: string; cause: unknown };
}

export interface EvaluationResult<O extends Fields = Fields> {
  /** Percentage over the whole devset, rounded to 2 decimals as DSPy's `round(100 * sum / n, 2)`. */
  score: number;
  results: EvaluationRow<O>[];
  /** Name of the metric (function name or class name), used as the score column. */
  metricName: string;
  /** How many examples failed. */
  errors: number;
}

/** Sent after every finished example (success or failure), in completion order. */
export interface ProgressEvent {
  /** Examples finished so far, failed ones included. */
  done: number;
  total: number;
  errors: number;
  /** Sum of the scores of the examples that succeeded so far (DSPy's progress numerator). */
  sum: number;
  /** How many examples succeeded so far (DSPy's progress denominator). */
  scored: number;
  /** Running percentage over the succeeded examples, one decimal, as DSPy's bar shows it. */
  score: number;
  /** The row that just finished. */
  row: EvaluationRow;
}

/** A program as a file workers can load: the module path and the export that holds the program. */
export interface ProgramFileRef {
  /** Path of the program file as the workers see it (a relative path resolves against each worker's cwd). */
  path: string;
  /** The export holding the program; default: `default`, then `program` (as the CLI loads them). */
  export?: string;
}

/** One evaluation handed to a queue (scale/redisQueue): the rows come back through `onRow`. */
export interface RemoteEvaluation {
  program: Program;
  programFile: ProgramFileRef;
  devset: readonly Example[];
  /** The metric Evaluate was given; a queue may run the program file's own `metric` on its workers instead when it is the same function. */
  metric: MetricLike;
  /** Scores a prediction here, exactly as a local run does (a metric that throws gives a failed row). */
  score(index: number, prediction: Prediction): Promise<EvaluationRow>;
  failureScore: number;
  /** Aborted when the run stops (the caller's signal, or maxErrors): outstanding work is cancelled. */
  signal: AbortSignal;
  /** Called once per example, in completion order. */
  onRow(row: EvaluationRow): void;
}

/** Where Evaluate can send its examples instead of running them in this process. */
export interface EvaluationQueue {
  /** Resolves when every example has a row, or the signal stopped the run. */
  evaluate(evaluation: RemoteEvaluation): Promise<void>;
}
