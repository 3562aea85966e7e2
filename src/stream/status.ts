/**
 * DSPy's StatusMessageProvider and StatusStreamingCallback: a callback in the streamed
 * program's context that turns module, LM and tool events into `status` events. As in DSPy, the
 * default provider says nothing for modules and LMs and announces tools; supply the hooks you want.
 */
import type { Fields } from "../modules/example.js";
import type { Prediction } from "../modules/prediction.js";
import type { LMResponse } from "../lm/types.js";
import type { Callback } from "../runtime/callbacks.js";
import type { StreamSink } from "./types.js";

export interface StatusMessageProvider {
  /** Before a module (or Predict) runs; `module` is its class name. */
  moduleStart?(module: string, inputs: Fields): string | undefined;
  /** After a module ran (`outputs`) or failed (`error`). */
  moduleEnd?(outputs: Prediction | undefined, error?: unknown): string | undefined;
  /** Before an LM call, with the LM's model name. */
  lmStart?(model: string): string | undefined;
  lmEnd?(outputs: readonly string[] | undefined, error?: unknown): string | undefined;
  /** Before a TypeScript tool runs (ReAct); default DSPy's "Calling tool {name}...". */
  toolStart?(tool: string, args: unknown): string | undefined;
  /** After a tool ran; default DSPy's "Tool calling finished! ..." line. */
  toolEnd?(outputs: unknown, error?: unknown): string | undefined;
}

const TOOL_END = "Tool calling finished! Querying the LLM with tool calling results...";

export function statusCallback(sink: StreamSink, provider: StatusMessageProvider = {}): Callback {
  const send = (message: string | undefined): void => {
    if (message) sink.emit({ type: "status", message });
  };
  return {
    onModuleStart: (e) => send(provider.moduleStart?.(e.name, e.inputs as Fields)),
    onModuleEnd: (e) => send(provider.moduleEnd?.(e.outputs as Prediction | undefined, e.error)),
    onLMStart: (e) => send(provider.lmStart?.(e.name)),
    onLMEnd: (e) => send(provider.lmEnd?.((e.outputs as LMResponse | undefined)?.outputs, e.error)),
    onToolStart: (e) => send(provider.toolStart ? provider.toolStart(e.name, e.inputs) : `Calling tool ${e.name}...`),
    onToolEnd: (e) => send(provider.toolEnd ? provider.toolEnd(e.outputs, e.error) : TOOL_END),
  };
}
