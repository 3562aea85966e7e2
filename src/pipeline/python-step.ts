/**
 * A pipeline step that runs a DSPy module by class name and signature in the Python pool,
 * e.g. `pythonStep("answer", "dspy.ChainOfThought", "question, context: list[str] -> answer")`,
 * or a Python-backed module the program holds as a field (so optimizers see its predictors):
 * `pythonStep("refine", this.refine)`.
 */
import { ConfigurationError } from "../errors.js";
import { MultiChainComparison } from "../modules/python/multi-chain-comparison.js";
import { PythonChainOfThought, PythonPredict } from "../modules/python/predict.js";
import { ProgramOfThought } from "../modules/python/program-of-thought.js";
import { PythonModule, type PythonModuleOptions } from "../modules/python/python-module.js";
import type { Signature, SignatureMap } from "../signature/signature.js";
import { type Step, type StepOptions, step } from "./step.js";

type Spec = string | Signature | SignatureMap;

const CLASSES: Record<string, (signature: Spec, options: PythonModuleOptions) => PythonModule> = {
  Predict: (s, o) => new PythonPredict(s, o),
  ChainOfThought: (s, o) => new PythonChainOfThought(s, o),
  MultiChainComparison: (s, o) => new MultiChainComparison(s, o),
  ProgramOfThought: (s, o) => new ProgramOfThought(s, o),
};

export function pythonStep(name: string, module: PythonModule, options?: StepOptions): Step;
export function pythonStep(
  name: string,
  className: string,
  signature: Spec,
  options?: PythonModuleOptions & StepOptions,
): Step;
export function pythonStep(
  name: string,
  target: string | PythonModule,
  signatureOrOptions?: Spec | StepOptions,
  maybeOptions: PythonModuleOptions & StepOptions = {},
): Step {
  if (target instanceof PythonModule) {
    const { inputs, outputs } = (signatureOrOptions ?? {}) as StepOptions;
    return step(name, target, { ...(inputs ? { inputs } : {}), ...(outputs ? { outputs } : {}) });
  }
  if (typeof target !== "string") {
    throw new ConfigurationError(`pythonStep "${name}" needs a DSPy class name or a Python-backed module`, {
      fix: 'pass "dspy.ChainOfThought" and a signature, or a module such as new PythonChainOfThought(...)',
    });
  }
  const className = target;
  const signature = signatureOrOptions as Spec;
  const options = maybeOptions;
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
