/**
 * The one wrapper around observed work: DSPy's callbacks (Start/End pairs) and an OpenTelemetry
 * span. Modules, LM calls, adapters, tools, Evaluate and optimizer runs all go through here.
 * With no callbacks and no tracing SDK registered it is a plain call: it sits on every
 * predictor call's path.
 */
import type { Span } from "@opentelemetry/api";
import { type Callback, type CallbackKind, fire, HOOKS, type StartEvent } from "./callbacks.js";
import { runInSettings, type Settings } from "./settings.js";
import { endSpan, startSpan, tracingEnabled } from "./telemetry.js";

export interface Observed {
  /** The module, LM, adapter, tool, Evaluate or optimizer doing the work. */
  instance: unknown;
  name: string;
  inputs: unknown;
}

/** Kinds whose work runs further observed work, so their span becomes the parent in context. */
const NESTING: ReadonlySet<CallbackKind> = new Set(["module", "tool", "evaluate", "compile"]);

/**
 * Whether work under `settings` is observed at all (a callback, or a tracing SDK). Hot callers
 * check it first, so that unobserved work builds no event subject and no closure.
 */
export function observing(settings: Settings): boolean {
  const callbacks = settings.callbacks;
  return (callbacks !== undefined && callbacks.length > 0) || tracingEnabled();
}

/** A promise for what `work` gives, as an async function would return it (a throw is a rejection). */
export function settle<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    const out = work();
    return out instanceof Promise ? out : Promise.resolve(out);
  } catch (error) {
    return Promise.reject(error);
  }
}

export function observe<T>(settings: Settings, kind: CallbackKind, what: Observed, work: () => Promise<T>): Promise<T> {
  const callbacks = settings.callbacks;
  const tracing = tracingEnabled();
  const calling = callbacks !== undefined && callbacks.length > 0;
  if (tracing || calling) return observed(settings, kind, what, work, calling ? callbacks : [], tracing);
  // Unobserved: the work's own promise, not one wrapped by an async function (each wrapper costs
  // microtask ticks on every predictor call).
  return settle(work);
}

async function observed<T>(
  settings: Settings,
  kind: CallbackKind,
  what: Observed,
  work: () => Promise<T>,
  callbacks: readonly Callback[],
  tracing: boolean,
): Promise<T> {
  const calling = callbacks.length > 0;
  const span = tracing ? startSpan(kind, what, settings.span) : undefined;
  const { start, end } = HOOKS[kind];
  const callId = globalThis.crypto.randomUUID();
  const base = { callId, instance: what.instance, name: what.name };
  if (calling) fire(callbacks, start, startEvent(settings, base, what.inputs));
  try {
    const nest = NESTING.has(kind) && (span !== undefined || calling);
    const outputs = await (nest ? runInSettings(nested(settings, span, calling ? callId : undefined), work) : work());
    if (calling) fire(callbacks, end, { ...base, outputs });
    if (span !== undefined) endSpan(span, kind, outputs, undefined, false);
    return outputs;
  } catch (error) {
    if (calling) fire(callbacks, end, { ...base, error });
    if (span !== undefined) endSpan(span, kind, undefined, error, true);
    throw error;
  }
}

/** Callbacks for synchronous work (adapter format and parse); no span: it takes microseconds. */
export function observeSync<T>(settings: Settings, kind: CallbackKind, what: Observed, work: () => T): T {
  const callbacks = settings.callbacks;
  if (callbacks === undefined || callbacks.length === 0) return work();
  const { start, end } = HOOKS[kind];
  const callId = globalThis.crypto.randomUUID();
  const base = { callId, instance: what.instance, name: what.name };
  fire(callbacks, start, startEvent(settings, base, what.inputs));
  try {
    const outputs = work();
    fire(callbacks, end, { ...base, outputs });
    return outputs;
  } catch (error) {
    fire(callbacks, end, { ...base, error });
    throw error;
  }
}

function startEvent(settings: Settings, base: Omit<StartEvent, "inputs">, inputs: unknown): StartEvent {
  const parent = settings.observedCallId;
  return parent === undefined ? { ...base, inputs } : { ...base, inputs, parentCallId: parent };
}

/** The settings nested work runs under: its span and callId become the parents of what it does. */
function nested(settings: Settings, span: Span | undefined, callId: string | undefined): Settings {
  const out: Settings = { ...settings };
  if (span !== undefined) out.span = span;
  if (callId !== undefined) out.observedCallId = callId;
  return out;
}
