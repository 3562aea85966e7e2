/**
 * The worker's end of the queue (`dspex worker`): takes program jobs from BullMQ, runs them with
 * this machine's LM configuration and writes the results back.
 *
 * A worker keeps nothing a job cannot rebuild: program files are loaded once and copies with a
 * job's state are kept as a cache only. A worker that dies mid-job loses its lock; BullMQ's
 * stalled-job check (run by the other workers) puts the job back in the queue.
 */
import type { Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { ConfigurationError } from "../errors.js";
import { toScore } from "../evaluate/evaluate.js";
import type { Metric, ProgramFileRef } from "../evaluate/types.js";
import type { LM } from "../lm/types.js";
import type { Fields } from "../modules/example.js";
import type { Module } from "../modules/module.js";
import { Predict, type PredictConfig } from "../modules/predict.js";
import { withConfig } from "../runtime/overrides.js";
import { context, type Settings, type TraceEntry } from "../runtime/settings.js";
import { applyState, cloneProgram } from "../optimize/clone.js";
import { loadBullMQ, loadIORedis } from "./bullmq.js";
import { RateLimitedLM, SharedRateLimit } from "./rate-limit.js";
import { CallLog } from "../lm/call-log.js";
import {
  type EvaluateJob,
  type EvaluateResult,
  failureOf,
  type JobResult,
  type ProgramJob,
  keyOf,
  type TraceJob,
  type TraceResult,
  toExample,
} from "./job.js";
import { cancelChannel, DEFAULT_PREFIX, DEFAULT_QUEUE_NAME, workerName } from "./queue.js";

/** What a worker needs from a program file (the CLI's loader gives this). */
export interface LoadedProgramFile {
  program: Module;
  metric?: Metric | undefined;
  lm?: LM | undefined;
}

export interface ProgramWorkerOptions {
  url: string;
  /** Queue name (`--queue`), default "dspex". */
  queue?: string;
  prefix?: string;
  /** Jobs run at once in this process (`--concurrency`), default 8. */
  concurrency?: number;
  /**
   * How long a job's lock lasts without renewal. A worker that dies holds its jobs this long
   * (plus up to `stalledIntervalMs`) before another worker takes them. Default 10,000 ms.
   */
  lockMs?: number;
  /** How often workers look for stalled jobs. Default half of `lockMs`. */
  stalledIntervalMs?: number;
  /** How many times a job may stall (its worker died) before it fails. Default 5. */
  maxStalled?: number;
  /** Loads a program file (the CLI passes its loader). */
  load: (file: ProgramFileRef) => Promise<LoadedProgramFile>;
  /** Settings every job runs under (the shared cache, say). */
  settings?: Settings;
  /**
   * Budgets shared with every worker on this Redis (per provider): the program's LM is wrapped
   * so that its calls wait for them, and a 429 on any machine makes all of them back off.
   */
  rateLimit?: { rpm?: number; tpm?: number };
  /** Where the worker reports failed jobs and its state. Default: stderr. */
  log?: (line: string) => void;
}

export interface ProgramWorker {
  readonly name: string;
  /** Jobs finished by this worker. */
  readonly processed: number;
  /** Resolves once the worker is connected and taking jobs. */
  ready(): Promise<void>;
  /** Stops taking jobs, waits for the running ones, disconnects. */
  close(): Promise<void>;
}

const COPIES_KEPT = 16;

export async function startWorker(options: ProgramWorkerOptions): Promise<ProgramWorker> {
  const [{ Worker, UnrecoverableError }, { Redis }] = await Promise.all([loadBullMQ(), loadIORedis()]);
  const name = options.queue ?? DEFAULT_QUEUE_NAME;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigurationError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const lockMs = options.lockMs ?? 10_000;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const programs = new ProgramCache(options.load);
  const budgets = new Map<string, SharedRateLimit>();
  const limitedLMs = new WeakMap<LM, LM>();
  const limited = (lm: LM): LM => {
    const rate = options.rateLimit;
    if (!rate) return lm;
    let wrapped = limitedLMs.get(lm);
    if (!wrapped) {
      let budget = budgets.get(lm.provider);
      if (!budget) {
        budget = new SharedRateLimit({ url: options.url, key: lm.provider, ...rate });
        budgets.set(lm.provider, budget);
      }
      wrapped = new RateLimitedLM(lm, budget);
      limitedLMs.set(lm, wrapped);
    }
    return wrapped;
  };
  const me = workerName();
  let processed = 0;

  const processor = async (job: Job, _token?: string, signal?: AbortSignal): Promise<JobResult> => {
    const data = job.data as ProgramJob;
    let copy: Module;
    let loaded: LoadedProgramFile;
    try {
      loaded = await programs.load(data.program);
      copy = programs.copy(data.program, loaded.program, data);
    } catch (error) {
      // Loading is retried (attempts): another worker may have the file.
      log(`dspex worker: job ${job.id}: cannot load ${data.program.path}: ${(error as Error).message}`);
      throw error;
    }
    // Each job's LM calls go back with its result: the coordinator counts them as its own.
    const calls = new CallLog();
    const settings: Settings = {
      ...options.settings,
      ...(loaded.lm ? { lm: limited(loaded.lm) } : {}),
      usage: calls,
    };
    if (signal) settings.signal = signal;
    const result =
      data.kind === "evaluate"
        ? await runEvaluate(data, copy, loaded, settings, me)
        : await runTrace(data, copy, settings, me);
    if (signal?.aborted) throw new UnrecoverableError("cancelled by the coordinator");
    options.settings?.usage?.merge(calls);
    if (calls.calls.length > 0) result.calls = calls.calls;
    processed++;
    return result;
  };

  const connection = { url: options.url, maxRetriesPerRequest: null };
  const worker: Worker = new Worker(name, processor, {
    connection,
    prefix,
    concurrency,
    // Recorded on each job it takes (processedBy), for monitoring and the fault tests.
    name: me,
    lockDuration: lockMs,
    stalledInterval: options.stalledIntervalMs ?? Math.max(500, Math.floor(lockMs / 2)),
    maxStalledCount: options.maxStalled ?? 5,
    autorun: false,
  });
  worker.on("error", (error) => log(`dspex worker: ${error.message}`));
  worker.on("failed", (job, error) => {
    if (job) log(`dspex worker: job ${job.id} failed (attempt ${job.attemptsMade}): ${error.message}`);
  });

  // Coordinators publish the ids of jobs to stop (a cancelled evaluation).
  const subscriber: Redis = new Redis(options.url, { maxRetriesPerRequest: null });
  subscriber.on("error", () => undefined);
  subscriber.on("message", (_channel: string, message: string) => {
    try {
      for (const id of JSON.parse(message) as string[]) worker.cancelJob(id, "cancelled by the coordinator");
    } catch {
      // Not ours to parse: ignore.
    }
  });
  await subscriber.subscribe(cancelChannel(prefix, name));
  await worker.waitUntilReady();
  void worker.run().catch((error: unknown) => log(`dspex worker stopped: ${(error as Error).message}`));

  let closing: Promise<void> | undefined;
  return {
    name: me,
    get processed() {
      return processed;
    },
    ready: () => worker.waitUntilReady().then(() => undefined),
    close: () => {
      closing ??= (async () => {
        await worker.close();
        subscriber.disconnect();
        await Promise.all([...budgets.values()].map((b) => b.close()));
      })();
      return closing;
    },
  };
}

async function runEvaluate(
  job: EvaluateJob,
  program: Module,
  loaded: LoadedProgramFile,
  settings: Settings,
  worker: string,
): Promise<EvaluateResult> {
  const example = toExample(job.example);
  return context(settings, async () => {
    let prediction: Awaited<ReturnType<Module["call"]>>;
    try {
      prediction = await program.call(example.inputs().toDict());
    } catch (error) {
      return { error: failureOf(error), worker };
    }
    const result: EvaluateResult = { prediction: prediction.toDict(), worker };
    if (prediction.lmUsage) result.lmUsage = prediction.lmUsage;
    if (prediction.completions.length > 1) result.completions = prediction.completions.map((c) => ({ ...c }));
    if (!job.score) return result;
    try {
      if (!loaded.metric) {
        throw new ConfigurationError(`${job.program.path} exports no metric`, {
          fix: "export `metric` from the program file, or score on the coordinator (scoreOn: 'coordinator')",
        });
      }
      const [score, metricOutput] = toScore(await loaded.metric(example, prediction, undefined));
      result.score = score;
      if (metricOutput) result.metricOutput = metricOutput.toDict();
    } catch (error) {
      return { error: failureOf(error), worker };
    }
    return result;
  });
}

/** An optimizer's program run: the prediction plus `(predictor, inputs, outputs)` per predictor call. */
async function runTrace(job: TraceJob, program: Module, settings: Settings, worker: string): Promise<TraceResult> {
  const trace: TraceEntry[] = [];
  const overrides = withConfig(settings.overrides, job.config as PredictConfig | undefined);
  try {
    const prediction = await context({ ...settings, overrides, trace }, () => program.call(job.inputs));
    const names = new Map(program.namedPredictors().map(([name, p]) => [p as unknown, name]));
    const steps: [string, Fields, Fields][] = [];
    for (const entry of trace) {
      const name = names.get(entry.predictor);
      if (name !== undefined && entry.predictor instanceof Predict) {
        steps.push([name, { ...entry.inputs }, entry.prediction.toDict()]);
      }
    }
    const result: TraceResult = { prediction: prediction.toDict(), trace: steps, worker };
    if (prediction.lmUsage) result.lmUsage = prediction.lmUsage;
    return result;
  } catch (error) {
    return { error: failureOf(error), worker };
  }
}

/** Program files loaded once per worker, and copies of them with the states jobs carry. */
class ProgramCache {
  private readonly files = new Map<string, Promise<LoadedProgramFile>>();
  private readonly copies = new Map<string, Module>();
  constructor(private readonly loader: (file: ProgramFileRef) => Promise<LoadedProgramFile>) {}

  load(file: ProgramFileRef): Promise<LoadedProgramFile> {
    const key = `${file.path}#${file.export ?? ""}`;
    let loaded = this.files.get(key);
    if (!loaded) {
      loaded = this.loader(file);
      this.files.set(key, loaded);
      loaded.catch(() => this.files.delete(key));
    }
    return loaded;
  }

  /** A copy with `state` loaded; jobs with the same state share it (a program run keeps no state). */
  copy(file: ProgramFileRef, base: Module, job: ProgramJob): Module {
    const key = `${file.path}#${file.export ?? ""}\u0000${keyOf(job)}`;
    let copy = this.copies.get(key);
    if (copy) {
      this.copies.delete(key);
      this.copies.set(key, copy);
      return copy;
    }
    copy = cloneProgram(base);
    applyState(copy, job.state);
    this.copies.set(key, copy);
    if (this.copies.size > COPIES_KEPT) this.copies.delete(this.copies.keys().next().value as string);
    return copy;
  }
}
