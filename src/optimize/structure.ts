/** What Node sends Python about a program and its data. */
import { ConfigurationError } from "../errors.js";
import { Example, type Fields } from "../modules/example.js";
import type { Module } from "../modules/module.js";
import { Predict } from "../modules/predict.js";
import type { Signature } from "../signature/signature.js";
import type { Trainset } from "./types.js";

export interface SignatureSpec {
  name: string;
  instructions: string;
  fields: { name: string; kind: "input" | "output"; type: string; prefix: string; description: string }[];
}

export interface ProgramStructure {
  predictors: { name: string; signature: SignatureSpec; demos: Fields[] }[];
}

export interface ExampleRecord {
  fields: Fields;
  inputs: string[];
}

export function signatureSpec(signature: Signature): SignatureSpec {
  return {
    name: "ProgramSignature",
    instructions: signature.instructions,
    fields: signature.fields.map((f) => ({
      name: f.name,
      kind: f.kind,
      type: f.typeName,
      prefix: f.prefix,
      description: f.description,
    })),
  };
}

/** The named predictors, their signatures and demos: enough to rebuild them as dspy.Predict. */
export function programStructure(program: Module): ProgramStructure {
  const predictors = program.namedPredictors().map(([name, p]) => {
    if (!(p instanceof Predict)) {
      throw new ConfigurationError(`Predictor "${name}" is not a Predict`, {
        fix: "optimizers work on programs whose parameters are Predict (or modules built on it)",
      });
    }
    const state = p.dumpState();
    return { name, signature: signatureSpec(p.signature), demos: state.demos as Fields[] };
  });
  if (predictors.length === 0) {
    throw new ConfigurationError("The program has no predictors to optimize", {
      fix: "keep Predict/ChainOfThought instances in the module's properties (arrays and records work too)",
    });
  }
  return { predictors };
}

/** Examples as `{fields, inputs}`; plain records (and Examples without input keys) take `inputKeys`. */
export function exampleRecords(
  data: Trainset,
  inputKeys: readonly string[] | undefined,
  what = "trainset",
): ExampleRecord[] {
  return data.map((item, i) => {
    const example = item instanceof Example ? item : new Example(item);
    const keys = example.inputKeys ? [...example.inputKeys] : inputKeys ? [...inputKeys] : undefined;
    if (!keys || keys.length === 0) {
      throw new ConfigurationError(`${what}[${i}] has no input keys`, {
        fix: 'call example.withInputs("question") or pass { inputKeys: ["question"] }',
      });
    }
    return { fields: example.toDict(), inputs: keys };
  });
}

export function toExample(record: ExampleRecord): Example {
  return new Example(record.fields, record.inputs);
}
