/**
 * The coordinator's end of the queue: `redisQueue({ url })` sends program jobs to BullMQ on
 * Redis and gathers their results, for Evaluate (`queue` option) and for optimizer program runs.
 *
 * Results arrive as QueueEvents; a sweep that reads the jobs themselves backs the events up
 * whenever they go quiet (a reconnect after Redis was away, events written before the listener
 * started), and resubmits a job that Redis no longer has. Job ids are content hashes, so a job
 * sent twice runs once and a result is never counted twice.
 */
import { hostname } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { ConfigurationError, DSPexError } from "../errors.js";
import type { EvaluationQueue, EvaluationRow, ProgramFileRef, RemoteEvaluation } from "../evaluate/types.js";
import { recordRemoteCalls } from "../lm/call-log.js";
import { Module } from "../modules/module.js";
import { Prediction } from "../modules/prediction.js";
import { currentSettings } from "../runtime/settings.js";
import { loadBullMQ, loadIORedis } from "./bullmq.js";
import {
  type EvaluateJob,
  type EvaluateResult,
  exampleRecord,
  type JobResult,
  jobId,
  type ProgramJob,
  stateHash,
  type TraceJob,
  type TraceResult,
} from "./job.js";

export interface RedisQueueOptions {
  /** Redis URL, e.g. "redis://10.0.0.5:6379". The workers (`dspex worker --redis URL`) use the same one. */
  url: string;
  /** Queue name; workers take jobs from the queue of the same name (`--queue`). Default "dspex". */
  name?: string;
  /** BullMQ key prefix in Redis. Default "dspex". */
  prefix?: string;
  /**
   * Tries per job when a worker fails it outright (cannot load the program, say). A worker that
   * dies mid-job is a stall, not a failure: the job goes back to the queue regardless. Default 3.
   */
  attempts?: number;
  /**
   * How long Redis keeps a finished job's result. Jobs are keyed by program, state and example,
   * so within this window the same job submitted again returns the stored result at once (as the
   * LM cache would). Default one hour.
   */
  keepResultsMs?: number;
  /** How long results may be quiet before the coordinator reads the jobs directly. Default 2000 ms. */
  sweepMs?: number;
  /**
   * Where examples are scored. "auto" (default): on the workers when Evaluate's metric is the
   * program file's exported `metric` (the workers run their copy), else here.
   */
  scoreOn?: "auto" | "worker" | "coordinator";
}

/** A job that failed on the workers after its attempts (not an example whose program threw). */
export class RemoteJobError extends DSPexError {}

/** An example's program or metric threw on a worker; `name` and `message` are the original error's. */
export class RemoteProgramError extends DSPexError {
  readonly remoteName: string;
  readonly remoteStack: string | undefined;
  constructor(message: string, remoteName: string, remoteStack: string | undefined, worker: string) {
    super(message, { context: { worker } });
    this.remoteName = remoteName;
    this.remoteStack = remoteStack;
  }
}

export const DEFAULT_QUEUE_NAME = "dspex";
export const DEFAULT_PREFIX = "dspex";

/** The pub/sub channel on which coordinators tell workers to stop jobs (cancelled runs). */
export function cancelChannel(prefix: string, name: string): string {
  return `${prefix}:${name}:dspex-cancel`;
}

type Outcome = { ok: JobResult } | { failed: string };

interface Waiter {
  job: ProgramJob;
  submittedAt: number;
  listeners: ((outcome: Outcome) => void)[];
}

interface Connection {
  queue: Queue;
  events: QueueEvents;
  redis: Redis;
}

const SUBMIT_CHUNK = 500;

export class RedisQueue implements EvaluationQueue {
  readonly url: string;
  readonly name: string;
  readonly prefix: string;
  private readonly attempts: number;
  private readonly keepResultsMs: number;
  private readonly sweepMs: number;
  private readonly scoreOn: "auto" | "worker" | "coordinator";
  private connection: Promise<Connection> | undefined;
  private readonly waiters = new Map<string, Waiter>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private lastNews = Date.now();
  private closed = false;

  constructor(options: RedisQueueOptions) {
    if (typeof options?.url !== "string" || options.url.length === 0) {
      throw new ConfigurationError("redisQueue needs the Redis URL", {
        fix: 'redisQueue({ url: "redis://host:6379" })',
      });
    }
    this.url = options.url;
    this.name = options.name ?? DEFAULT_QUEUE_NAME;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    if (this.name.includes(":")) {
      throw new ConfigurationError(`queue name "${this.name}" contains ":"`, { fix: "use letters, digits, - and _" });
    }
    this.attempts = positive("attempts", options.attempts ?? 3);
    this.keepResultsMs = positive("keepResultsMs", options.keepResultsMs ?? 3_600_000);
    this.sweepMs = positive("sweepMs", options.sweepMs ?? 2000);
    this.scoreOn = options.scoreOn ?? "auto";
  }

  /** Runs an evaluation's examples on the workers (Evaluate calls this when given `queue`). */
  async evaluate(evaluation: RemoteEvaluation): Promise<void> {
    const state = stateOf(evaluation.program);
    const stateKey = stateHash(state);
    const score = await this.scoresOnWorker(evaluation);
    const ids: string[] = [];
    const jobs = new Map<string, EvaluateJob>();
    const indices = new Map<string, number[]>();
    evaluation.devset.forEach((example, index) => {
      const job: EvaluateJob = {
        kind: "evaluate",
        program: evaluation.programFile,
        state,
        stateKey,
        example: exampleRecord(example),
        score,
      };
      const id = jobId(job);
      ids.push(id);
      jobs.set(id, job);
      const list = indices.get(id);
      if (list) list.push(index);
      else indices.set(id, [index]);
    });

    // The workers' LM calls count where a local run's would: in the caller's usage tracker.
    const usage = currentSettings().usage;
    const rowsFor = async (id: string, outcome: Outcome): Promise<void> => {
      for (const [k, index] of (indices.get(id) ?? []).entries()) {
        // A duplicate example runs once: its other rows count the calls as cache hits.
        if ("ok" in outcome && !evaluation.signal.aborted) {
          recordRemoteCalls(usage, (k === 0 ? outcome.ok : stored(outcome.ok)).calls);
        }
        evaluation.onRow(await this.row(evaluation, index, id, outcome));
      }
    };
    await this.runJobs(jobs, evaluation.signal, rowsFor);
  }

  /** Runs one program run for an optimizer on a worker: the prediction and its trace come back. */
  async trace(job: Omit<TraceJob, "kind">, signal?: AbortSignal): Promise<TraceResult> {
    const full: TraceJob = { kind: "trace", ...job, stateKey: stateHash(job.state) };
    const id = jobId(full);
    let result: Outcome | undefined;
    await this.runJobs(new Map([[id, full]]), signal, async (_id, outcome) => {
      result = outcome;
    });
    if (result === undefined) throw new RemoteJobError("The program run was cancelled");
    if ("failed" in result) throw jobFailure(id, result.failed);
    return result.ok as TraceResult;
  }

  /** Closes this coordinator's Redis connections; jobs in Redis stay for the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const connection = await this.connection?.catch(() => undefined);
    if (!connection) return;
    await Promise.allSettled([connection.events.close(), connection.queue.close()]);
    connection.redis.disconnect();
  }

  /** Counts of the queue's jobs by state, for monitoring and tests. */
  async counts(): Promise<Record<string, number>> {
    const { queue } = await this.open();
    return queue.getJobCounts("waiting", "active", "completed", "failed", "delayed");
  }

  private async runJobs(
    jobs: Map<string, ProgramJob>,
    signal: AbortSignal | undefined,
    onOutcome: (id: string, outcome: Outcome) => Promise<void>,
  ): Promise<void> {
    const connection = await this.open();
    signal?.throwIfAborted();
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolveStop) => {
      stop = resolveStop;
    });
    const onAbort = (): void => stop();
    signal?.addEventListener("abort", onAbort, { once: true });
    const outstanding = new Set(jobs.keys());
    const listeners = new Map<string, (outcome: Outcome) => void>();
    const settled: Promise<void>[] = [];
    try {
      // Listening first: a result can never arrive before its waiter exists.
      for (const [id, job] of jobs) {
        settled.push(
          new Promise<void>((resolveJob, rejectJob) => {
            const listener = (outcome: Outcome): void => {
              outstanding.delete(id);
              if (signal?.aborted) resolveJob();
              else onOutcome(id, outcome).then(resolveJob, rejectJob);
            };
            listeners.set(id, listener);
            this.listen(id, job, listener);
          }),
        );
      }
      await Promise.race([this.submit(connection, jobs), stopped]);
      await Promise.race([Promise.all(settled), stopped]);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      if (signal?.aborted && outstanding.size > 0) await this.cancel(connection, [...outstanding]);
      for (const id of outstanding) this.forget(id, listeners.get(id));
    }
  }

  private listen(id: string, job: ProgramJob, listener: (outcome: Outcome) => void): void {
    const waiter = this.waiters.get(id);
    if (waiter) waiter.listeners.push(listener);
    else this.waiters.set(id, { job, submittedAt: Date.now(), listeners: [listener] });
  }

  /** Drops one listener; the job's waiter goes when no run waits for it any more. */
  private forget(id: string, listener: ((outcome: Outcome) => void) | undefined): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    waiter.listeners = waiter.listeners.filter((l) => l !== listener);
    if (waiter.listeners.length === 0) this.waiters.delete(id);
  }

  private settle(id: string, outcome: Outcome): void {
    this.lastNews = Date.now();
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    this.waiters.delete(id);
    // Runs that waited for the same job share one execution: only the first counts its LM calls.
    for (const [i, listener] of waiter.listeners.entries()) {
      listener(i === 0 || !("ok" in outcome) ? outcome : { ok: stored(outcome.ok) });
    }
  }

  private async submit(connection: Connection, jobs: Map<string, ProgramJob>): Promise<void> {
    const entries = [...jobs];
    for (let i = 0; i < entries.length; i += SUBMIT_CHUNK) {
      const chunk = entries.slice(i, i + SUBMIT_CHUNK);
      await connection.queue.addBulk(
        chunk.map(([id, data]) => ({
          name: data.kind,
          data,
          opts: {
            jobId: id,
            attempts: this.attempts,
            backoff: { type: "exponential", delay: 500 },
            removeOnComplete: { age: Math.ceil(this.keepResultsMs / 1000) },
            removeOnFail: { age: Math.ceil(this.keepResultsMs / 1000) },
          },
        })),
      );
      this.lastNews = Date.now();
    }
  }

  /** Waiting jobs are removed; active ones are told to stop (workers listen on the cancel channel). */
  private async cancel(connection: Connection, ids: string[]): Promise<void> {
    try {
      await Promise.all(ids.map((id) => connection.queue.remove(id).catch(() => 0)));
      await connection.redis.publish(cancelChannel(this.prefix, this.name), JSON.stringify(ids));
    } catch {
      // Best effort: a job that runs anyway only costs its work; its result is dropped.
    }
  }

  private open(): Promise<Connection> {
    if (this.closed) return Promise.reject(new ConfigurationError("This redisQueue is closed"));
    this.connection ??= this.connect().catch((error: unknown) => {
      this.connection = undefined;
      throw error;
    });
    return this.connection;
  }

  private async connect(): Promise<Connection> {
    const [{ Queue, QueueEvents }, { Redis }] = await Promise.all([loadBullMQ(), loadIORedis()]);
    // Commands wait through a reconnect rather than fail: a Redis restart must lose nothing.
    const connection = { url: this.url, maxRetriesPerRequest: null };
    const redis = new Redis(this.url, { maxRetriesPerRequest: null });
    redis.on("error", () => undefined);
    const queue = new Queue(this.name, { connection, prefix: this.prefix, streams: { events: { maxLen: 100_000 } } });
    queue.on("error", () => undefined);
    await queue.waitUntilReady();
    // Events from here on: older ones belong to earlier runs (a stale "failed" must not count).
    const last = (await redis.xrevrange(queue.keys.events!, "+", "-", "COUNT", 1))[0]?.[0] ?? "0-0";
    const events = new QueueEvents(this.name, { connection, prefix: this.prefix, lastEventId: last });
    events.on("error", () => undefined);
    events.on("completed", ({ jobId: id, returnvalue }) => this.settle(id, { ok: parseResult(returnvalue) }));
    events.on("failed", ({ jobId: id, failedReason }) => this.settle(id, { failed: failedReason }));
    // The job was there already (sent before, by this run or another): it may hold its result.
    events.on("duplicated", ({ jobId: id }) => void this.check(queue, id).catch(() => undefined));
    await events.waitUntilReady();
    this.sweepTimer = setInterval(() => void this.sweep(queue), Math.max(50, Math.floor(this.sweepMs / 2)));
    this.sweepTimer.unref();
    return { queue, events, redis };
  }

  /** Reads outstanding jobs directly once results have been quiet for `sweepMs`. */
  private async sweep(queue: Queue): Promise<void> {
    if (this.sweeping || this.waiters.size === 0 || Date.now() - this.lastNews < this.sweepMs) return;
    this.sweeping = true;
    try {
      const ids = [...this.waiters.keys()];
      for (let i = 0; i < ids.length; i += 200) {
        await Promise.all(ids.slice(i, i + 200).map((id) => this.check(queue, id)));
      }
    } catch {
      // Redis away: the next sweep tries again.
    } finally {
      this.sweeping = false;
      this.lastNews = Date.now();
    }
  }

  private async check(queue: Queue, id: string): Promise<void> {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    const job = await queue.getJob(id);
    if (!job) {
      // Redis lost it (a restart without persistence) or it expired: send it again.
      await this.submit({ queue } as Connection, new Map([[id, waiter.job]]));
      return;
    }
    if (job.finishedOn === undefined || job.finishedOn === null) return;
    if (job.failedReason && job.returnvalue == null) {
      // A failure from before this submission (an earlier run) is retried, not reported.
      if (job.finishedOn < waiter.submittedAt) await job.retry("failed").catch(() => undefined);
      else this.settle(id, { failed: job.failedReason });
      return;
    }
    const result = parseResult(job.returnvalue);
    // A result stored before this submission: its LM calls are not made again (a cache hit).
    this.settle(id, { ok: job.finishedOn < waiter.submittedAt ? stored(result) : result });
  }

  private async scoresOnWorker(evaluation: RemoteEvaluation): Promise<boolean> {
    if (this.scoreOn !== "auto") return this.scoreOn === "worker";
    const exported = await exportedMetric(evaluation.programFile);
    return exported !== undefined && exported === evaluation.metric;
  }

  private async row(evaluation: RemoteEvaluation, index: number, id: string, outcome: Outcome): Promise<EvaluationRow> {
    const example = evaluation.devset[index]!;
    if ("failed" in outcome) return failedRow(evaluation, index, jobFailure(id, outcome.failed));
    const result = outcome.ok as EvaluateResult;
    if (result.error) {
      const { message, name, stack } = result.error;
      return {
        index,
        example,
        prediction: new Prediction(),
        score: evaluation.failureScore,
        error: { message, cause: new RemoteProgramError(message, name, stack, result.worker) },
      };
    }
    const prediction = new Prediction(result.prediction ?? {}, result.completions);
    if (result.lmUsage) prediction.lmUsage = result.lmUsage;
    if (result.score === undefined) return evaluation.score(index, prediction);
    const row: EvaluationRow = { index, example, prediction, score: result.score };
    if (result.metricOutput) row.metricOutput = new Prediction(result.metricOutput);
    return row;
  }
}

/** A queue of program jobs on Redis (BullMQ), for `new Evaluate({ ..., queue: redisQueue({ url }) })`. */
export function redisQueue(options: RedisQueueOptions): RedisQueue {
  return new RedisQueue(options);
}

function failedRow(evaluation: RemoteEvaluation, index: number, error: Error): EvaluationRow {
  return {
    index,
    example: evaluation.devset[index]!,
    prediction: new Prediction(),
    score: evaluation.failureScore,
    error: { message: `${error.name}: ${error.message}`, cause: error },
  };
}

function jobFailure(id: string, reason: string): RemoteJobError {
  return new RemoteJobError(`job ${id} failed on the workers: ${reason}`, {
    context: { jobId: id },
    fix: "see the worker's log (dspex worker prints each failed job); a program file must load on every worker",
  });
}

function parseResult(value: unknown): JobResult {
  const parsed = typeof value === "string" ? (JSON.parse(value) as unknown) : value;
  if (typeof parsed !== "object" || parsed === null) {
    return {
      worker: "unknown",
      error: { name: "RemoteJobError", message: "RemoteJobError: the job returned no result" },
    };
  }
  return parsed as JobResult;
}

/** A stored result reused: its LM calls count as cache hits (calls, no tokens), as the LM cache's would. */
function stored(result: JobResult): JobResult {
  return result.calls ? { ...result, calls: result.calls.map((call) => ({ ...call, cached: true })) } : result;
}

function stateOf(program: unknown): Record<string, unknown> {
  if (program instanceof Module) return program.dumpState();
  throw new ConfigurationError("Evaluate with a queue needs a Module (its saved state travels with each job)", {
    fix: "pass the program Module itself, not a function wrapping it",
  });
}

/** The program file's own metric, as loaded in this process; undefined when it cannot be loaded here. */
async function exportedMetric(file: ProgramFileRef): Promise<unknown> {
  try {
    const mod = (await import(pathToFileURL(resolve(file.path)).href)) as Record<string, unknown>;
    return typeof mod.metric === "function" ? mod.metric : undefined;
  } catch {
    return undefined;
  }
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new ConfigurationError(`${name} must be a positive number, got ${value}`);
  }
  return value;
}

/** host:pid, to tell workers apart in results and logs. */
export function workerName(): string {
  return `${hostname()}:${process.pid}`;
}
