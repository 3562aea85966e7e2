/**
 * DSPy's BestOfN: runs a module up to N times, each attempt with its own rollout id at
 * temperature 1.0 (so the cache cannot hand back the same answer), and returns the first
 * prediction whose reward reaches the threshold, else the best one. Attempt settings travel as
 * per-predictor overrides in context (under each predictor's own config, as DSPy's
 * `lm.copy(...)`), so the wrapped module is never copied or mutated and concurrent calls never
 * interfere.
 */
import { DSPexError } from "../errors.js";
import type { LM } from "../lm/types.js";
import type { Fields } from "./example.js";
import { Module } from "./module.js";
import { Predict } from "./predict.js";
import type { Prediction } from "./prediction.js";
import { layerOverrides, type PredictorOverrides } from "../runtime/overrides.js";
import { context, currentSettings, type Settings, type TraceEntry } from "../runtime/settings.js";

/** Scores a prediction for the given inputs; higher is better (DSPy's `reward_fn(args, pred)`). */
export type RewardFn<I extends Fields = Fields, O extends Fields = Fields> = (
  inputs: I,
  prediction: Prediction<O>,
) => number | Promise<number>;

export interface BestOfNOptions<I extends Fields = Fields, O extends Fields = Fields> {
  /** The most attempts. */
  N: number;
  rewardFn: RewardFn<I, O>;
  /** A reward at or above this ends the loop early. */
  threshold: number;
  /** Failures tolerated before an attempt's error is thrown; default (and for 0, as DSPy's `or`) N. */
  failCount?: number;
  /** Told about each failed attempt; default: a console warning worded as DSPy's print. */
  onAttemptError?: (error: unknown, attempt: number, rolloutId: string | number) => void;
}

/** No attempt produced a prediction (DSPy returns None here; a typed module cannot). */
export class NoSuccessfulAttemptError extends DSPexError {}

/** The result of one attempt: its prediction, reward and the predictor calls it made. */
export interface Attempt {
  prediction: Prediction;
  reward: number;
  trace: TraceEntry[];
}

// Symbol-keyed, so the program walk never mistakes the reward function for part of the
// program, yet copies of the program (optimizer runs) carry it; #private fields would not copy.
export const REWARD_FN = Symbol("rewardFn");
export const ON_ATTEMPT_ERROR = Symbol("onAttemptError");

/** Typed as the module it wraps: same inputs, same prediction fields. */
export class BestOfN<I extends Fields = Fields, O extends Fields = Fields> extends Module<I, O> {
  readonly module: Module<I, O>;
  readonly N: number;
  readonly threshold: number;
  readonly failCount: number;
  readonly [REWARD_FN]: RewardFn;
  readonly [ON_ATTEMPT_ERROR]: BestOfNOptions["onAttemptError"];

  constructor(module: Module<I, O>, options: BestOfNOptions<I, O>) {
    super();
    this.module = module;
    this.N = options.N;
    this.threshold = options.threshold;
    this.failCount = options.failCount || options.N;
    // Attempts run untyped inside; the reward sees exactly the module's inputs and predictions.
    this[REWARD_FN] = options.rewardFn as RewardFn;
    this[ON_ATTEMPT_ERROR] = options.onAttemptError;
  }

  async forward(inputs: I): Promise<Prediction<O>> {
    const settings = currentSettings();
    const start = startRolloutId(this.module, settings);
    let best: Attempt | undefined;
    let failCount = this.failCount;
    let lastError: unknown;
    for (let idx = 0; idx < this.N; idx++) {
      const rolloutId = nthRolloutId(start, idx);
      try {
        const attempt = await runAttempt(this.module, inputs, settings, rolloutId, this[REWARD_FN]);
        if (attempt.reward > (best?.reward ?? Number.NEGATIVE_INFINITY)) best = attempt;
        if (attempt.reward >= this.threshold) break;
      } catch (error) {
        lastError = error;
        reportAttemptError("BestOfN", this[ON_ATTEMPT_ERROR], error, idx, rolloutId);
        if (idx > failCount) throw error;
        failCount--;
      }
    }
    return keepBest("BestOfN", best, settings, this.N, lastError) as Prediction<O>;
  }
}

/** One attempt: the module at temperature 1.0 with its rollout id, its trace kept apart, then its reward. */
export async function runAttempt(
  module: Module,
  inputs: Fields,
  settings: Settings,
  rolloutId: string | number,
  rewardFn: RewardFn,
  extra?: PredictorOverrides,
): Promise<Attempt> {
  const trace: TraceEntry[] = [];
  const attempt = { config: { rolloutId, temperature: 1.0 } };
  const overrides = layerOverrides(
    layerOverrides(settings.overrides, () => attempt),
    extra,
  );
  const prediction = await context({ trace, overrides }, () => module.call(inputs));
  const attemptTrace = [...trace];
  // The reward runs with the caller's LM settings (DSPy changes only the module's LM) and
  // its own trace, which is not kept.
  const reward = await context({ trace: [] }, () => rewardFn(inputs, prediction));
  return { prediction, reward, trace: attemptTrace };
}

/** DSPy: `(module.get_lm() or settings.lm).kwargs.get("rollout_id", 0)`; an enclosing attempt's id wins. */
export function startRolloutId(module: Module, settings: Settings): string | number {
  const first = module.namedPredictors()[0]?.[1];
  const fromContext = settings.overrides?.(first ?? module)?.config?.rolloutId;
  if (fromContext !== undefined) return fromContext;
  const lm = moduleLM(module) ?? settings.lm;
  return lm?.defaults?.rolloutId ?? 0;
}

export function nthRolloutId(start: string | number, idx: number): string | number {
  return typeof start === "number" ? start + idx : `${start}-${idx}`;
}

/** The LM set on the module's predictors, when they have one (DSPy's `get_lm`). */
export function moduleLM(module: Module): LM | undefined {
  for (const [, p] of module.namedPredictors()) if (p instanceof Predict && p.lm !== undefined) return p.lm;
  return undefined;
}

export function reportAttemptError(
  who: string,
  handler: BestOfNOptions["onAttemptError"],
  error: unknown,
  idx: number,
  rolloutId: string | number,
): void {
  if (handler) {
    handler(error, idx + 1, rolloutId);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  const where = who === "BestOfN" ? `Attempt ${idx + 1} failed` : "Attempt failed";
  console.warn(`${who}: ${where} with rollout id ${rolloutId}: ${message}`);
}

/** Appends the best attempt's trace to the caller's (as DSPy does) and returns its prediction. */
export function keepBest(
  who: string,
  best: Attempt | undefined,
  settings: Settings,
  n: number,
  lastError: unknown,
): Prediction {
  if (best === undefined) {
    throw new NoSuccessfulAttemptError(`${who}: none of the ${n} attempts produced a prediction`, {
      context: { attempts: n },
      fix:
        lastError === undefined
          ? "check that the reward function returns finite numbers (NaN and -Infinity are never the best)"
          : "see the cause: the last attempt's error",
      cause: lastError,
    });
  }
  if (best.trace.length > 0 && settings.trace) settings.trace.push(...best.trace);
  return best.prediction;
}
