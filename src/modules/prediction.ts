/**
 * DSPy's Prediction: the first completion's fields as properties, all completions in
 * `completions`, plus the LM usage that produced it.
 */
import type { Usage } from "../lm/types.js";
import { Example, type Fields } from "./example.js";

export class Prediction extends Example {
  declare readonly completions: readonly Fields[];
  declare lmUsage: Usage | undefined;

  constructor(fields: Fields = {}, completions?: readonly Fields[]) {
    super(fields);
    Object.defineProperty(this, "completions", { value: completions ?? [fields], enumerable: false });
    Object.defineProperty(this, "lmUsage", { value: undefined, enumerable: false, writable: true });
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
