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

/** An optimizer was given an empty trainset, valset or evalset; caught in Node, before any worker. */
export class EmptyDatasetError extends ConfigurationError {}

/**
 * The labels a metric will read are the program's output fields that the examples carry. An
 * example that lacks one (while others have it) scores 0 or makes the metric throw, which DSPy
 * then turns into "0 demos" without a word, so we warn, naming the examples.
 */
export function warnMissingLabels(
  program: Module,
  records: readonly ExampleRecord[],
  what: string,
  warn: (message: string) => void = console.warn,
): void {
  const outputs = new Set<string>();
  for (const [, p] of program.namedPredictors()) {
    if (p instanceof Predict) for (const f of p.signature.outputFields) outputs.add(f.name);
  }
  const labelsOf = (r: ExampleRecord) =>
    Object.keys(r.fields).filter((k) => !r.inputs.includes(k) && r.fields[k] !== undefined);
  const indices = (xs: readonly number[]) =>
    `${xs.slice(0, 10).join(", ")}${xs.length > 10 ? ` and ${xs.length - 10} more` : ""}`;
  const unlabeled = records.flatMap((r, i) => (labelsOf(r).length === 0 ? [i] : []));
  if (unlabeled.length > 0) {
    const expected = [...outputs].map((o) => `"${o}"`).join(", ");
    warn(
      `${what}: ${unlabeled.length} example${unlabeled.length > 1 ? "s have" : " has"} no label, only inputs ` +
        `(indices ${indices(unlabeled)}); a metric comparing against ${expected || "a label"} will score ` +
        "them 0 and they will give no demos",
    );
  }
  // Labels named after an output field that some examples carry and others lack.
  const carried = new Set(records.flatMap(labelsOf).filter((k) => outputs.has(k)));
  for (const label of carried) {
    const lacking = records.flatMap((r, i) => (r.fields[label] === undefined && !unlabeled.includes(i) ? [i] : []));
    if (lacking.length === 0) continue;
    warn(
      `${what}: ${lacking.length} example${lacking.length > 1 ? "s lack" : " lacks"} the label "${label}" ` +
        `that the others carry (indices ${indices(lacking)}); a metric reading it will score them 0`,
    );
  }
}

/** Examples as `{fields, inputs}`; plain records (and Examples without input keys) take `inputKeys`. */
export function exampleRecords(
  data: Trainset,
  inputKeys: readonly string[] | undefined,
  what = "trainset",
): ExampleRecord[] {
  if (data.length === 0) {
    throw new EmptyDatasetError(`The ${what} is empty`, {
      context: { dataset: what },
      fix: `pass at least one example in the ${what} (DSPy's optimizers need examples to bootstrap and score)`,
    });
  }
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
