/**
 * Records each LM call made by a module into the history (DSPy's GLOBAL_HISTORY, or the one
 * in context) and the usage tracker in context. Cache hits are recorded as calls but add no usage.
 */
import { History, pythonTimestamp } from "../lm/history.js";
import type { LM, LMRequest, LMResponse } from "../lm/types.js";
import type { Settings } from "./settings.js";

let globalHistory: History | undefined;

export function defaultHistory(): History {
  globalHistory ??= new History(1000);
  return globalHistory;
}

export function recordCall(
  settings: Settings,
  lm: LM,
  request: LMRequest,
  response: LMResponse,
  startedMs: number,
): void {
  settings.usage?.record(response, lm.provider);
  (settings.history ?? defaultHistory()).add({
    timestamp: pythonTimestamp(new Date(startedMs)),
    model: response.model,
    provider: lm.provider,
    messages: request.messages,
    outputs: response.outputs,
    usage: response.usage,
    cached: response.cached,
    durationMs: Date.now() - startedMs,
  });
}
