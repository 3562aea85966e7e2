/**
 * LM usage across machines: a worker logs each LM call a job made and sends the log back in the
 * job's result; the coordinator records those calls into its own usage tracker, call by call,
 * so that a distributed run's lmCalls and tokens read as a local run's (and scoped trackers
 * that forward `record`, such as a pipeline step's, see them too).
 */
import type { LMResponse, Usage } from "./types.js";
import { UsageTracker } from "./usage.js";

/** One LM call as the worker's tracker saw it. */
export interface LMCallRecord {
  model: string;
  provider?: string;
  usage: Usage;
  cached: boolean;
}

/** A job's usage tracker that also keeps each call, to send back. */
export class CallLog extends UsageTracker {
  readonly calls: LMCallRecord[] = [];
  override record(response: LMResponse, provider?: string): void {
    super.record(response, provider);
    const call: LMCallRecord = { model: response.model, usage: { ...response.usage }, cached: response.cached };
    if (provider !== undefined) call.provider = provider;
    this.calls.push(call);
  }
}

/** Records a job's remote calls into `tracker` as if they had been made here. */
export function recordRemoteCalls(tracker: UsageTracker | undefined, calls: readonly LMCallRecord[] | undefined): void {
  if (!tracker || !calls) return;
  for (const call of calls) {
    tracker.record({ outputs: [], model: call.model, usage: call.usage, cached: call.cached }, call.provider);
  }
}
