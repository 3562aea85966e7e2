/**
 * OpenTelemetry spans through `@opentelemetry/api`: nothing is recorded until the application
 * registers an SDK (a TracerProvider). Spans nest by the settings context rather than by an OTel
 * context manager, so the nesting also holds across Python's callbacks: they run under the
 * settings captured when the Node call started, and one optimizer run is one trace.
 *
 * LM spans follow the GenAI semantic conventions (`chat {model}`, gen_ai.request.model,
 * gen_ai.usage.input_tokens / output_tokens); tool spans are `execute_tool {name}`.
 */
import type * as OTel from "@opentelemetry/api";
import type { Span, TracerProvider } from "@opentelemetry/api";
import { onFirstUse } from "../lazy.js";
import type { LM, LMRequest, LMResponse } from "../lm/types.js";
import type { CallbackKind } from "./callbacks.js";

const TRACER = "dspex";

// The API (about 50 CommonJS files) loads when an SDK has registered a provider, not with
// `import("dspex")`: until then nothing needs it.
const otelApi = onFirstUse<typeof OTel>("@opentelemetry/api");
let noopProvider: TracerProvider | undefined;

/**
 * Where the API keeps what an application registers, shared by every copy of the API of this
 * major version: `trace` is set once a TracerProvider is registered. Read without loading the API.
 */
const OTEL_GLOBAL = Symbol.for("opentelemetry.js.api.1");

/** Whether an SDK is registered; without one no span is started at all (the hot path stays as it was). */
export function tracingEnabled(): boolean {
  const registered = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[OTEL_GLOBAL];
  if (registered?.trace === undefined) return false;
  const api = otelApi();
  noopProvider ??= new api.ProxyTracerProvider().getDelegate();
  const provider = api.trace.getTracerProvider();
  return provider instanceof api.ProxyTracerProvider ? provider.getDelegate() !== noopProvider : true;
}

interface SpanSubject {
  instance: unknown;
  name: string;
  inputs: unknown;
}

function spanName(kind: CallbackKind, subject: SpanSubject): string {
  switch (kind) {
    case "lm":
      return `chat ${subject.name}`;
    case "tool":
      return `execute_tool ${subject.name}`;
    case "module":
      return `module ${subject.name}`;
    case "evaluate":
      return "evaluate";
    case "compile":
      return `compile ${subject.name}`;
    default:
      return `${kind} ${subject.name}`;
  }
}

function startAttributes(kind: CallbackKind, subject: SpanSubject): Record<string, string | number | boolean> {
  if (kind === "lm") {
    const lm = subject.instance as LM;
    const request = subject.inputs as LMRequest;
    const attrs: Record<string, string | number | boolean> = {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": lm.provider,
      "gen_ai.request.model": lm.model,
    };
    if (request.temperature !== undefined) attrs["gen_ai.request.temperature"] = request.temperature;
    if (request.maxTokens !== undefined) attrs["gen_ai.request.max_tokens"] = request.maxTokens;
    if (request.n !== undefined) attrs["gen_ai.request.choice.count"] = request.n;
    return attrs;
  }
  if (kind === "tool") return { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": subject.name };
  return { [`dspex.${kind}`]: subject.name };
}

/** Starts the span for one piece of observed work, a child of `parent` (the settings' span). */
export function startSpan(kind: CallbackKind, subject: SpanSubject, parent: Span | undefined): Span {
  const { context: otelContext, SpanKind, trace } = otelApi();
  const tracer = trace.getTracer(TRACER);
  const ctx = parent ? trace.setSpan(otelContext.active(), parent) : otelContext.active();
  return tracer.startSpan(
    spanName(kind, subject),
    { kind: kind === "lm" ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes: startAttributes(kind, subject) },
    ctx,
  );
}

export function endSpan(span: Span, kind: CallbackKind, outputs: unknown, error: unknown, failed: boolean): void {
  if (failed) {
    const { SpanStatusCode } = otelApi();
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  } else if (kind === "lm") {
    const response = outputs as LMResponse;
    span.setAttributes({
      "gen_ai.response.model": response.model,
      "gen_ai.usage.input_tokens": response.usage.promptTokens,
      "gen_ai.usage.output_tokens": response.usage.completionTokens,
      "dspex.cached": response.cached,
    });
  }
  span.end();
}

/** A span for a bridge call (Node -> Python), nested under the span of the settings in context. */
export async function bridgeSpan<T>(
  parent: Span | undefined,
  pool: string,
  tool: string,
  fn: () => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return fn();
  const { context: otelContext, trace } = otelApi();
  const ctx = parent ? trace.setSpan(otelContext.active(), parent) : otelContext.active();
  const span = trace
    .getTracer(TRACER)
    .startSpan(`bridge ${tool}`, { attributes: { "dspex.bridge.pool": pool, "dspex.bridge.tool": tool } }, ctx);
  try {
    const out = await fn();
    span.end();
    return out;
  } catch (error) {
    endSpan(span, "module", undefined, error, true);
    throw error;
  }
}
