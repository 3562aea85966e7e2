/**
 * A pipeline runs steps in order over a shared state, reporting per step its latency, LM calls
 * and tokens. Each step runs in its own settings scope with a usage tracker that also feeds the
 * caller's, so per-step figures add up to the run's.
 */
import type { Fields } from "../modules/example.js";
import { context, currentSettings } from "../runtime/settings.js";
import { UsageTracker } from "../lm/usage.js";
import type { Usage, LMResponse } from "../lm/types.js";
import { type Step, type StepContext, type StepLike, toStep } from "./step.js";
import { PipelineError, type PipelineResult, type RunOptions, type StepReport } from "./types.js";

/** A usage tracker that also records into its parent scope's tracker. */
class ScopedUsage extends UsageTracker {
  constructor(private readonly parent: UsageTracker | undefined) {
    super();
  }
  override record(response: LMResponse, provider?: string): void {
    super.record(response, provider);
    this.parent?.record(response, provider);
  }
}

export class Pipeline {
  readonly steps: readonly Step[];

  constructor(steps: readonly StepLike[]) {
    this.steps = steps.map((s, i) => toStep(s, `step${i + 1}`));
  }

  async run(input: Fields, options: RunOptions = {}): Promise<PipelineResult> {
    const started = performance.now();
    const mode = options.errors ?? "fail-fast";
    let state: Fields = { ...input };
    const reports: StepReport[] = [];
    const errors: { step: string; error: unknown }[] = [];
    const total = this.steps.length;

    for (const [index, step] of this.steps.entries()) {
      if (options.signal?.aborted) {
        throw new PipelineError(step.name, options.signal.reason ?? new Error("aborted"), state, reports);
      }
      const path = [step.name];
      options.onProgress?.({ type: "step-start", step: step.name, path, index, total });
      const { output, report, error } = await runStep(step, state, options.signal, path, options.onProgress);
      reports.push(report);
      options.onProgress?.({ type: "step-end", step: step.name, path, index, total, report });
      if (error !== undefined) {
        if (mode === "fail-fast") throw new PipelineError(step.name, error, state, reports);
        errors.push({ step: step.name, error });
        continue;
      }
      state = { ...state, ...output };
    }
    return { output: state, steps: reports, errors, latencyMs: performance.now() - started };
  }
}

async function runStep(
  step: Step,
  state: Fields,
  signal: AbortSignal | undefined,
  path: readonly string[],
  onProgress: RunOptions["onProgress"],
): Promise<{ output: Fields; report: StepReport; error?: unknown }> {
  const usage = new ScopedUsage(currentSettings().usage);
  const children: StepReport[] = [];
  const ctx: StepContext = {
    signal,
    async runChild(child, childState) {
      const childPath = [...path, child.name];
      const at = { step: child.name, path: childPath, index: children.length, total: 0 };
      onProgress?.({ type: "step-start", ...at });
      const r = await runStep(child, childState, signal, childPath, onProgress);
      onProgress?.({ type: "step-end", ...at, report: r.report });
      children.push(r.report);
      if (r.error !== undefined) throw r.error;
      return { output: r.output, report: r.report };
    },
  };
  const started = performance.now();
  const scope = signal ? { usage, signal } : { usage };
  try {
    const output = await context(scope, () => step.run(state, ctx));
    return { output: output ?? {}, report: report(step.name, "ok", started, usage, children) };
  } catch (error) {
    return { output: {}, report: report(step.name, "failed", started, usage, children, error), error };
  }
}

function report(
  name: string,
  status: StepReport["status"],
  started: number,
  usage: UsageTracker,
  children: StepReport[],
  error?: unknown,
): StepReport {
  const t = usage.snapshot().total as Usage & { calls: number; cachedCalls: number };
  return {
    name,
    status,
    latencyMs: performance.now() - started,
    lmCalls: t.calls,
    cachedCalls: t.cachedCalls,
    tokens: t.totalTokens,
    ...(error !== undefined ? { error: error instanceof Error ? error.message : String(error) } : {}),
    ...(children.length > 0 ? { children } : {}),
  };
}

/** DSPy-style facade: `pipeline([...steps]).run(input, { onProgress, signal })`. */
export function pipeline(steps: readonly StepLike[]): Pipeline {
  return new Pipeline(steps);
}
