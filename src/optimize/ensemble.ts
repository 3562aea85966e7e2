import { ConfigurationError } from "../errors.js";
import type { Module } from "../modules/module.js";
import { kwargs } from "./args.js";
import { PythonCompiledProgram } from "./kept-program.js";
import { ref, runOptimizer } from "./run.js";
import type { OptimizeOptions, OptimizeReport } from "./types.js";

export interface EnsembleOptions extends OptimizeOptions {
  /** "majority" (dspy.majority, the default here) or "none" (every output, as `completions`). */
  reduce?: "majority" | "none";
  /** Run this many programs, sampled per call; default all. */
  size?: number;
}

/**
 * DSPy's Ensemble: one program that runs several and reduces their outputs. The ensemble
 * runs in DSPy (sampling and dspy.majority), calling each TS program back; call `close()`
 * on the result when done with it.
 */
export async function ensemble(
  programs: readonly Module[],
  options: EnsembleOptions = {},
): Promise<{ program: PythonCompiledProgram; report: OptimizeReport }> {
  if (programs.length === 0) throw new ConfigurationError("ensemble needs at least one program");
  const outcome = await runOptimizer(
    programs[0]!,
    {
      optimizer: "Ensemble",
      init: kwargs({ reduce_fn: options.reduce === "none" ? undefined : ref.majority, size: options.size }),
      programs: [...programs],
      keep: true,
      needsLM: false,
    },
    options,
  );
  return { program: new PythonCompiledProgram(outcome.kept!, [...programs]), report: outcome.report };
}
