/** Shapes shared by every optimizer: options, metrics, progress and the report. */
import type { PythonPool } from "../bridge/pool.js";
import type { Metric, ProgramFileRef } from "../evaluate/types.js";
import type { LMCallRecord } from "../lm/call-log.js";
import type { UsageSnapshot } from "../lm/usage.js";
import type { LM } from "../lm/types.js";
import type { Example, Fields } from "../modules/example.js";
import type { Module, ProgramState } from "../modules/module.js";
import type { Prediction } from "../modules/prediction.js";
import type { TraceEntry } from "../runtime/settings.js";

/** DSPy's own metrics, run natively in Python (dspy.evaluate). */
export type BuiltinMetric = "answerExactMatch" | "answerPassageMatch";

/** A TypeScript metric (called back from Python) or a built-in's name. */
export type OptimizeMetric = Metric | BuiltinMetric;

/** GEPA's feedback: a score plus text the reflection LM reads. */
export interface ScoreWithFeedback {
  score: number;
  feedback: string;
}

/** GEPA's metric: DSPy's `(gold, pred, trace, pred_name, pred_trace)`. */
export type FeedbackMetric = (
  example: Example,
  prediction: Prediction,
  trace?: readonly TraceEntry[],
  predName?: string,
  predTrace?: readonly TraceEntry[],
) => number | boolean | ScoreWithFeedback | Promise<number | boolean | ScoreWithFeedback>;

/** Progress while a run goes: from each finished evaluation and the optimizer's own log lines. */
export interface OptimizeProgress {
  /** The optimizer's trial number when it logs one, else how many evaluations finished. */
  trial: number;
  /** Trials planned, when the optimizer says. */
  total?: number;
  /** Best evaluation score so far (DSPy's scale: percentages for Evaluate). */
  bestScore?: number;
  /** This event's evaluation score, when it is one. */
  score?: number;
  message: string;
}

/** A trainset: Examples with input keys, or plain records plus `inputKeys`. */
export type Trainset = readonly (Example | Fields)[];

/** Options every optimizer takes. */
export interface OptimizeOptions {
  /** The task LM: runs the program. Default: the LM in the current settings. */
  lm?: LM;
  /** The pool to run in. Default: the shared "optimizers" pool. */
  pool?: PythonPool;
  /** Input keys for plain-record trainsets (and Examples without them). */
  inputKeys?: readonly string[];
  onProgress?: (progress: OptimizeProgress) => void;
  /** Cancels the run: the Python side stops at its next callback. */
  signal?: AbortSignal;
  /**
   * Builds a fresh, equivalent program. Used to make the copies that run concurrently with
   * each candidate state; without it programs are cloned structurally (see clone.ts).
   */
  factory?: () => Module;
  /** Deadline for the whole run in ms; default none. */
  timeoutMs?: number;
  /**
   * Score the program on this held-out set in Python before and after optimizing
   * (report.scores.before/after, DSPy's percentage). Costs one evaluation each.
   */
  evalset?: Trainset;
  /** Threads DSPy evaluates with (num_threads); default DSPy's. */
  numThreads?: number;
  /**
   * Run the program on other machines: the runs DSPy asks Node for go through this queue
   * (`redisQueue({ url })` from dspex/scale) to `dspex worker` processes, which load
   * `programFile` with the candidate state; the optimizer itself stays here. Runs with a
   * teacher program or a non-task LM role stay local.
   */
  queue?: ProgramRunQueue;
  /** With `queue`: the file the workers load the program from. */
  programFile?: string | ProgramFileRef;
}

/** A program run on another machine: the candidate state and inputs go, prediction and trace come back. */
export interface RemoteProgramRun {
  program: ProgramFileRef;
  state: ProgramState;
  inputs: Fields;
  /** LM settings for this run (DSPy's rollout temperature, say). */
  config?: Record<string, unknown>;
}

export interface RemoteProgramResult {
  prediction?: Fields;
  trace?: [string, Fields, Fields][];
  /** The program threw on the worker: `${name}: ${message}`. */
  error?: { message: string; name: string };
  /** The LM calls the run made on the worker, counted in the run's usage as local calls are. */
  calls?: LMCallRecord[];
}

/** Where optimizer program runs can go instead of this process (scale's RedisQueue). */
export interface ProgramRunQueue {
  trace(run: RemoteProgramRun, signal?: AbortSignal): Promise<RemoteProgramResult>;
}

export interface OptimizeScores {
  /** The unoptimized program's score, where the optimizer (or `evalset`) gives one. */
  before?: number;
  /** The optimized program's score, where the optimizer (or `evalset`) gives one. */
  after?: number;
  /** Every candidate's score, where the optimizer keeps them. */
  candidates?: number[];
  /** GEPA: the Pareto front over the validation instances. */
  pareto?: ParetoFront;
}

/** GEPA's per-instance view of its candidates (DSPy's DspyGEPAResult), indices into `candidates`. */
export interface ParetoFront {
  /** The validation instances' ids, in the order of the columns below. */
  instances: (number | string)[];
  /** Per candidate, its score on each instance (null where it was not evaluated). */
  subscores: (number | null)[][];
  /** Per instance, the candidates with the best score there: the front is their union. */
  best: number[][];
  /** Per candidate, the candidates it was proposed from. */
  parents: (number | null)[][];
  /** Per candidate, the metric calls spent when it was found. */
  discoveryEvalCounts: number[];
}

export interface OptimizeReport {
  /** DSPy's class name, e.g. "MIPROv2". */
  optimizer: string;
  scores: OptimizeScores;
  /** Trials as the optimizer numbers them, else evaluations run. */
  trials: number;
  /** Evaluations (dspy.Evaluate runs) during the run. */
  evaluations: number;
  /** Every LM call of the run, counted in Node (program runs and Python's own calls alike). */
  lmCalls: number;
  tokens: { prompt: number; completion: number; total: number };
  usage: UsageSnapshot;
  /** LM calls DSPy made itself (proposers, reflection), by role, as Python counted them. */
  pythonLmCalls: Record<string, number>;
  /** The same calls as Node served them (equal to pythonLmCalls unless a call failed on the way). */
  pythonLmCallsServed: Record<string, number>;
  /** Times Python ran the TypeScript program. */
  programCalls: number;
  metricCalls: number;
  elapsedMs: number;
  /** The optimized state in DSPy's save format, as loaded into `program`. */
  state: ProgramState;
}

export interface OptimizeResult<P extends Module> {
  /** A copy of the program with the optimized state loaded; the original is not changed. */
  program: P;
  report: OptimizeReport;
}
