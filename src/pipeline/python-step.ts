/**
 * A pipeline step that runs a DSPy module by class name and signature in the Python pool,
 * e.g. `pythonStep("answer", "dspy.ChainOfThought", "question, context: list[str] -> answer")`.
 */
import { ConfigurationError } from "../errors.js";
import { MultiChainComparison } from "../modules/python/multi-chain-comparison.js";
import { PythonChainOfThought, PythonPredict } from "../modules/python/predict.js";
import { ProgramOfThought } from "../modules/python/program-of-thought.js";
import type { PythonModule, PythonModuleOptions } from "../modules/python/python-module.js";
import type { Signature, SignatureMap } from "../signature/signature.js";
import { type Step, type StepOptions, step } from "./step.js";

type Spec = string | Signature | SignatureMap;

const CLASSES: Record<string, (signature: Spec, options: PythonModuleOptions) => PythonModule> = {
  Predict: (s, o) => new PythonPredict(s, o),
  ChainOfThought: (s, o) => new PythonChainOfThought(s, o),
  MultiChainComparison: (s, o) => new MultiChainComparison(s, o),
  ProgramOfThought: (s, o) => new ProgramOfThought(s, o),
};

export function pythonStep(
  name: string,
  className: string,
  signature: Spec,
  options: PythonModuleOptions & StepOptions = {},
): Step {
  const make = CLASSES[className.replace(/^dspy\./, "")];
  if (!make) {
    throw new ConfigurationError(`No Python module "${className}" for pipeline step "${name}"`, {
      fix: `use one of ${Object.keys(CLASSES)
        .map((c) => `dspy.${c}`)
        .join(", ")}; ReAct needs tools, so add it as a module step: step(name, new ReAct(...))`,
    });
  }
  const { inputs, outputs, ...moduleOptions } = options;
  return step(name, make(signature, moduleOptions), {
    ...(inputs ? { inputs } : {}),
    ...(outputs ? { outputs } : {}),
  });
}
