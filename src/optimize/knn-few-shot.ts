import type { Module } from "../modules/module.js";
import type { BootstrapOptions } from "./bootstrap-few-shot.js";
import { bootstrapInit } from "./bootstrap-few-shot.js";
import type { TextEmbedder } from "./host.js";
import { PythonCompiledProgram } from "./kept-program.js";
import { ref, runOptimizer } from "./run.js";
import type { OptimizeReport, Trainset } from "./types.js";

export interface KNNFewShotOptions extends BootstrapOptions {
  /** Nearest trainset examples bootstrapped for each input. */
  k: number;
  /** Embeds the trainset (once) and each input, in Node. */
  embedder: TextEmbedder;
}

/**
 * DSPy's KNNFewShot. Its compiled program picks the k nearest trainset examples for every
 * input and bootstraps demos from them on the spot, so it keeps running in DSPy: the result
 * is a `PythonCompiledProgram` pinned to one worker (call `close()` when done with it).
 */
export async function knnFewShot<P extends Module>(
  program: P,
  trainset: Trainset,
  options: KNNFewShotOptions,
): Promise<{ program: PythonCompiledProgram; report: OptimizeReport }> {
  const outcome = await runOptimizer(
    program,
    {
      optimizer: "KNNFewShot",
      init: { k: options.k, trainset: ref.trainset, vectorizer: ref.embedder, ...bootstrapInit(options) },
      compile: options.teacher ? { teacher: ref.teacher } : {},
      trainset,
      embedder: options.embedder,
      ...(options.metric ? { metric: options.metric } : {}),
      ...(options.teacher ? { teacher: options.teacher } : {}),
      lms: { task: options.lm, teacher: options.teacherLm },
      keep: true,
    },
    options,
  );
  return { program: new PythonCompiledProgram(outcome.kept!, [outcome.program]), report: outcome.report };
}
