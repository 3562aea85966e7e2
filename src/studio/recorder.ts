/**
 * The run recorder: a Callback (DSPy's BaseCallback) that writes what it sees into the studio's
 * store. Each Evaluate and each optimizer run is a run of its own; other work is a run when
 * nothing observed encloses it (`dspex run`'s program call). Inside a run, every module, LM and
 * tool call is a span whose parent is the work it ran in (the events' parentCallId), so a run's
 * spans are the tree of module -> LM calls behind each answer.
 *
 * Recording never fails the work: the first store error is reported once and recording stops.
 */
import type { Callback, CompileProgressEvent, EndEvent, StartEvent } from "../runtime/callbacks.js";
import { scrubSecrets } from "../lm/scrub.js";
import { storable } from "./storable.js";
import type { ExampleRow, RunKind, RunStore, SpanKind } from "./store.js";

export interface RunRecorderOptions {
  store: RunStore;
  /** Credentials to remove wherever they occur in what is stored (see storable.ts). */
  secrets?: readonly string[];
  now?: () => number;
}

interface Open {
  id: string;
  runId: string;
  parentId: string | null;
  kind: SpanKind;
  name: string;
  startedAt: number;
  inputs: string | null;
  /** Evaluate: its program calls, to tie each example to its trace. */
  calls?: { id: string; inputs: string | null }[];
  /** Optimizer run: the program's state before, and its progress so far. */
  before?: unknown;
  trials?: number;
  best?: number;
}

const RUN_KIND: Record<SpanKind, RunKind> = {
  evaluate: "evaluate",
  compile: "optimize",
  module: "program",
  lm: "lm",
  tool: "tool",
};

export class RunRecorder implements Callback {
  readonly store: RunStore;
  /** The ids of the runs this recorder started, oldest first. */
  readonly runIds: string[] = [];
  private readonly secrets: readonly string[];
  private readonly now: () => number;
  private readonly open = new Map<string, Open>();
  private failed = false;

  constructor(options: RunRecorderOptions) {
    this.store = options.store;
    this.secrets = options.secrets ?? [];
    this.now = options.now ?? Date.now;
  }

  onModuleStart(e: StartEvent): void {
    this.guard(() => this.start("module", e));
  }
  onModuleEnd(e: EndEvent): void {
    this.guard(() => this.end(e));
  }
  onLMStart(e: StartEvent): void {
    this.guard(() => this.start("lm", e));
  }
  onLMEnd(e: EndEvent): void {
    this.guard(() => this.end(e));
  }
  onToolStart(e: StartEvent): void {
    this.guard(() => this.start("tool", e));
  }
  onToolEnd(e: EndEvent): void {
    this.guard(() => this.end(e));
  }
  onEvaluateStart(e: StartEvent): void {
    this.guard(() => this.start("evaluate", e));
  }
  onEvaluateEnd(e: EndEvent): void {
    this.guard(() => this.end(e));
  }
  onCompileStart(e: StartEvent): void {
    this.guard(() => this.start("compile", e));
  }
  onCompileEnd(e: EndEvent): void {
    this.guard(() => this.end(e));
  }
  onCompileProgress(e: CompileProgressEvent): void {
    this.guard(() => this.progress(e));
  }

  private guard(fn: () => void): void {
    if (this.failed) return;
    try {
      fn();
    } catch (error) {
      this.failed = true;
      console.warn(
        `dspex: recording runs stopped (${this.store.path}): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private json(value: unknown): string {
    return storable(value, this.secrets);
  }

  private start(kind: SpanKind, e: StartEvent): void {
    const parent = e.parentCallId === undefined ? undefined : this.open.get(e.parentCallId);
    // Evaluate and optimizer runs are runs of their own even inside other work.
    const ownRun = parent === undefined || kind === "evaluate" || kind === "compile";
    const span: Open = {
      id: e.callId,
      runId: ownRun ? e.callId : parent.runId,
      parentId: ownRun ? null : parent.id,
      kind,
      name: e.name,
      startedAt: this.now(),
      inputs: this.startInputs(kind, e),
    };
    if (kind === "evaluate") span.calls = [];
    if (kind === "compile") {
      span.before = stateOf(e.instance);
      span.trials = 0;
    }
    if (parent?.calls !== undefined && kind === "module") parent.calls.push({ id: span.id, inputs: span.inputs });
    this.open.set(e.callId, span);
    if (ownRun) this.runIds.push(span.id);
    if (ownRun) this.store.startRun({ id: span.id, kind: RUN_KIND[kind], name: e.name, startedAt: span.startedAt });
  }

  private startInputs(kind: SpanKind, e: StartEvent): string | null {
    const inputs = e.inputs as Record<string, unknown> | undefined;
    if (kind === "evaluate") return this.json({ program: nameOf(inputs?.program) });
    if (kind === "compile") {
      return this.json({
        optimizer: inputs?.optimizer,
        trainset: sizeOf(inputs?.trainset),
        valset: sizeOf(inputs?.valset),
      });
    }
    return this.json(inputs);
  }

  private end(e: EndEvent): void {
    const span = this.open.get(e.callId);
    if (span === undefined) return;
    this.open.delete(e.callId);
    const endedAt = this.now();
    const error = e.error === undefined ? null : scrubSecrets(messageOf(e.error), this.secrets);
    const failed = e.error !== undefined;
    const lm = span.kind === "lm" && !failed ? (e.outputs as LMOutputs) : undefined;
    this.store.addSpan({
      id: span.id,
      runId: span.runId,
      parentId: span.parentId,
      kind: span.kind,
      name: span.name,
      startedAt: span.startedAt,
      endedAt,
      inputs: span.inputs,
      outputs: failed ? null : this.endOutputs(span, e.outputs),
      error,
      promptTokens: lm?.usage?.promptTokens ?? null,
      completionTokens: lm?.usage?.completionTokens ?? null,
      cached: lm === undefined ? null : lm.cached ? 1 : 0,
    });
    // An Evaluate stopped early (maxErrors, abort) keeps the rows it finished on its error.
    const partial = failed && span.kind === "evaluate" ? partialRows(e.error) : undefined;
    if (span.kind === "evaluate" && (!failed || partial)) {
      this.recordExamples(span, failed ? { results: partial ?? [] } : (e.outputs as EvaluationOutputs));
    }
    if (span.runId !== span.id) return;
    const summary = failed
      ? {
          score: null,
          detail: partial ? this.json({ n: partial.length, program: programName(span), stopped: true }) : null,
        }
      : this.summary(span, e.outputs);
    this.store.endRun(span.id, { endedAt, status: failed ? "failed" : "ok", ...summary, error });
  }

  private endOutputs(span: Open, outputs: unknown): string {
    if (span.kind === "lm") {
      const o = outputs as LMOutputs;
      return this.json({
        outputs: o.outputs,
        model: o.model,
        cached: o.cached,
        usage: o.usage,
        finishReasons: o.finishReasons,
        toolCalls: o.toolCalls,
      });
    }
    if (span.kind === "evaluate") {
      const o = outputs as EvaluationOutputs;
      return this.json({ score: o.score, errors: o.errors });
    }
    if (span.kind === "compile") return this.json({ scores: (outputs as CompileOutputs).report?.scores });
    return this.json(outputs);
  }

  private summary(span: Open, outputs: unknown): { score: number | null; detail: string | null } {
    if (span.kind === "evaluate") {
      const o = outputs as EvaluationOutputs;
      const detail = { metricName: o.metricName, n: o.results.length, errors: o.errors, program: programName(span) };
      return { score: o.score, detail: this.json(detail) };
    }
    if (span.kind === "compile") {
      const report = (outputs as CompileOutputs).report ?? {};
      const { state, usage: _usage, ...rest } = report;
      const score = typeof report.scores?.after === "number" ? report.scores.after : (span.best ?? null);
      return { score, detail: this.json({ ...rest, before: span.before ?? null, after: state ?? null }) };
    }
    return { score: null, detail: null };
  }

  private recordExamples(span: Open, outputs: Pick<EvaluationOutputs, "results">): void {
    // Each example's program call had the example's inputs; identical inputs take calls in turn.
    const calls = new Map<string, string[]>();
    for (const c of span.calls ?? []) {
      const key = c.inputs ?? "";
      calls.set(key, [...(calls.get(key) ?? []), c.id]);
    }
    const rows: ExampleRow[] = outputs.results.map((r) => {
      const inputs = this.json(fieldsOf(r.example, "inputs"));
      const traceId = calls.get(inputs)?.shift() ?? null;
      return {
        runId: span.runId,
        idx: r.index,
        inputs,
        labels: this.json(fieldsOf(r.example, "labels")),
        prediction: this.json(r.prediction),
        score: r.score,
        error: r.error === undefined ? null : scrubSecrets(r.error.message, this.secrets),
        traceId,
      };
    });
    this.store.addExamples(rows);
  }

  private progress(e: CompileProgressEvent): void {
    const span = this.open.get(e.callId);
    if (span === undefined || span.kind !== "compile") return;
    const p = e.progress as { trial?: number; score?: number; bestScore?: number; message?: string };
    const seq = span.trials ?? 0;
    span.trials = seq + 1;
    if (typeof p.bestScore === "number") span.best = p.bestScore;
    this.store.addTrial({
      runId: span.runId,
      seq,
      trial: typeof p.trial === "number" ? p.trial : seq,
      score: typeof p.score === "number" ? p.score : null,
      best: typeof p.bestScore === "number" ? p.bestScore : null,
      message: scrubSecrets(String(p.message ?? ""), this.secrets),
      at: this.now(),
    });
  }
}

/** The structural parts of the events' payloads the recorder reads (their owners are higher floors). */
interface LMOutputs {
  outputs: string[];
  model: string;
  cached: boolean;
  usage?: { promptTokens: number; completionTokens: number };
  finishReasons?: unknown;
  toolCalls?: unknown;
}

interface EvaluationOutputs {
  score: number;
  errors: number;
  metricName: string;
  results: { index: number; example: unknown; prediction: unknown; score: number; error?: { message: string } }[];
}

interface CompileOutputs {
  report?: { scores?: { after?: number }; state?: unknown; usage?: unknown } & Record<string, unknown>;
}

function partialRows(error: unknown): EvaluationOutputs["results"] | undefined {
  const results = (error as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return undefined;
  return results.filter((r): r is EvaluationOutputs["results"][number] => r !== undefined && r !== null);
}

function programName(span: Open): string | undefined {
  try {
    const inputs = JSON.parse(span.inputs ?? "{}") as { program?: string };
    return inputs.program;
  } catch {
    return undefined;
  }
}

function stateOf(instance: unknown): unknown {
  const dump = (instance as { dumpState?: () => unknown } | null)?.dumpState;
  if (typeof dump !== "function") return undefined;
  try {
    const state = dump.call(instance) as Record<string, unknown> | undefined;
    // A bare predictor dumps itself flat; optimizers report it under DSPy's name for it, "self".
    return state !== undefined && ("signature" in state || "demos" in state) ? { self: state } : state;
  } catch {
    return undefined;
  }
}

function fieldsOf(example: unknown, part: "inputs" | "labels"): unknown {
  const fn = (example as Record<string, unknown> | null)?.[part];
  if (typeof fn !== "function") return {};
  try {
    return (fn as () => unknown).call(example);
  } catch {
    // An example without input keys has no inputs/labels split: all of it is shown as inputs.
    return part === "inputs" ? example : {};
  }
}

function nameOf(program: unknown): string {
  if (typeof program === "function") return program.name || "function";
  if (program !== null && typeof program === "object") return program.constructor?.name ?? "program";
  return String(program);
}

function sizeOf(data: unknown): number | null {
  return Array.isArray(data) ? data.length : null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
