export type { CallOptions, StreamOptions } from "./call.js";
export {
  type CallbackContext,
  CallbackError,
  type CallbackFn,
  type LMCallbackArgs,
  serveLM,
  toLMRequest,
} from "./callbacks.js";
export { MAX_FRAME } from "./codec.js";
export {
  BridgeError,
  CallAbortedError,
  CallTimeoutError,
  PoolClosedError,
  PoolFailedError,
  PoolSaturatedError,
  BridgeValueError,
  ProtocolError,
  PythonError,
  SessionLostError,
  UnknownToolError,
  UnserializableResultError,
  WorkerCrashedError,
} from "./errors.js";
export { type BridgeLogger, consoleLogger, silentLogger } from "./logger.js";
export type { PoolOptions } from "./options.js";
export { type PoolStats, PythonPool, type WorkerStats } from "./pool.js";
export { type PresetDefaults, type PresetName, presetDefaults, presetNames } from "./presets.js";
export {
  checkInterpreter,
  type PythonEnv,
  PythonEnvError,
  type PythonVersions,
  packageRoot,
  pinnedRequirements,
  probePython,
  resolvePython,
} from "./python-env.js";
export { Session, type SessionState } from "./session.js";
export { closeSharedPools, configurePool, sharedPool } from "./shared-pools.js";
