/** The shapes Evaluate works with: metrics, programs, per-example rows and progress events. */
import type { Example, Fields } from "../modules/example.js";
import type { Prediction } from "../modules/prediction.js";
import type { TraceEntry } from "../runtime/settings.js";

/** What a metric may return: a number, a boolean (counted 0/1), or a Prediction (or record) with a `score`. */
export type MetricValue = number | boolean | Prediction | { readonly score: number | boolean };

/** DSPy's metric: `metric(example, prediction, trace)`. The trace is undefined during evaluation. */
export type Metric = (
  example: Example,
  prediction: Prediction,
  trace?: readonly TraceEntry[],
) => MetricValue | Promise<MetricValue>;

/** A metric that is a module (SemanticF1, CompleteAndGrounded): `score()` plays DSPy's `__call__`. */
export interface MetricModule {
  score(example: Example, prediction: Prediction, trace?: readonly TraceEntry[]): MetricValue | Promise<MetricValue>;
}

export type MetricLike = Metric | MetricModule;

/** Anything run as `program.call(inputs)`: every Module, or a plain object with a `call` method. */
export interface ProgramObject {
  call(inputs: Fields): Promise<Prediction> | Prediction;
}

/** What Evaluate runs: a module (or any object with `call`), or a plain function of the inputs. */
export type Program = ProgramObject | ((inputs: Fields) => Promise<Prediction> | Prediction);

/** One devset example after evaluation. */
export interface EvaluationRow {
  /** Position in the devset (results are in devset order, so this equals the array index). */
  index: number;
  example: Example;
  /** The program's prediction; an empty Prediction when the example failed (as in DSPy). */
  prediction: Prediction;
  /** The metric's score as a number (booleans count 0/1); `failureScore` when the example failed. */
  score: number;
  /** Set when the program or the metric threw. */
  error?: { message: string; cause: unknown };
  /** The metric's own Prediction, when it returned one (e.g. with feedback). */
  metricOutput?: Prediction;
}

export interface EvaluationResult {
  /** Percentage over the whole devset, rounded to 2 decimals as DSPy's `round(100 * sum / n, 2)`. */
  score: number;
  results: EvaluationRow[];
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
