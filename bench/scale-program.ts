/** The program the scale bench sends to `dspex worker` processes: one Predict, LM from the environment. */
import { answerExactMatch } from "../src/evaluate/metrics.js";
import { openai } from "../src/lm/providers/openai.js";
import type { Example } from "../src/modules/example.js";
import { Predict } from "../src/modules/predict.js";
import type { Prediction } from "../src/modules/prediction.js";

const url = process.env.DSPEX_BENCH_LM_URL;
if (!url) throw new Error("DSPEX_BENCH_LM_URL is not set");

export const lm = openai({ model: "loopback", baseURL: url, apiKey: "x", maxRetries: 0 });
export default new Predict("question -> answer");
export function metric(example: Example, prediction: Prediction): boolean {
  return answerExactMatch(example, prediction);
}
