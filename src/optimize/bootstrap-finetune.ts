import { UnsupportedError } from "../errors.js";
import type { LM } from "../lm/types.js";
import type { Module } from "../modules/module.js";
import type { OptimizeMetric, OptimizeOptions, OptimizeResult, Trainset } from "./types.js";

export interface BootstrapFinetuneOptions extends OptimizeOptions {
  metric?: OptimizeMetric;
  /** The LM whose weights would be fine-tuned. */
  lm?: LM;
}

/** An LM that can fine-tune has a `finetune` method; none of DSPex's LMs has one. */
function canFinetune(lm: LM | undefined): boolean {
  return typeof (lm as { finetune?: unknown } | undefined)?.finetune === "function";
}

/**
 * DSPy's BootstrapFinetune trains the LM's weights on bootstrapped traces. That needs an LM
 * whose provider runs fine-tuning jobs and serves the tuned model, which no DSPex LM (and no
 * Node LM reachable from the worker) does yet, so this throws before touching Python.
 */
export async function bootstrapFinetune<P extends Module>(
  _program: P,
  _trainset: Trainset,
  options: BootstrapFinetuneOptions = {},
): Promise<OptimizeResult<P>> {
  const why = canFinetune(options.lm)
    ? "fine-tuning jobs cannot yet be run through the worker bridge"
    : "no LM here can fine-tune";
  throw new UnsupportedError(`bootstrapFinetune is not supported: ${why}`, {
    context: { lm: options.lm ? `${options.lm.provider}/${options.lm.model}` : undefined },
    fix:
      "it needs an LM with a fine-tuning provider (DSPy's Provider.finetune: e.g. OpenAI fine-tuning jobs or a local " +
      "trainer) that can start a job on the bootstrapped data and serve the tuned model; until then use " +
      "bootstrapFewShot or miproV2, which tune prompts instead of weights",
  });
}
