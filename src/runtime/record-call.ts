/**
 * Records each LM call made by a module into the history (DSPy's GLOBAL_HISTORY, or the one
 * in context) and the usage tracker in context. Cache hits are recorded as calls but add no usage.
 */
import { type HistoryEntry, LMHistory, pythonTimestamp } from "../lm/history.js";
import type { LM, LMRequest, LMResponse, Message, Usage } from "../lm/types.js";
import type { Settings } from "./settings.js";

let globalHistory: LMHistory | undefined;

export function defaultHistory(): LMHistory {
  globalHistory ??= new LMHistory(1000);
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
  (settings.history ?? defaultHistory()).add(new CallEntry(lm, request, response, startedMs));
}

/** A history entry whose timestamp is formatted only when read: formatting costs more than the rest. */
class CallEntry implements HistoryEntry {
  readonly model: string;
  readonly provider: string;
  readonly messages: Message[];
  readonly outputs: string[];
  readonly usage: Usage;
  readonly cached: boolean;
  readonly durationMs: number;
  readonly #startedMs: number;

  constructor(lm: LM, request: LMRequest, response: LMResponse, startedMs: number) {
    this.model = response.model;
    this.provider = lm.provider;
    this.messages = request.messages;
    this.outputs = response.outputs;
    this.usage = response.usage;
    this.cached = response.cached;
    this.durationMs = Date.now() - startedMs;
    this.#startedMs = startedMs;
  }

  get timestamp(): string {
    return pythonTimestamp(new Date(this.#startedMs));
  }
}
