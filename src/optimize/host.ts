/**
 * The Node end of optimizer runs in one pool: the callbacks Python calls (one dispatcher per
 * kind, keyed by run id, registered once per pool) and the runs they serve.
 *
 * Callbacks: `optimize.program` runs the TS program with a state, `optimize.lm` serves
 * DSPy's own LM calls by role, `optimize.metric` and `optimize.embed` call the caller's
 * functions, `optimize.progress` reports progress.
 */
import { toLMRequest, type LMCallbackArgs, type LMCallbackReply } from "../bridge/callbacks.js";
import type { PythonPool } from "../bridge/pool.js";
import { ConfigurationError, DSPexError } from "../errors.js";
import type { Metric } from "../evaluate/types.js";
import { recordRemoteCalls } from "../lm/call-log.js";
import type { LM } from "../lm/types.js";
import type { UsageTracker } from "../lm/usage.js";
import type { Fields } from "../modules/example.js";
import type { Module, ProgramState } from "../modules/module.js";
import { Predict, type PredictConfig } from "../modules/predict.js";
import { Prediction } from "../modules/prediction.js";
import { DSPY_PROMPTS, lmCall } from "../runtime/lm-call.js";
import { withConfig } from "../runtime/overrides.js";
import { context, type Settings, type TraceEntry } from "../runtime/settings.js";
import { applyState, cloneProgram } from "./clone.js";
import { type ExampleRecord, toExample } from "./structure.js";
import type { FeedbackMetric, OptimizeProgress, ProgramRunQueue } from "./types.js";
import type { ProgramFileRef } from "../evaluate/types.js";

export const OPTIMIZE_MODULE = "dspex_worker.optimize";

/** An embedder served from Node (knnFewShot): texts in, one vector per text out. */
export interface TextEmbedder {
  embed(texts: string[]): Promise<readonly (Float32Array | readonly number[])[]>;
}

export class RunNotActiveError extends DSPexError {}

/** Everything a run's callbacks need. */
export interface RunSpec {
  /** Index 0 is the program being optimized; an ensemble has several. */
  programs: Module[];
  teacher?: Module;
  factory?: () => Module;
  /** role -> LM; "task" is always there. */
  lms: Record<string, LM>;
  metric?: Metric | FeedbackMetric;
  embedder?: TextEmbedder;
  /** The caller's settings when the run started (cache, history, adapter...). */
  settings: Settings;
  usage: UsageTracker;
  onProgress?: (progress: OptimizeProgress) => void;
  signal?: AbortSignal;
  /** LM calls DSPy made itself (not through the TS program), by role, as Node served them. */
  served?: Record<string, number>;
  /** Program runs go to workers through this queue (see OptimizeOptions.queue). */
  remote?: { queue: ProgramRunQueue; programFile: ProgramFileRef };
}

const COPIES_KEPT = 16;

class Run {
  /** Copies with a given state, by program and state: identical states reuse one copy. */
  private readonly copies = new Map<string, Module>();
  /** What DSPy's own LM calls run under: the caller's settings, counted in the run's usage. */
  readonly lmSettings: Settings;
  constructor(readonly spec: RunSpec) {
    this.lmSettings = { ...spec.settings, usage: spec.usage };
  }

  /** The LM for a role, else the task LM; undefined when the run has none (predictors may have their own). */
  lmFor(role: string | undefined): LM | undefined {
    return this.spec.lms[role ?? "task"] ?? this.spec.lms.task;
  }

  lm(role: string | undefined): LM {
    const lm = this.lmFor(role);
    if (!lm) {
      throw new ConfigurationError(`Python asked for the "${role ?? "task"}" LM but the run has no LM`, {
        fix: "pass { lm } to the optimizer or configure({ lm })",
      });
    }
    return lm;
  }

  copyWith(program: unknown, state: ProgramState, predictorLms: Record<string, RoleConfig>): Module {
    const base = program === "teacher" ? this.spec.teacher : this.spec.programs[Number(program)];
    if (!base) throw new DSPexError(`Python asked for program ${String(program)}, which this run does not have`);
    const key = `${String(program)}\u0000${JSON.stringify(state)}\u0000${JSON.stringify(predictorLms)}`;
    let copy = this.copies.get(key);
    if (copy) {
      this.copies.delete(key);
      this.copies.set(key, copy);
      return copy;
    }
    copy = cloneProgram(base, this.spec.factory);
    applyState(copy, state);
    for (const [name, p] of copy.namedPredictors()) {
      const chosen = predictorLms[name];
      if (chosen && p instanceof Predict) p.lm = this.lm(chosen.role);
    }
    this.copies.set(key, copy);
    if (this.copies.size > COPIES_KEPT) this.copies.delete(this.copies.keys().next().value as string);
    return copy;
  }

  /** Python's trace records -> TraceEntry against the caller's program's predictors. */
  trace(records: [string, Fields, Fields][] | null | undefined): TraceEntry[] | undefined {
    if (!records) return undefined;
    const byName = new Map(this.spec.programs[0]?.namedPredictors() ?? []);
    return records.flatMap(([name, inputs, outputs]) => {
      const predictor = byName.get(name);
      return predictor instanceof Predict ? [{ predictor, inputs, prediction: new Prediction(outputs) }] : [];
    });
  }
}

interface RoleConfig {
  role?: string;
  config?: PredictConfig;
}

interface ProgramArgs {
  run: string;
  program: number | "teacher";
  inputs: Fields;
  state: ProgramState;
  lm?: RoleConfig;
  predictorLms?: Record<string, RoleConfig>;
}

interface MetricArgs {
  run: string;
  example: ExampleRecord;
  prediction: Fields;
  trace: [string, Fields, Fields][] | null;
  predName?: string;
  predTrace?: [string, Fields, Fields][] | null;
}

export class OptimizeHost {
  private readonly runs = new Map<string, Run>();
  private ready: Promise<void> | undefined;

  constructor(private readonly pool: PythonPool) {
    pool.registerCallback("optimize.program", (args) => this.program(args as ProgramArgs));
    pool.registerCallback("optimize.lm", (args) => this.lm(args as LMCallbackArgs & { run: string; role?: string }));
    pool.registerCallback("optimize.metric", (args) => this.metric(args as MetricArgs));
    pool.registerCallback("optimize.embed", (args) => this.embed(args as { run: string; texts: string[] }));
    pool.registerCallback("optimize.progress", (args) => this.progress(args as OptimizeProgress & { run: string }));
  }

  /** Fails clearly when the pool was started without the optimizer tools. */
  checkTools(): Promise<void> {
    this.ready ??= this.pool.call<string[]>("tools").then((tools) => {
      if (!tools.includes("optimize.run")) {
        this.ready = undefined;
        throw new ConfigurationError(`Python pool "${this.pool.name}" has no optimizer tools`, {
          fix: `start it with { modules: ["${OPTIMIZE_MODULE}"] }, or leave out { pool } to use the shared one`,
        });
      }
    });
    return this.ready;
  }

  begin(id: string, spec: RunSpec): void {
    this.runs.set(id, new Run(spec));
  }

  end(id: string): void {
    this.runs.delete(id);
  }

  private get(id: string): Run {
    const run = this.runs.get(id);
    if (!run) throw new RunNotActiveError(`Optimizer run ${id} is not active (it ended or was cancelled)`);
    if (run.spec.signal?.aborted) throw new RunNotActiveError(`Optimizer run ${id} was cancelled`);
    return run;
  }

  private async program(args: ProgramArgs): Promise<{ prediction: Fields; trace: [string, Fields, Fields][] }> {
    const run = this.get(args.run);
    const remote = run.spec.remote;
    // Only the program being optimized, on the task LM, can run elsewhere: the workers load its
    // file and use their own LM; a teacher or another role's LM exists only here.
    const predictorLms = Object.values(args.predictorLms ?? {});
    if (remote && args.program === 0 && (args.lm?.role ?? "task") === "task" && predictorLms.length === 0) {
      const config = args.lm?.config ?? {};
      const result = await remote.queue.trace(
        {
          program: remote.programFile,
          state: args.state,
          inputs: args.inputs,
          ...(Object.keys(config).length > 0 ? { config: config as Record<string, unknown> } : {}),
        },
        run.spec.signal,
      );
      recordRemoteCalls(run.spec.usage, result.calls);
      // The program threw on the worker: DSPy sees a failed run, as with a local throw.
      if (result.error) throw new DSPexError(result.error.message, { context: { remote: true } });
      return { prediction: result.prediction ?? {}, trace: result.trace ?? [] };
    }
    const copy = run.copyWith(args.program, args.state, args.predictorLms ?? {});
    const trace: TraceEntry[] = [];
    const s = run.spec;
    const lm = run.lmFor(args.lm?.role);
    const settings: Settings = {
      ...s.settings,
      ...(lm ? { lm } : {}),
      trace,
      usage: s.usage,
      overrides: withConfig(s.settings.overrides, args.lm?.config),
      ...(s.signal ? { signal: s.signal } : {}),
    };
    const prediction = await context(settings, () => copy.call(args.inputs)).catch((error: unknown) => {
      throw privateFieldHint(copy, error);
    });
    const names = new Map(copy.namedPredictors().map(([name, p]) => [p as unknown, name]));
    const steps: [string, Fields, Fields][] = [];
    for (const entry of trace) {
      const name = names.get(entry.predictor);
      if (name !== undefined) steps.push([name, { ...entry.inputs }, entry.prediction.toDict()]);
    }
    return { prediction: prediction.toDict(), trace: steps };
  }

  private async lm(args: LMCallbackArgs & { run: string; role?: string }): Promise<LMCallbackReply> {
    const run = this.get(args.run);
    const lm = run.lm(args.role);
    const request = toLMRequest(args);
    if (run.spec.signal) request.signal = run.spec.signal;
    const response = await lmCall(request, { lm, settings: run.lmSettings, cacheTag: DSPY_PROMPTS });
    const served = run.spec.served;
    if (served) served[args.role ?? "task"] = (served[args.role ?? "task"] ?? 0) + 1;
    return {
      outputs: response.outputs,
      usage: response.usage,
      model: response.model,
      cached: response.cached,
      finishReasons: response.finishReasons ?? response.outputs.map(() => "stop"),
    };
  }

  private async metric(args: MetricArgs): Promise<unknown> {
    const run = this.get(args.run);
    const metric = run.spec.metric;
    if (!metric) throw new ConfigurationError("Python called a metric but the run has none");
    const example = toExample(args.example);
    const prediction = new Prediction(args.prediction);
    const trace = run.trace(args.trace);
    const value =
      args.predName === undefined
        ? await (metric as Metric)(example, prediction, trace)
        : await (metric as FeedbackMetric)(example, prediction, trace, args.predName, run.trace(args.predTrace));
    return metricValue(value);
  }

  private async embed(args: { run: string; texts: string[] }): Promise<number[][]> {
    const run = this.get(args.run);
    if (!run.spec.embedder) throw new ConfigurationError("Python asked for embeddings but the run has no embedder");
    const vectors = await run.spec.embedder.embed(args.texts);
    return vectors.map((v) => Array.from(v));
  }

  private progress(args: OptimizeProgress & { run: string }): null {
    const run = this.runs.get(args.run);
    const { run: _id, ...event } = args;
    try {
      run?.spec.onProgress?.(event);
    } catch {
      // A progress listener's failure must not fail the optimization.
    }
    return null;
  }
}

/** A structural copy of a class with `#private` fields fails inside its methods; say why and what to do. */
function privateFieldHint(copy: Module, error: unknown): unknown {
  if (!(error instanceof TypeError) || !/private member/.test(error.message)) return error;
  const name = copy.constructor.name;
  return new ConfigurationError(`A copy of ${name} cannot reach its #private fields: ${error.message}`, {
    cause: error,
    fix: `give ${name} a clone() method returning a new instance, keep such members under symbol keys, or pass { factory: () => new ${name}(...) }`,
  });
}

/** What goes back to Python: numbers and booleans as they are, `{score, feedback}` for GEPA. */
function metricValue(value: unknown): unknown {
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "object" && value !== null && "score" in value) {
    const { score, feedback } = value as { score: unknown; feedback?: unknown };
    const numeric = typeof score === "boolean" ? Number(score) : Number(score);
    return feedback === undefined ? numeric : { score: numeric, feedback: String(feedback) };
  }
  throw new ConfigurationError(`A metric returned ${typeof value}; expected a number, a boolean or { score }`);
}

const hosts = new WeakMap<PythonPool, OptimizeHost>();

/** The pool's host, created (and its callbacks registered) on first use. */
export function hostFor(pool: PythonPool): OptimizeHost {
  let host = hosts.get(pool);
  if (!host) {
    host = new OptimizeHost(pool);
    hosts.set(pool, host);
  }
  return host;
}
