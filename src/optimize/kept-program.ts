/**
 * A program compiled by DSPy that must keep running in Python: KNNFewShot (which picks and
 * bootstraps demos per input) and Ensemble (which runs several programs and reduces their
 * outputs). Each call runs DSPy's compiled module in the session's worker, which calls the
 * TS program(s) back as during optimization.
 */
import { randomUUID } from "node:crypto";
import { UsageTracker } from "../lm/usage.js";
import type { Fields } from "../modules/example.js";
import { MEMBERS, Module } from "../modules/module.js";
import { copyProgram } from "../modules/walk.js";
import { Prediction } from "../modules/prediction.js";
import { currentSettings } from "../runtime/settings.js";
import { hostFor } from "./host.js";
import type { RunOutcome } from "./run.js";

type Kept = NonNullable<RunOutcome<Module>["kept"]>;

export class PythonCompiledProgram extends Module {
  readonly #kept: Kept;
  readonly #inner: Module[];

  constructor(kept: Kept, inner: Module[]) {
    super();
    this.#kept = kept;
    this.#inner = inner;
  }

  /** The wrapped programs' predictors (one program: its names; several: `programs[i].name`). */
  [MEMBERS](): Iterable<[string, unknown]> {
    if (this.#inner.length === 1) return this.#inner[0]!.namedParameters();
    return [["programs", this.#inner]];
  }

  /** A copy runs the same compiled program in Python over copies of the TS programs. */
  clone(): PythonCompiledProgram {
    return new PythonCompiledProgram(this.#kept, this.#inner.map(copyProgram));
  }

  async forward(inputs: Fields): Promise<Prediction> {
    const { pool, session, handle, spec } = this.#kept;
    const host = hostFor(pool);
    const settings = currentSettings();
    const usage = settings.usage ?? new UsageTracker();
    const id = randomUUID();
    const lm = settings.lm ?? spec.lms.task;
    host.begin(id, {
      ...spec,
      lms: lm ? { ...spec.lms, task: lm } : spec.lms,
      settings,
      usage,
      ...(settings.signal ? { signal: settings.signal } : {}),
    });
    try {
      const reply = await session.call<{ prediction: Fields | Fields[] }>(
        "optimize.forward",
        { run: id, handle, inputs },
        { timeoutMs: 0, ...(settings.signal ? { signal: settings.signal } : {}) },
      );
      const out = reply.prediction;
      return Array.isArray(out) ? Prediction.fromCompletions(out) : new Prediction(out);
    } finally {
      host.end(id);
    }
  }

  /** Frees the compiled program in the worker. Later calls fail. */
  close(): void {
    this.#kept.session.close();
  }
}
