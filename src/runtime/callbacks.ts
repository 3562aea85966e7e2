/**
 * Callbacks as DSPy's `BaseCallback`, in camelCase: a Start/End pair per kind of work. Register
 * them with `configure({ callbacks })` or `context({ callbacks }, fn)`. They fire for native work
 * and for work Python asks of Node (an LM call a DSPy optimizer makes in the pool fires
 * onLMStart/onLMEnd here). `observe()` (observe.ts) is the one place that fires them, so every kind of work
 * reports the same way (see observe.ts); a callback that throws is reported and never fails the work.
 */

export type CallbackKind = "module" | "lm" | "adapterFormat" | "adapterParse" | "tool" | "evaluate" | "compile";

export interface StartEvent<I = unknown> {
  callId: string;
  /** The module, LM, adapter, tool, Evaluate or optimizer doing the work. */
  instance: unknown;
  /** A readable name: the module's class, the LM's model, the tool's name, the optimizer. */
  name: string;
  inputs: I;
  /** The callId of the observed work this runs inside (an LM call's module, a module's Evaluate), if any. */
  parentCallId?: string;
}

export interface EndEvent<O = unknown> {
  callId: string;
  instance: unknown;
  name: string;
  outputs?: O;
  /** Set when the work failed (DSPy's `exception`). */
  error?: unknown;
}

/** A step of an optimizer run in progress (a trial, an evaluation): between its onCompileStart and onCompileEnd. */
export interface CompileProgressEvent<P = unknown> {
  /** The run's callId, as in its onCompileStart. */
  callId: string;
  name: string;
  progress: P;
}

/** DSPy's BaseCallback. Every method is optional. */
export interface Callback {
  onModuleStart?(event: StartEvent): void;
  onModuleEnd?(event: EndEvent): void;
  onLMStart?(event: StartEvent): void;
  onLMEnd?(event: EndEvent): void;
  onAdapterFormatStart?(event: StartEvent): void;
  onAdapterFormatEnd?(event: EndEvent): void;
  onAdapterParseStart?(event: StartEvent): void;
  onAdapterParseEnd?(event: EndEvent): void;
  onToolStart?(event: StartEvent): void;
  onToolEnd?(event: EndEvent): void;
  onEvaluateStart?(event: StartEvent): void;
  onEvaluateEnd?(event: EndEvent): void;
  /** An optimizer run (DSPy has no such hook; its optimizers' `compile`). */
  onCompileStart?(event: StartEvent): void;
  onCompileEnd?(event: EndEvent): void;
  /** Each progress report of an optimizer run (no DSPy equivalent): trials, scores, best so far. */
  onCompileProgress?(event: CompileProgressEvent): void;
}

type Hooks = { [K in CallbackKind]: { start: keyof Callback; end: keyof Callback } };

export const HOOKS: Hooks = {
  module: { start: "onModuleStart", end: "onModuleEnd" },
  lm: { start: "onLMStart", end: "onLMEnd" },
  adapterFormat: { start: "onAdapterFormatStart", end: "onAdapterFormatEnd" },
  adapterParse: { start: "onAdapterParseStart", end: "onAdapterParseEnd" },
  tool: { start: "onToolStart", end: "onToolEnd" },
  evaluate: { start: "onEvaluateStart", end: "onEvaluateEnd" },
  compile: { start: "onCompileStart", end: "onCompileEnd" },
};

type AnyEvent = StartEvent | EndEvent | CompileProgressEvent;

export function fire(callbacks: readonly Callback[], hook: keyof Callback, event: AnyEvent): void {
  for (const cb of callbacks) {
    const fn = cb[hook] as ((e: AnyEvent) => void) | undefined;
    if (fn === undefined) continue;
    try {
      fn.call(cb, event);
    } catch (error) {
      // DSPy logs a failing callback and carries on; the work must not fail because of it.
      console.warn(`dspex: callback ${hook} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
