/**
 * DSPy's Prediction: the first completion's fields as properties, all completions in
 * `completions`, plus the LM usage that produced it.
 */
import type { Usage } from "../lm/types.js";
import { Example, type Fields } from "./example.js";

const COMPLETIONS: unique symbol = Symbol("completions");
const LM_USAGE: unique symbol = Symbol("lmUsage");

export class Prediction extends Example {
  // Symbol-keyed, like Example's metadata, so they never show among the fields.
  private readonly [COMPLETIONS]: readonly Fields[];
  private [LM_USAGE]: Usage | undefined = undefined;

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

  static fromCompletions(completions: readonly Fields[]): Prediction {
    return new Prediction(completions[0] ?? {}, completions);
  }

  /** Numeric value of a `score` field, for DSPy-style comparisons of feedback predictions. */
  override valueOf(): number {
    const score = this.score;
    return typeof score === "number" ? score : Number.NaN;
  }
}
