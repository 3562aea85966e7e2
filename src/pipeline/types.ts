import { DSPexError } from "../errors.js";
import type { Fields } from "../modules/example.js";

export interface StepReport {
  name: string;
  status: "ok" | "failed" | "skipped";
  latencyMs: number;
  /** LM calls made by the step (cache hits included), and their tokens (cache hits add none). */
  lmCalls: number;
  cachedCalls: number;
  tokens: number;
  error?: string;
  /** Sub-steps of a parallel or branch step. */
  children?: StepReport[];
}

/**
 * Progress of a run. Top-level steps have `path` [name]; the children of a parallel or branch
 * step report too, with the path from the top (["retrieve", "retrieve[0]"]), so a renderer can
 * draw the live tree. `index`/`total` count among the step's siblings at the top level only.
 */
export type PipelineEvent =
  | { type: "step-start"; step: string; path: readonly string[]; index: number; total: number }
  | { type: "step-end"; step: string; path: readonly string[]; index: number; total: number; report: StepReport };

export interface RunOptions {
  onProgress?: (event: PipelineEvent) => void;
  signal?: AbortSignal;
  /** "fail-fast" (default) stops at the first failing step; "collect" records it and goes on. */
  errors?: "fail-fast" | "collect";
}

export interface PipelineResult {
  /** The state after the last step: the input plus every step's outputs. */
  output: Fields;
  steps: StepReport[];
  /** Failures recorded in "collect" mode. */
  errors: { step: string; error: unknown }[];
  latencyMs: number;
}

/** A step failed: names it, keeps the reports and the state reached so far. */
export class PipelineError extends DSPexError {
  readonly step: string;
  readonly partial: Fields;
  readonly steps: StepReport[];

  constructor(step: string, cause: unknown, partial: Fields, steps: StepReport[]) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Pipeline step "${step}" failed: ${reason}`, {
      cause,
      context: { step, completedSteps: steps.filter((s) => s.status === "ok").map((s) => s.name) },
      fix: 'inspect error.partial for the state reached; run with { errors: "collect" } to go on past failures',
    });
    this.step = step;
    this.partial = partial;
    this.steps = steps;
  }
}
