/**
 * One optimizer run: register it with the pool's host, call `optimize.run` in Python, load
 * the optimized state into a copy of the program and build the report.
 */
import { randomUUID } from "node:crypto";
import type { PythonPool } from "../bridge/pool.js";
import type { Session } from "../bridge/session.js";
import { ConfigurationError } from "../errors.js";
import type { Metric, ProgramFileRef } from "../evaluate/types.js";
import type { LM } from "../lm/types.js";
import { UsageTracker } from "../lm/usage.js";
import type { Module, ProgramState } from "../modules/module.js";
import { fire } from "../runtime/callbacks.js";
import { observe } from "../runtime/observe.js";
import { bridgeSpan } from "../runtime/telemetry.js";
import { currentSettings, type Settings } from "../runtime/settings.js";
import { pythonOperation } from "../bridge/capabilities.js";
import { sharedPoolFor } from "../bridge/shared-pools.js";
import { applyState, cloneProgram } from "./clone.js";
import { hostFor, type RunSpec, type TextEmbedder } from "./host.js";
import { type ExampleRecord, exampleRecords, programStructure, warnMissingLabels } from "./structure.js";
import type {
  FeedbackMetric,
  OptimizeMetric,
  OptimizeOptions,
  OptimizeReport,
  OptimizeResult,
  OptimizeScores,
  Trainset,
} from "./types.js";

/** A reference to something that exists only in the worker (see python/dspex_worker/optimize/tools.py). */
export type PyRef =
  | { $: "metric" | "trainset" | "valset" | "teacher" | "embedder" | "majority" }
  | { $: "lm"; role: string };

export const ref = {
  metric: { $: "metric" } as PyRef,
  trainset: { $: "trainset" } as PyRef,
  valset: { $: "valset" } as PyRef,
  teacher: { $: "teacher" } as PyRef,
  embedder: { $: "embedder" } as PyRef,
  majority: { $: "majority" } as PyRef,
  lm: (role: string): PyRef => ({ $: "lm", role }),
};

export interface RunRequest {
  /** DSPy's class name. */
  optimizer: string;
  /** Constructor keyword arguments (snake_case, DSPy's names). */
  init: Record<string, unknown>;
  /** compile() keyword arguments besides student and trainset. */
  compile?: Record<string, unknown>;
  trainset?: Trainset;
  valset?: Trainset;
  metric?: OptimizeMetric | FeedbackMetric;
  /** role -> LM; a missing task LM falls back to the current settings' LM. */
  lms?: Record<string, LM | undefined>;
  teacher?: Module;
  /** Several programs (Ensemble); otherwise the one being optimized. */
  programs?: Module[];
  embedder?: TextEmbedder;
  /** Keep the compiled program in a session of the worker (KNNFewShot, Ensemble). */
  keep?: boolean;
  /** False for optimizers that make no LM calls (LabeledFewShot, Ensemble): no LM is required. */
  needsLM?: boolean;
}

interface RawResult {
  state: ProgramState | null;
  scores: OptimizeScores;
  trials: number;
  evaluations: number;
  lmCalls: Record<string, number>;
  programCalls: number;
  metricCalls: number;
  handle: string | null;
}

export interface RunOutcome<P extends Module> extends OptimizeResult<P> {
  /** For kept programs: where they live and what their forward calls need. */
  kept?: { pool: PythonPool; session: Session; handle: string; spec: RunSpec };
}

/**
 * The pool to run in: the caller's, else the shared pool the capability table names for the
 * optimizer (DSPy's class name, e.g. "MIPROv2"); the "bootstrapFewShot" entry's for an unlisted one.
 */
export async function optimizerPool(options: { pool?: PythonPool }, optimizer?: string): Promise<PythonPool> {
  return options.pool ?? sharedPoolFor((optimizer && pythonOperation(`dspy.${optimizer}`)) || "bootstrapFewShot");
}

export function taskLM(options: { lm?: LM | undefined }): LM {
  const lm = options.lm ?? currentSettings().lm;
  if (!lm) {
    throw new ConfigurationError("No LM to run the program with", {
      fix: "pass { lm } to the optimizer or configure({ lm }) first",
    });
  }
  return lm;
}

function remoteFile(file: OptimizeOptions["programFile"]): ProgramFileRef {
  if (typeof file === "string" && file.length > 0) return { path: file };
  if (typeof file === "object" && file !== null && typeof file.path === "string") return file;
  throw new ConfigurationError("An optimizer with a queue needs the program's file, which the workers load", {
    fix: 'pass { queue, programFile: "./program.ts" }',
  });
}

/** The examples as records, with a warning for those lacking a label when a metric will score them. */
function checkedRecords(
  program: Module,
  request: RunRequest,
  data: Trainset,
  options: OptimizeOptions,
  what = "trainset",
): ExampleRecord[] {
  const records = exampleRecords(data, options.inputKeys, what);
  if (request.metric !== undefined) warnMissingLabels(program, records, what);
  return records;
}

/** One optimizer run, between onCompileStart and onCompileEnd. */
export function runOptimizer<P extends Module>(
  program: P,
  request: RunRequest,
  options: OptimizeOptions,
): Promise<RunOutcome<P>> {
  const inputs = { optimizer: request.optimizer, trainset: request.trainset, valset: request.valset };
  return observe(currentSettings(), "compile", { instance: program, name: request.optimizer, inputs }, () =>
    run(program, request, options),
  );
}

async function run<P extends Module>(
  program: P,
  request: RunRequest,
  options: OptimizeOptions,
): Promise<RunOutcome<P>> {
  const started = Date.now();
  const given = request.lms?.task ?? options.lm ?? currentSettings().lm;
  const lms: Record<string, LM> = {};
  if (request.needsLM === false) {
    if (given) lms.task = given;
  } else lms.task = taskLM({ lm: given });
  for (const [role, value] of Object.entries(request.lms ?? {})) if (value) lms[role] = value;
  const metric = request.metric;
  const programs = request.programs ?? [program];
  // Everything is checked and encoded before the pool is touched.
  const args: Record<string, unknown> = {
    optimizer: request.optimizer,
    init: request.init,
    compile: request.compile ?? {},
    lms: Object.keys(lms),
    metric:
      metric === undefined
        ? null
        : typeof metric === "string"
          ? { builtin: metric }
          : { name: metric.name || "metric" },
    ...(request.programs ? { programs: programs.map(programStructure) } : { program: programStructure(program) }),
    ...(request.teacher ? { teacher: programStructure(request.teacher) } : {}),
    ...(request.trainset ? { trainset: checkedRecords(program, request, request.trainset, options) } : {}),
    ...(request.valset ? { valset: checkedRecords(program, request, request.valset, options, "valset") } : {}),
    ...(options.evalset
      ? {
          evaluate: {
            devset: exampleRecords(options.evalset, options.inputKeys, "evalset"),
            numThreads: options.numThreads ?? null,
          },
        }
      : {}),
    keep: request.keep === true,
  };
  const pool = await optimizerPool(options, request.optimizer);
  const host = hostFor(pool);
  await host.checkTools();
  const settings = currentSettings();
  const spec: RunSpec = {
    programs,
    ...(request.teacher ? { teacher: request.teacher } : {}),
    ...(options.factory ? { factory: options.factory } : {}),
    lms,
    ...(typeof metric === "function" ? { metric: metric as Metric | FeedbackMetric } : {}),
    ...(request.embedder ? { embedder: request.embedder } : {}),
    settings,
    usage: new UsageTracker(),
    served: {},
    ...progressListener(settings, request.optimizer, options.onProgress),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.queue ? { remote: { queue: options.queue, programFile: remoteFile(options.programFile) } } : {}),
  };
  const id = randomUUID();
  const session = request.keep ? pool.session() : undefined;
  host.begin(id, spec);
  let raw: RawResult;
  try {
    const callOptions = {
      timeoutMs: options.timeoutMs ?? 0,
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const payload = { ...args, run: id };
    raw = await bridgeSpan(settings.span, pool.name, "optimize.run", () =>
      session
        ? session.call<RawResult>("optimize.run", payload, callOptions)
        : pool.call<RawResult>("optimize.run", payload, callOptions),
    );
  } catch (error) {
    session?.close();
    throw error;
  } finally {
    host.end(id);
  }
  settings.usage?.merge(spec.usage);
  const state = raw.state ?? {};
  const optimized = request.programs ? program : cloneProgram(program, options.factory);
  if (!request.programs && raw.state) applyState(optimized, raw.state);
  const usage = spec.usage.snapshot();
  const report: OptimizeReport = {
    optimizer: request.optimizer,
    scores: raw.scores,
    trials: raw.trials,
    evaluations: raw.evaluations,
    lmCalls: usage.total.calls,
    tokens: {
      prompt: usage.total.promptTokens,
      completion: usage.total.completionTokens,
      total: usage.total.totalTokens,
    },
    usage,
    pythonLmCalls: raw.lmCalls,
    pythonLmCallsServed: { ...spec.served },
    programCalls: raw.programCalls,
    metricCalls: raw.metricCalls,
    elapsedMs: Date.now() - started,
    state,
  };
  const outcome: RunOutcome<P> = { program: optimized, report };
  if (session && raw.handle) outcome.kept = { pool, session, handle: raw.handle, spec };
  return outcome;
}

/** The run's progress goes to the caller's listener and, as onCompileProgress, to the callbacks. */
function progressListener(
  settings: Settings,
  name: string,
  listener: OptimizeOptions["onProgress"],
): { onProgress?: NonNullable<OptimizeOptions["onProgress"]> } {
  const callbacks = settings.callbacks ?? [];
  const callId = settings.observedCallId;
  if (callbacks.length === 0 || callId === undefined) return listener ? { onProgress: listener } : {};
  return {
    onProgress: (progress) => {
      fire(callbacks, "onCompileProgress", { callId, name, progress });
      listener?.(progress);
    },
  };
}
