import type { LM } from "../lm/types.js";
import type { CallbackFn } from "./callbacks.js";
import { MAX_FRAME } from "./codec.js";
import { ConfigurationError } from "../errors.js";
import { type BridgeLogger, consoleLogger } from "./logger.js";
import { isPresetName, type PresetName, presetDefaults } from "./presets.js";
import type { StartMode } from "./launch.js";
import { joinPythonPath, type PythonEnv, resolvePython } from "./python-env.js";
import { workerBaseEnv } from "./worker-env.js";

export interface PoolOptions {
  /** Pool name, used in worker ids and errors. A preset's name also selects that preset. */
  name?: string;
  /** Start from one of the design's presets; explicit options override it. */
  preset?: PresetName;
  size?: number;
  /** Calls in flight per worker (Python runs them on that many threads). */
  concurrency?: number;
  /** Default per-call deadline in ms; 0 = none. */
  timeoutMs?: number;
  /** Calls waiting for a worker before PoolSaturatedError. */
  queueLimit?: number;
  /** Recycle a worker after this many calls (0 = never). */
  maxRequestsPerWorker?: number;
  /** Recycle a worker whose resident memory exceeds this (0 = never). */
  maxRssMb?: number;
  /**
   * Extra environment for the workers. Of the parent's environment they inherit only an
   * allowlist (PATH, HOME, locale, temp dirs, PYTHON*, ...; see workerBaseEnv), never credentials.
   */
  env?: Record<string, string>;
  /** Interpreter; default: DSPEX_PYTHON, else the project venv. */
  python?: string;
  logger?: BridgeLogger;
  /** Node functions Python may call by name (the allowlist). */
  callbacks?: Record<string, CallbackFn>;
  /** The LM that serves DSPy's LM calls inside the workers. */
  lm?: LM;
  /** Import DSPy at worker start (default true). Tests of the plumbing alone can skip it. */
  importDspy?: boolean;
  /** Load dspex_worker.tools_testing (crash, raise, hang, ...). For tests and benches only. */
  testTools?: boolean;
  /** Extra Python modules to import at start; they register tools with @tool. */
  modules?: string[];
  heartbeatMs?: number;
  /** A worker silent for this long is killed and replaced. */
  heartbeatTimeoutMs?: number;
  startTimeoutMs?: number;
  /** How long a cancelled call may take to stop before its worker is killed. */
  cancelGraceMs?: number;
  /** Restart storm: more than maxRestarts restarts within restartWindowMs fails the pool. */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** How many times an idempotent call is retried after its worker crashed. */
  retries?: number;
  streamWindow?: number;
  /** Idle time after which a session expires. */
  sessionTtlMs?: number;
  maxFrameBytes?: number;
  /** stderr lines kept per worker for crash errors. */
  stderrLines?: number;
  /**
   * "fork": one fork server per pool imports DSPy once and forks the workers (fast cold start,
   * shared memory); "spawn": every worker is its own `python -m dspex_worker`. Default: the
   * DSPEX_START_MODE environment variable, else "fork" on Linux and "spawn" elsewhere.
   */
  startMode?: StartMode;
}

export interface ResolvedOptions
  extends Required<Omit<PoolOptions, "preset" | "lm" | "python" | "callbacks" | "env" | "modules">> {
  lm: LM | undefined;
  callbacks: Record<string, CallbackFn>;
  pythonEnv: PythonEnv;
  workerEnv: NodeJS.ProcessEnv;
}

export { workerBaseEnv };

export function resolveOptions(options: PoolOptions): ResolvedOptions {
  const presetName = options.preset ?? (isPresetName(options.name) ? options.name : undefined);
  const preset = presetName ? presetDefaults(presetName) : undefined;
  const name = options.name ?? presetName ?? "pool";
  const pick = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);
  const size = pick(options.size, preset?.size ?? 2);
  const concurrency = pick(options.concurrency, preset?.concurrency ?? 4);
  if (!Number.isInteger(size) || size < 1) throw new ConfigurationError(`size must be a positive integer, got ${size}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigurationError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const pythonEnv = resolvePython(options.python ? { python: options.python } : {});
  const startMode = options.startMode ?? defaultStartMode();
  if (startMode !== "spawn" && startMode !== "fork") {
    throw new ConfigurationError(`startMode must be "spawn" or "fork", got ${String(startMode)}`);
  }
  const importDspy = options.importDspy ?? true;
  const testTools = options.testTools ?? false;
  const workerEnv: NodeJS.ProcessEnv = {
    ...workerBaseEnv(),
    ...options.env,
    PYTHONPATH: joinPythonPath(pythonEnv.workerPath, options.env?.PYTHONPATH ?? process.env.PYTHONPATH),
    PYTHONUNBUFFERED: "1",
    DSPEX_PARENT_PID: String(process.pid),
    DSPEX_WORKER_THREADS: String(concurrency),
    DSPEX_WORKER_SKIP_DSPY: importDspy ? "0" : "1",
    DSPEX_WORKER_TEST_TOOLS: testTools ? "1" : "0",
    DSPEX_WORKER_MODULES: (options.modules ?? []).join(","),
  };
  return {
    name,
    size,
    concurrency,
    timeoutMs: pick(options.timeoutMs, preset?.timeoutMs ?? 60_000),
    queueLimit: pick(options.queueLimit, preset?.queueLimit ?? 10_000),
    maxRequestsPerWorker: pick(options.maxRequestsPerWorker, preset?.maxRequestsPerWorker ?? 0),
    maxRssMb: pick(options.maxRssMb, preset?.maxRssMb ?? 0),
    logger: options.logger ?? consoleLogger("warn"),
    lm: options.lm,
    callbacks: options.callbacks ?? {},
    importDspy,
    testTools,
    heartbeatMs: pick(options.heartbeatMs, 2_000),
    heartbeatTimeoutMs: pick(options.heartbeatTimeoutMs, 15_000),
    startTimeoutMs: pick(options.startTimeoutMs, 60_000),
    cancelGraceMs: pick(options.cancelGraceMs, 2_000),
    maxRestarts: pick(options.maxRestarts, 5),
    restartWindowMs: pick(options.restartWindowMs, 30_000),
    retries: pick(options.retries, 1),
    streamWindow: pick(options.streamWindow, 8),
    sessionTtlMs: pick(options.sessionTtlMs, 15 * 60_000),
    maxFrameBytes: pick(options.maxFrameBytes, MAX_FRAME),
    stderrLines: pick(options.stderrLines, 20),
    startMode,
    pythonEnv,
    workerEnv,
  };
}

/** DSPEX_START_MODE if set, else fork where it is safe and supported (Linux: parent-death signal). */
export function defaultStartMode(env: NodeJS.ProcessEnv = process.env): StartMode {
  const fromEnv = env.DSPEX_START_MODE;
  if (fromEnv === "spawn" || fromEnv === "fork") return fromEnv;
  return process.platform === "linux" ? "fork" : "spawn";
}
