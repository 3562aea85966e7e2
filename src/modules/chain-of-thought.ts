/** ChainOfThought: Predict with DSPy's `reasoning` output field placed before the others. */
import { Signature, type SignatureMap } from "../signature/signature.js";
import type { Fields } from "./example.js";
import { Module } from "./module.js";
import { Predict, type PredictConfig } from "./predict.js";
import type { Prediction } from "./prediction.js";

export interface ChainOfThoughtOptions extends PredictConfig {
  /** Description of the reasoning field; DSPy's default is the `${reasoning}` placeholder. */
  rationaleDesc?: string;
}

export class ChainOfThought extends Module {
  readonly predict: Predict;

  constructor(signature: string | Signature | SignatureMap, options: ChainOfThoughtOptions = {}) {
    super();
    const { rationaleDesc, ...config } = options;
    const extended = Signature.from(signature).prepend("reasoning", "output", {
      desc: rationaleDesc ?? "${reasoning}",
    });
    this.predict = new Predict(extended, config);
  }

  forward(inputs: Fields): Promise<Prediction> {
    return this.predict.call(inputs);
  }
}
