/**
 * The optimizers as `import("dspex")` exports them: each loads optimize/ (and with it the bridge)
 * on its first call, so a program that only predicts never pays for them at start. The
 * `dspex/optimize` subpath exports the same functions directly.
 */
import type * as Optimize from "./index.js";

export { EmptyDatasetError } from "./structure.js";
export type { OptimizeReport, OptimizeResult } from "./types.js";

type Optimizers = typeof Optimize;
type OptimizerName = {
  [K in keyof Optimizers]: Optimizers[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof Optimizers];

function onFirstCall<K extends OptimizerName>(name: K): Optimizers[K] {
  const call = (...args: unknown[]): Promise<unknown> =>
    import("./index.js").then((optimize) => (optimize[name] as (...a: unknown[]) => Promise<unknown>)(...args));
  Object.defineProperty(call, "name", { value: name });
  return call as unknown as Optimizers[K];
}

export const bootstrapFewShot = onFirstCall("bootstrapFewShot");
export const bootstrapFewShotWithRandomSearch = onFirstCall("bootstrapFewShotWithRandomSearch");
export const bootstrapFinetune = onFirstCall("bootstrapFinetune");
export const copro = onFirstCall("copro");
export const ensemble = onFirstCall("ensemble");
export const gepa = onFirstCall("gepa");
export const knnFewShot = onFirstCall("knnFewShot");
export const labeledFewShot = onFirstCall("labeledFewShot");
export const miproV2 = onFirstCall("miproV2");
export const simba = onFirstCall("simba");
