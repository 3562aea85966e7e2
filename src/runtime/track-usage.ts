/**
 * DSPy's `track_usage`: with `trackUsage` on, the outermost module call collects the usage of
 * every LM call made under it (native ones and those Python asks Node to serve, which all go
 * through lm-call.ts and record into `settings.usage`), gives it to its prediction, and adds it
 * to the enclosing tracker on the way out, as DSPy's nested `track_usage()` rolls up.
 */
import type { Usage } from "../lm/types.js";
import { UsageTracker } from "../lm/usage.js";
import { context, type Settings } from "./settings.js";

/** Per model ("provider/model"), the tokens of the calls that were not cache hits (DSPy's `get_lm_usage()`). */
export type LMUsageByModel = Record<string, Usage>;

/** Trackers made by a module call: calls nested under one add to it instead of starting their own. */
const moduleTrackers = new WeakSet<UsageTracker>();

export function tracksUsage(settings: Settings): boolean {
  return settings.trackUsage === true && !(settings.usage !== undefined && moduleTrackers.has(settings.usage));
}

/** Runs `work` with its own tracker; the result gets the usage when it can take it (a Prediction). */
export async function withUsageTracking<T>(settings: Settings, work: () => Promise<T>): Promise<T> {
  const tracker = new UsageTracker();
  moduleTrackers.add(tracker);
  try {
    const output = await context({ usage: tracker }, work);
    const target = output as { setLmUsage?: (usage: LMUsageByModel) => void } | null | undefined;
    if (typeof target?.setLmUsage === "function") target.setLmUsage(usageByModel(tracker));
    return output;
  } finally {
    settings.usage?.merge(tracker);
  }
}

/** DSPy leaves out models whose every call was a cache hit: hits add no usage there. */
export function usageByModel(tracker: UsageTracker): LMUsageByModel {
  const result: LMUsageByModel = {};
  for (const [model, totals] of Object.entries(tracker.snapshot().byModel)) {
    if (totals.calls === totals.cachedCalls) continue;
    result[model] = {
      promptTokens: totals.promptTokens,
      completionTokens: totals.completionTokens,
      totalTokens: totals.totalTokens,
    };
  }
  return result;
}
