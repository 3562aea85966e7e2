export { ScaleDependencyError } from "./bullmq.js";
export {
  canonicalJSON,
  type EvaluateJob,
  type EvaluateResult,
  type ExampleRecord,
  exampleId,
  type JobFailure,
  type JobResult,
  jobId,
  type ProgramJob,
  stateHash,
  type TraceJob,
  type TraceResult,
} from "./job.js";
export {
  cancelChannel,
  DEFAULT_PREFIX,
  DEFAULT_QUEUE_NAME,
  RedisQueue,
  type RedisQueueOptions,
  RemoteJobError,
  RemoteProgramError,
  redisQueue,
} from "./queue.js";
export { type LoadedProgramFile, type ProgramWorker, type ProgramWorkerOptions, startWorker } from "./worker.js";
export { RateLimitedLM, SharedRateLimit, type SharedRateLimitOptions, sharedRateLimit } from "./rate-limit.js";
