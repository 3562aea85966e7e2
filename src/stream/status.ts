/**
 * DSPy's StatusMessageProvider and StatusStreamingCallback: a callback in the streamed
 * program's context that turns module and LM events into `status` events. As in DSPy, the
 * default provider says nothing for modules and LMs (only tools have default messages, and
 * native DSPex programs have no tools); supply the hooks you want.
 */
import type { Fields } from "../modules/example.js";
import type { Prediction } from "../modules/prediction.js";
import type { ModuleCallback } from "../runtime/settings.js";
import type { StreamSink } from "./types.js";

export interface StatusMessageProvider {
  /** Before a module (or Predict) runs; `module` is its class name. */
  moduleStart?(module: string, inputs: Fields): string | undefined;
  /** After a module ran (`outputs`) or failed (`error`). */
  moduleEnd?(outputs: Prediction | undefined, error?: unknown): string | undefined;
  /** Before an LM call, for LMs that report calls to callbacks. */
  lmStart?(model: string): string | undefined;
  lmEnd?(outputs: readonly string[] | undefined, error?: unknown): string | undefined;
}

export function statusCallback(sink: StreamSink, provider: StatusMessageProvider = {}): ModuleCallback {
  const send = (message: string | undefined): void => {
    if (message) sink.emit({ type: "status", message });
  };
  return {
    onModuleStart: (e) => send(provider.moduleStart?.(e.module, e.inputs)),
    onModuleEnd: (e) => send(provider.moduleEnd?.(e.outputs, e.error)),
    onLMStart: (e) => send(provider.lmStart?.(e.model)),
    onLMEnd: (e) => send(provider.lmEnd?.(e.outputs, e.error)),
  };
}
