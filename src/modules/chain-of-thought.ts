/** ChainOfThought: Predict with DSPy's `reasoning` output field placed before the others. */
import type { InputsOf, OutputsOf, SignatureInput, Simplify } from "../signature/infer.js";
import { Signature } from "../signature/signature.js";
import { Module } from "./module.js";
import { Predict, type PredictConfig } from "./predict.js";
import type { Prediction } from "./prediction.js";

export interface ChainOfThoughtOptions extends PredictConfig {
  /** Description of the reasoning field; DSPy's default is the `${reasoning}` placeholder. */
  rationaleDesc?: string;
}

/** The outputs of a ChainOfThought: DSPy's `reasoning` field, then the signature's own. */
export type WithReasoning<O> = Simplify<{ reasoning: string } & O>;

export class ChainOfThought<const S extends SignatureInput = string> extends Module<
  InputsOf<S>,
  WithReasoning<OutputsOf<S>>
> {
  readonly predict: Predict;

  constructor(signature: S, options: ChainOfThoughtOptions = {}) {
    super();
    const { rationaleDesc, ...config } = options;
    const extended = Signature.from(signature).prepend("reasoning", "output", {
      desc: rationaleDesc ?? "${reasoning}",
    });
    this.predict = new Predict(extended, config);
  }

  forward(inputs: InputsOf<S>): Promise<Prediction<WithReasoning<OutputsOf<S>>>> {
    // The extended signature's outputs are exactly these; Predict itself is stored untyped.
    return this.predict.call(inputs) as Promise<Prediction<WithReasoning<OutputsOf<S>>>>;
  }
}
