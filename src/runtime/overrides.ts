/**
 * Per-predictor overrides for a scope: what a wrapping module changes about the predictors it
 * runs, without copying or mutating them (so concurrent calls never see each other's changes).
 * BestOfN and Refine attempts set LM settings (DSPy's `lm.copy(rollout_id=..., temperature=1.0)`)
 * and Refine's `hint_` input (DSPy's WrapperAdapter); optimizer runs set the LM config DSPy asked
 * for. Predictors ask once per call; the runtime only carries the function.
 */
import type { PredictConfig } from "./predict-config.js";

/** One extra input field a predictor gets for this scope, with its description and value. */
export interface ExtraInput {
  name: string;
  description: string;
  value: string;
}

export interface PredictorOverride {
  /** LM settings under the predictor's own config (the predictor's config wins). */
  config?: PredictConfig;
  /** Input fields appended to the predictor's signature for this call. */
  inputs?: readonly ExtraInput[];
}

/** Asked with each predictor about to call its LM; undefined means no change. */
export type PredictorOverrides = (predictor: object) => PredictorOverride | undefined;

/** `inner` over `outer`: config keys of inner win, extra inputs of inner replace outer's of the same name. */
export function layerOverrides(
  outer: PredictorOverrides | undefined,
  inner: PredictorOverrides | undefined,
): PredictorOverrides | undefined {
  if (outer === undefined) return inner;
  if (inner === undefined) return outer;
  return (predictor) => {
    const o = outer(predictor);
    const i = inner(predictor);
    if (o === undefined) return i;
    if (i === undefined) return o;
    const merged: PredictorOverride = {};
    if (o.config !== undefined || i.config !== undefined) merged.config = { ...o.config, ...i.config };
    if (o.inputs !== undefined || i.inputs !== undefined) {
      const names = new Set((i.inputs ?? []).map((x) => x.name));
      merged.inputs = [...(o.inputs ?? []).filter((x) => !names.has(x.name)), ...(i.inputs ?? [])];
    }
    return merged;
  };
}

/** The same LM config for every predictor of the scope, layered over the enclosing overrides. */
export function withConfig(
  outer: PredictorOverrides | undefined,
  config: PredictConfig | undefined,
): PredictorOverrides | undefined {
  if (config === undefined || Object.keys(config).length === 0) return outer;
  const override: PredictorOverride = { config };
  return layerOverrides(outer, () => override);
}
