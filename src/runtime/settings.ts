/**
 * Configuration: one `configure()` for process-wide defaults plus `context()` for scoped
 * overrides on AsyncLocalStorage (DSPy's `dspy.context`), so that concurrent requests in one
 * server never see each other's LM, adapter, trace or cache choices.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Span } from "@opentelemetry/api";
import type { Adapter } from "../adapters/types.js";
import type { Cache } from "../cache/cache.js";
import { ConfigurationError } from "../errors.js";
import type { LMHistory } from "../lm/history.js";
import type { LM } from "../lm/types.js";
import type { UsageTracker } from "../lm/usage.js";
import type { Callback } from "./callbacks.js";
import type { StreamSink } from "./stream-sink.js";
import type { PredictorOverrides } from "./overrides.js";

type Fields = Record<string, unknown>;

/**
 * A predictor as the runtime sees it; modules/ owns the classes (Predict, the Python-backed
 * predictors). Structural, so that the runtime floor never imports modules/.
 */
export interface TracedPredictor {
  dumpState(): Record<string, unknown>;
}

/** A prediction as the runtime sees it: its fields and their plain copy. */
export interface TracedPrediction {
  readonly [field: string]: unknown;
  toDict(): Fields;
}

/** One predictor call as seen by optimizers: which predictor, its inputs, its prediction. */
export interface TraceEntry {
  predictor: TracedPredictor;
  inputs: Fields;
  prediction: TracedPrediction;
}

/** The callback interface (DSPy's BaseCallback); the old name stays for existing code. */
export type ModuleCallback = Callback;

export interface Settings {
  lm?: LM;
  /** With no `lm`, fall back to the embedded local model when it is installed (default true). */
  embeddedDefault?: boolean;
  adapter?: Adapter;
  /** The response cache; `false` turns caching off. Unset means the default cache, created on first use. */
  cache?: Cache | false;
  /** When set, every predictor call is appended here (DSPy's `settings.trace`). */
  trace?: TraceEntry[];
  maxTraceSize?: number;
  /** DSPy's callbacks: Start/End events for modules, LM calls, adapters, tools, Evaluate and optimizer runs. */
  callbacks?: readonly Callback[];
  /** Where LM calls are recorded for inspectHistory(); default: one process-wide history of 1,000 calls. */
  history?: LMHistory;
  /** Aggregates token usage of the calls made in this scope, when set. */
  usage?: UsageTracker;
  /** Where DSPy-style input warnings go (missing or unknown input fields); default: console.warn. */
  warn?: (message: string) => void;
  /** Whether ChatAdapter parse failures retry once with JSONAdapter (DSPy's default: yes). */
  useJSONFallback?: boolean;
  /**
   * Per-predictor overrides for this scope (LM settings, extra inputs), set by modules that run
   * other modules with changes: BestOfN and Refine attempts, optimizer runs. See overrides.ts.
   */
  overrides?: PredictorOverrides;
  /**
   * DSPy's `track_usage`: each top-level module call's prediction carries the token usage of
   * the LM calls it made, per model (`prediction.getLmUsage()`).
   */
  trackUsage?: boolean;
  /** Cancels every LM call made in this scope (streamify on early exit, Parallel on too many errors). */
  signal?: AbortSignal;
  /** The OpenTelemetry span new spans nest under (set by the work being observed). */
  span?: Span;
  /** The callId of the observed work in progress, the parent of new work's events (set by observe). */
  observedCallId?: string;
  /** Where streaming predictors send their output (set by streamify). */
  stream?: StreamSink;
  /**
   * A missing input field and a key that is not in the signature are DSPy's warnings by default,
   * and the call proceeds (e.g. no `history` on a first turn); `true` makes both InputErrors.
   */
  strictInputs?: boolean;
}

/**
 * Kept on globalThis under a registry symbol so that two copies of this module (a program that
 * imports DSPex by another path than the CLI, or through another loader) still share settings.
 */
interface SettingsState {
  storage: AsyncLocalStorage<Settings>;
  root: Settings;
}
const KEY = Symbol.for("dspex.settings");
const registry = globalThis as Record<symbol, SettingsState | undefined>;
registry[KEY] ??= { storage: new AsyncLocalStorage<Settings>(), root: {} };
const state: SettingsState = registry[KEY];
const storage = state.storage;

/** Sets process-wide defaults. Later calls merge over earlier ones. */
export function configure(settings: Settings): void {
  checkLM(settings.lm);
  state.root = { ...state.root, ...settings };
}

/** Runs `fn` with `overrides` merged over the current settings, for everything it awaits. */
export function context<T>(overrides: Settings, fn: () => T): T {
  checkLM(overrides.lm);
  return storage.run({ ...currentSettings(), ...overrides }, fn);
}

/** Runs `fn` with exactly `settings` in context (work observed under settings captured earlier). */
export function runInSettings<T>(settings: Settings, fn: () => T): T {
  return storage.run(settings, fn);
}

export function currentSettings(): Settings {
  return storage.getStore() ?? state.root;
}

/** A string or a stray object as `lm` would otherwise fail deep inside the first call. */
export function checkLM(lm: unknown): void {
  if (lm === undefined || (typeof lm === "object" && lm !== null && typeof (lm as LM).generate === "function")) return;
  throw new ConfigurationError(
    `\`lm\` must be an LM object, got ${typeof lm === "string" ? `the string "${lm}"` : String(lm)}`,
    {
      fix:
        typeof lm === "string"
          ? `write lm("${lm}") to make one from a "provider/model" name`
          : "pass openai({...}), anthropic({...}), local() or another LM",
    },
  );
}

/** Resets process-wide defaults; for tests. */
export function resetSettings(): void {
  state.root = {};
}
