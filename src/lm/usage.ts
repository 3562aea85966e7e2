import type { LMResponse, Usage } from "./types.js";

/** Token totals plus how many calls produced them. */
export interface UsageTotals extends Usage {
  calls: number;
  /** Calls served from the cache: counted here, never in the token totals. */
  cachedCalls: number;
}

export interface UsageSnapshot {
  total: UsageTotals;
  /** Keyed "provider/model" (or just the model when no provider was given), as DSPy keys lm_usage. */
  byModel: Record<string, UsageTotals>;
  /** The most recent call's usage. */
  lastCall: { model: string; usage: Usage; cached: boolean } | undefined;
}

const zero = (): UsageTotals => ({ promptTokens: 0, completionTokens: 0, totalTokens: 0, calls: 0, cachedCalls: 0 });

function accumulate(into: UsageTotals, usage: Usage, calls: number, cachedCalls: number): void {
  into.promptTokens += usage.promptTokens;
  into.completionTokens += usage.completionTokens;
  into.totalTokens += usage.totalTokens;
  into.calls += calls;
  into.cachedCalls += cachedCalls;
}

/** Per-call and aggregate token accounting. One tracker per scope (a run, a request); never global. */
export class UsageTracker {
  #total = zero();
  #byModel = new Map<string, UsageTotals>();
  #last: UsageSnapshot["lastCall"];

  /** Records one call. Cached calls are counted as calls but add no tokens. */
  add(model: string, usage: Usage, options: { provider?: string; cached?: boolean } = {}): void {
    const key = options.provider === undefined ? model : `${options.provider}/${model}`;
    const cached = options.cached === true;
    const counted = cached ? { promptTokens: 0, completionTokens: 0, totalTokens: 0 } : usage;
    let perModel = this.#byModel.get(key);
    if (perModel === undefined) {
      perModel = zero();
      this.#byModel.set(key, perModel);
    }
    accumulate(perModel, counted, 1, cached ? 1 : 0);
    accumulate(this.#total, counted, 1, cached ? 1 : 0);
    this.#last = { model: key, usage: { ...usage }, cached };
  }

  /** Records an LM response (its `cached` flag decides whether tokens count). */
  record(response: LMResponse, provider?: string): void {
    this.add(
      response.model,
      response.usage,
      provider === undefined ? { cached: response.cached } : { provider, cached: response.cached },
    );
  }

  /** Adds another tracker's (or snapshot's) totals into this one. */
  merge(other: UsageTracker | UsageSnapshot): void {
    const snap = other instanceof UsageTracker ? other.snapshot() : other;
    for (const [key, totals] of Object.entries(snap.byModel)) {
      let perModel = this.#byModel.get(key);
      if (perModel === undefined) {
        perModel = zero();
        this.#byModel.set(key, perModel);
      }
      accumulate(perModel, totals, totals.calls, totals.cachedCalls);
    }
    accumulate(this.#total, snap.total, snap.total.calls, snap.total.cachedCalls);
    if (snap.lastCall !== undefined) this.#last = { ...snap.lastCall, usage: { ...snap.lastCall.usage } };
  }

  reset(): void {
    this.#total = zero();
    this.#byModel.clear();
    this.#last = undefined;
  }

  get total(): UsageTotals {
    return { ...this.#total };
  }

  /** A deep copy, safe to keep or serialise. */
  snapshot(): UsageSnapshot {
    const byModel: Record<string, UsageTotals> = {};
    for (const [key, totals] of this.#byModel) byModel[key] = { ...totals };
    return {
      total: { ...this.#total },
      byModel,
      lastCall: this.#last === undefined ? undefined : { ...this.#last, usage: { ...this.#last.usage } },
    };
  }
}
