/**
 * What travels through the queue. A job carries everything a worker needs to rebuild the run
 * (program file, saved state, example), so that workers hold no state of their own and any
 * worker can take any job, including one another worker died on.
 */
import { createHash } from "node:crypto";
import { ConfigurationError } from "../errors.js";
import type { ProgramFileRef as ProgramFile } from "../evaluate/types.js";
import { Example, type Fields } from "../modules/example.js";
import type { ProgramState } from "../modules/module.js";
import type { Usage } from "../lm/types.js";
import type { LMCallRecord } from "../lm/call-log.js";

/** The example of a job, as plain data. */
export interface ExampleRecord {
  fields: Fields;
  inputKeys: string[];
}

export interface EvaluateJob {
  kind: "evaluate";
  program: ProgramFile;
  /** DSPy's saved-state JSON of the program (`dumpState()`), loaded into the worker's copy. */
  state: ProgramState;
  /** `stateHash(state)`, computed once by the coordinator: workers key their program copies by it. */
  stateKey?: string;
  example: ExampleRecord;
  /** Score on the worker with the program file's exported `metric`. */
  score: boolean;
}

/** A program run for an optimizer: inputs in, prediction and per-predictor trace out. */
export interface TraceJob {
  kind: "trace";
  program: ProgramFile;
  state: ProgramState;
  stateKey?: string;
  inputs: Fields;
  /** LM settings for this run (Predict config: temperature, ...), as an optimizer asked. */
  config?: Record<string, unknown>;
}

export type ProgramJob = EvaluateJob | TraceJob;

/** An example's program or metric threw: the row fails, as it would in a local run (not retried). */
export interface JobFailure {
  /** `${error.name}: ${error.message}`, the text a local run puts in the row. */
  message: string;
  name: string;
  stack?: string;
}

export interface EvaluateResult {
  prediction?: Fields;
  /** Completions of the prediction when there were several (n > 1). */
  completions?: Fields[];
  score?: number;
  metricOutput?: Fields;
  error?: JobFailure;
  /** Which worker ran it (host:pid), for logs and tests. */
  worker: string;
  /** The LM calls the run (and a worker-side metric) made, for the coordinator's usage. */
  calls?: LMCallRecord[];
  /** The prediction's own `lmUsage`, as a local run sets it. */
  lmUsage?: Usage;
}

export interface TraceResult {
  prediction?: Fields;
  trace?: [string, Fields, Fields][];
  error?: JobFailure;
  worker: string;
  calls?: LMCallRecord[];
  lmUsage?: Usage;
}

export type JobResult = EvaluateResult | TraceResult;

export function exampleRecord(example: Example): ExampleRecord {
  const keys = example.inputKeys;
  if (keys === undefined) {
    throw new ConfigurationError("An example sent to the queue has no input keys", {
      fix: 'build it with new Example({...}).withInputs("question")',
    });
  }
  return { fields: example.toDict(), inputKeys: [...keys] };
}

export function toExample(record: ExampleRecord): Example {
  return new Example(record.fields).withInputs(...record.inputKeys);
}

/**
 * The job id: the same program, state, example and scoring always give the same id, so a job
 * sent twice (a retried submission, a second coordinator, a duplicate example) runs once.
 */
export function jobId(job: ProgramJob): string {
  const payload =
    job.kind === "evaluate"
      ? ["evaluate", programKey(job.program), keyOf(job), exampleId(job.example), job.score ? "1" : "0"]
      : [
          "trace",
          programKey(job.program),
          keyOf(job),
          hash(canonicalJSON(job.inputs)),
          hash(canonicalJSON(job.config ?? {})),
        ];
  // BullMQ ids must not be plain integers and must not contain ":" (its key separator).
  return `${job.kind}-${hash(payload.join("\u0000")).slice(0, 40)}`;
}

/** The job's state hash: the one it carries, else computed. */
export function keyOf(job: ProgramJob): string {
  return job.stateKey ?? stateHash(job.state);
}

export function stateHash(state: ProgramState): string {
  return hash(canonicalJSON(state));
}

export function exampleId(example: ExampleRecord): string {
  return hash(canonicalJSON({ fields: example.fields, inputKeys: [...example.inputKeys].sort() }));
}

function programKey(program: ProgramFile): string {
  return `${program.path}#${program.export ?? ""}`;
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** JSON with object keys sorted, so equal values hash equally whatever their key order. */
export function canonicalJSON(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function")
    return sortKeys((value as { toJSON(): unknown }).toJSON());
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

/** The text a local Evaluate puts in a failed row, so remote and local rows read the same. */
export function failureOf(error: unknown): JobFailure {
  if (error instanceof Error) {
    const failure: JobFailure = { message: `${error.name}: ${error.message}`, name: error.name };
    if (error.stack !== undefined) failure.stack = error.stack;
    return failure;
  }
  return { message: String(error), name: "Error" };
}
