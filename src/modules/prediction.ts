/**
 * DSPy's Prediction: the first completion's fields as properties, all completions in
 * `completions`, plus the LM usage that produced it.
 */
import type { Usage } from "../lm/types.js";
import { Example, type Fields, type KnownMembers } from "./example.js";

const COMPLETIONS: unique symbol = Symbol("completions");
const LM_USAGE: unique symbol = Symbol("lmUsage");
const LM_USAGE_BY_MODEL: unique symbol = Symbol("lmUsageByModel");

class PredictionImpl extends Example {
  // Symbol-keyed, like Example's metadata, so they never show among the fields. Not `private`:
  // that would make the type nominal, and typed predictions are structural (see `Prediction`).
  readonly [COMPLETIONS]: readonly Fields[];
  [LM_USAGE]: Usage | undefined = undefined;
  [LM_USAGE_BY_MODEL]: Record<string, Usage> | undefined = undefined;

  constructor(fields: Fields = {}, completions?: readonly Fields[]) {
    super(fields);
    this[COMPLETIONS] = completions ?? [fields];
  }

  get completions(): readonly Fields[] {
    return this[COMPLETIONS];
  }

  get lmUsage(): Usage | undefined {
    return this[LM_USAGE];
  }

  set lmUsage(usage: Usage | undefined) {
    this[LM_USAGE] = usage;
  }

  /**
   * DSPy's `get_lm_usage()`: per model ("provider/model"), the tokens of the LM calls made for
   * this prediction, cache hits excluded. Set when `trackUsage` is on (configure or context).
   */
  getLmUsage(): Record<string, Usage> | undefined {
    return this[LM_USAGE_BY_MODEL];
  }

  setLmUsage(usage: Record<string, Usage> | undefined): void {
    this[LM_USAGE_BY_MODEL] = usage;
  }

  static fromCompletions(completions: readonly Fields[]): PredictionImpl {
    return new PredictionImpl(completions[0] ?? {}, completions);
  }

  /** Numeric value of a `score` field, for DSPy-style comparisons of feedback predictions. */
  override valueOf(): number {
    const score = this.score;
    return typeof score === "number" ? score : Number.NaN;
  }
}

/**
 * A prediction whose fields are `O`: `Prediction<{ answer: number }>` has `pred.answer: number`
 * and no `pred.anwser`. The default, `Prediction`, is the untyped one (any field, `unknown`).
 * A structural type over the runtime class, so that a typed prediction is still assignable
 * to the untyped one and to `Example`.
 */
export type Prediction<O extends Fields = Fields> = PredictionBase<O> & O;

/**
 * What every prediction has besides its fields. A type literal, not an interface: only those get
 * an implicit index signature, which keeps a typed prediction assignable to `Example`.
 */
export type PredictionBase<O extends Fields = Fields> = Omit<KnownMembers<PredictionImpl>, "completions"> & {
  /** Every completion's fields (n > 1); the prediction's own fields are the first's. */
  readonly completions: readonly O[];
};

export interface PredictionConstructor {
  new <O extends Fields = Fields>(fields?: O, completions?: readonly O[]): Prediction<O>;
  fromCompletions<O extends Fields = Fields>(completions: readonly O[]): Prediction<O>;
  readonly prototype: Prediction;
}

export const Prediction: PredictionConstructor = PredictionImpl as unknown as PredictionConstructor;
