/**
 * An immutable signature: ordered input and output fields plus instructions. Mirrors
 * DSPy's Signature class (defaults, prefixes, editing methods, dump/load state) so that
 * prompts and saved programs match DSPy's byte for byte.
 */
import { SignatureError } from "./errors.js";
import type { InferSignature, InferSignatureMap, InputsOf, OutputsOf, SignatureInput, UntypedFields } from "./infer.js";
import { parseSignatureString, parseTypeString } from "./parse.js";
import { cleandoc, inferPrefix } from "./prefix.js";
import { annotationName, type JSONSchema, jsonSchema, STR, type TypeNode } from "./types.js";

export type FieldKind = "input" | "output";

export interface Field {
  readonly name: string;
  readonly kind: FieldKind;
  readonly type: TypeNode;
  /** Python spelling of the type, as DSPy prints it ("list[str]", "Union[int, NoneType]"). */
  readonly typeName: string;
  /** DSPy's `desc`; defaults to the placeholder `${name}`, which adapters treat as "no description". */
  readonly description: string;
  /** DSPy's `prefix`, e.g. "Question:". */
  readonly prefix: string;
  /** True when the string form gave no type (DSPy then assumes str). */
  readonly typeUndefined: boolean;
  /** pydantic-style JSON schema of the type, keys ordered as DSPy prints them. */
  readonly jsonSchema: JSONSchema;
  /** Human-readable constraints, as DSPy renders pydantic constraints. */
  readonly constraints?: string;
}

/** What callers give to describe a field: a type string, a type node, or a full spec. */
export interface FieldSpec {
  type?: string | TypeNode;
  desc?: string;
  prefix?: string;
  constraints?: string;
}

export interface SignatureMap {
  instructions?: string;
  inputs: Record<string, string | FieldSpec>;
  outputs: Record<string, string | FieldSpec>;
}

export interface SignatureState {
  instructions: string;
  fields: { prefix: string; description: string }[];
}

export function makeField(name: string, kind: FieldKind, spec: FieldSpec = {}, typeUndefined = false): Field {
  const given = spec.type === undefined ? STR : typeof spec.type === "string" ? parseTypeString(spec.type) : spec.type;
  // pydantic unwraps a field's own Annotated[T, ...] into T plus metadata.
  const { annotated: _meta, ...type } = given;
  return {
    name,
    kind,
    type,
    typeName: annotationName(type),
    description: spec.desc ?? `\${${name}}`,
    prefix: spec.prefix ?? `${inferPrefix(name)}:`,
    typeUndefined: typeUndefined || spec.type === undefined,
    jsonSchema: jsonSchema(type),
    ...(spec.constraints ? { constraints: spec.constraints } : {}),
  };
}

/** Carries the compile-time field types; there is no such property at run time. */
declare const FIELD_TYPES: unique symbol;

/**
 * `I` and `O` are the compile-time types of the input and output fields (see infer.ts); the
 * runtime never looks at them. `Signature.parse("question -> answer: int")` is a
 * `Signature<{ question: string }, { answer: number }>`; a plain `Signature` is untyped.
 */
export class Signature<I extends UntypedFields = UntypedFields, O extends UntypedFields = UntypedFields> {
  declare readonly [FIELD_TYPES]?: { inputs: I; outputs: O };
  readonly instructions: string;
  readonly inputFields: readonly Field[];
  readonly outputFields: readonly Field[];
  private readonly byName: ReadonlyMap<string, Field>;

  /**
   * From fields; a string spec is also accepted and read as `Signature.parse` reads it (use
   * `Signature.parse` itself to get the field types at compile time).
   */
  constructor(spec: string, instructions?: string);
  constructor(inputFields: readonly Field[], outputFields: readonly Field[], instructions?: string);
  constructor(
    inputFieldsOrSpec: readonly Field[] | string,
    outputFieldsOrInstructions?: readonly Field[] | string,
    instructions?: string,
  ) {
    let inputFields: readonly Field[];
    let outputFields: readonly Field[];
    if (typeof inputFieldsOrSpec === "string") {
      const parsed = Signature.parse(
        inputFieldsOrSpec,
        typeof outputFieldsOrInstructions === "string" ? outputFieldsOrInstructions : undefined,
      );
      inputFields = parsed.inputFields;
      outputFields = parsed.outputFields;
      instructions = parsed.instructions;
    } else if (Array.isArray(inputFieldsOrSpec) && Array.isArray(outputFieldsOrInstructions)) {
      inputFields = inputFieldsOrSpec;
      outputFields = outputFieldsOrInstructions;
    } else {
      throw new SignatureError("new Signature() takes a signature string or two lists of fields", {
        fix: 'write Signature.parse("question -> answer") or Signature.from({ inputs: {...}, outputs: {...} })',
      });
    }
    const seen = new Set<string>();
    for (const f of [...inputFields, ...outputFields]) {
      if (seen.has(f.name)) {
        throw new SignatureError(`Duplicate field "${f.name}"`, {
          fix: "input and output fields must have distinct names",
        });
      }
      seen.add(f.name);
    }
    this.inputFields = Object.freeze([...inputFields]);
    this.outputFields = Object.freeze([...outputFields]);
    // DSPy falls back to its default text only when no instructions or "" are given; whitespace-only
    // instructions clean to "", which the next derived signature (ChainOfThought's) turns into its default.
    this.instructions = cleandoc(
      instructions === undefined || instructions === "" ? defaultInstructions(inputFields, outputFields) : instructions,
    );
    this.byName = new Map([...inputFields, ...outputFields].map((f) => [f.name, f]));
    Object.freeze(this);
  }

  /** Reads DSPy's string syntax: `"question: str, context: list[str] -> answer"`. */
  static parse<const S extends string>(
    spec: S,
    instructions?: string,
  ): Signature<InferSignature<S>["inputs"], InferSignature<S>["outputs"]> {
    const parsed = parseSignatureString(spec);
    return new Signature(
      parsed.inputs.map((f) => makeField(f.name, "input", { type: f.type }, f.typeUndefined)),
      parsed.outputs.map((f) => makeField(f.name, "output", { type: f.type }, f.typeUndefined)),
      instructions,
    );
  }

  /** The map form, with descriptions: `{ instructions, inputs: { q: { type, desc } }, outputs }`. */
  static fromMap<const M extends SignatureMap>(
    map: M,
  ): Signature<InferSignatureMap<M>["inputs"], InferSignatureMap<M>["outputs"]> {
    const build = (kind: FieldKind, entries: Record<string, string | FieldSpec>) =>
      Object.entries(entries).map(([name, spec]) => {
        if (!/^[\p{L}_][\p{L}\p{N}_]*$/u.test(name)) {
          throw new SignatureError(`"${name}" is not a valid field name`, { fix: "use a Python identifier" });
        }
        return makeField(name, kind, typeof spec === "string" ? { type: spec } : spec);
      });
    if (!map.inputs || !map.outputs) {
      throw new SignatureError("A signature map needs both `inputs` and `outputs`", {
        fix: "write { inputs: { question: 'str' }, outputs: { answer: 'str' } }",
      });
    }
    const inputs = build("input", map.inputs);
    const outputs = build("output", map.outputs);
    if (outputs.length === 0) {
      throw new SignatureError("A signature map needs at least one output field", {
        fix: "write outputs: { answer: 'str' }",
      });
    }
    return new Signature(inputs, outputs, map.instructions);
  }

  /** Accepts any of the forms a user may pass where a signature is expected. */
  static from<const S extends SignatureInput>(spec: S, instructions?: string): Signature<InputsOf<S>, OutputsOf<S>>;
  static from(spec: SignatureInput, instructions?: string): Signature {
    if (spec instanceof Signature) return instructions === undefined ? spec : spec.withInstructions(instructions);
    if (typeof spec === "string") return Signature.parse(spec, instructions);
    if (spec && typeof spec === "object" && "inputs" in spec) {
      return Signature.fromMap(instructions === undefined ? spec : { ...spec, instructions });
    }
    throw new SignatureError("Expected a signature string, a signature map or a Signature", {
      fix: 'pass e.g. "question -> answer"',
    });
  }

  get fields(): readonly Field[] {
    return [...this.inputFields, ...this.outputFields];
  }

  field(name: string): Field | undefined {
    return this.byName.get(name);
  }

  /** DSPy's `signature` property: "a, b -> c". */
  get spec(): string {
    return `${this.inputFields.map((f) => f.name).join(", ")} -> ${this.outputFields.map((f) => f.name).join(", ")}`;
  }

  toString(): string {
    return this.spec;
  }

  withInstructions(instructions: string): Signature<I, O> {
    return new Signature(this.inputFields, this.outputFields, instructions);
  }

  appendInstructions(extra: string): Signature<I, O> {
    return this.withInstructions(`${this.instructions}\n\n${extra}`);
  }

  /** Adds a field after the others of its kind; the instructions are kept, as in DSPy. */
  append(name: string, kind: FieldKind, spec: FieldSpec = {}): Signature {
    return this.insert(kind === "input" ? this.inputFields.length : this.outputFields.length, name, kind, spec);
  }

  /** Adds a field before the others of its kind; the instructions are kept, as in DSPy. */
  prepend(name: string, kind: FieldKind, spec: FieldSpec = {}): Signature {
    return this.insert(0, name, kind, spec);
  }

  insert(index: number, name: string, kind: FieldKind, spec: FieldSpec = {}): Signature {
    const list = [...(kind === "input" ? this.inputFields : this.outputFields)];
    const at = index < 0 ? list.length + 1 + index : index;
    if (at < 0 || at > list.length) {
      throw new SignatureError(`Invalid index ${index} to insert a ${kind} field`, {
        fix: `use an index between 0 and ${list.length}`,
      });
    }
    const other = (kind === "input" ? this.outputFields : this.inputFields).find((f) => f.name === name);
    if (other) {
      // DSPy would silently turn the existing field into the new kind; that is never what a caller means.
      throw new SignatureError(`Field "${name}" already exists as an ${other.kind} field`, {
        fix: `choose another name, or delete("${name}") first`,
      });
    }
    list.splice(at, 0, makeField(name, kind, spec));
    const all = kind === "input" ? [...list, ...this.outputFields] : [...this.inputFields, ...list];
    // DSPy rebuilds the fields as a dict: a name already present keeps its first position and takes
    // the last definition, so ChainOfThought("q -> reasoning, answer") keeps the user's `reasoning`.
    const byName = new Map<string, Field>();
    for (const f of all) byName.set(f.name, f);
    const order = [...new Set(all.map((f) => f.name))].map((n) => byName.get(n)!);
    return new Signature(
      order.filter((f) => f.kind === "input"),
      order.filter((f) => f.kind === "output"),
      this.instructions,
    );
  }

  delete(name: string): Signature {
    return new Signature(
      this.inputFields.filter((f) => f.name !== name),
      this.outputFields.filter((f) => f.name !== name),
      this.instructions,
    );
  }

  withUpdatedField(name: string, spec: FieldSpec): Signature {
    const current = this.byName.get(name);
    if (!current) {
      throw new SignatureError(`No field "${name}"`, {
        fix: `fields are: ${this.fields.map((f) => f.name).join(", ")}`,
      });
    }
    const updated = makeField(name, current.kind, {
      type: spec.type ?? current.type,
      desc: spec.desc ?? current.description,
      prefix: spec.prefix ?? current.prefix,
      ...((spec.constraints ?? current.constraints) ? { constraints: spec.constraints ?? current.constraints } : {}),
    });
    const swap = (list: readonly Field[]) => list.map((f) => (f.name === name ? updated : f));
    return new Signature(swap(this.inputFields), swap(this.outputFields), this.instructions);
  }

  /** DSPy's `dump_state`: instructions plus each field's prefix and description, inputs first. */
  dumpState(): SignatureState {
    return {
      instructions: this.instructions,
      fields: this.fields.map((f) => ({ prefix: f.prefix, description: f.description })),
    };
  }

  /** DSPy's `load_state`: positional, tolerant of a shorter list (as DSPy's `zip(strict=False)`). */
  loadState(state: SignatureState): Signature<I, O> {
    const fields = this.fields.map((f, i) => {
      const saved = state.fields[i];
      return saved ? { ...f, prefix: saved.prefix, description: saved.description } : f;
    });
    return new Signature(
      fields.filter((f) => f.kind === "input"),
      fields.filter((f) => f.kind === "output"),
      state.instructions,
    );
  }

  equals(other: Signature<UntypedFields, UntypedFields>): boolean {
    if (this.instructions !== other.instructions) return false;
    const a = this.fields;
    const b = other.fields;
    return (
      a.length === b.length &&
      a.every((f, i) => {
        const g = b[i]!;
        return (
          f.name === g.name &&
          f.kind === g.kind &&
          f.typeName === g.typeName &&
          f.prefix === g.prefix &&
          f.description === g.description
        );
      })
    );
  }
}

function defaultInstructions(inputs: readonly Field[], outputs: readonly Field[]): string {
  const list = (fs: readonly Field[]) => fs.map((f) => `\`${f.name}\``).join(", ");
  return `Given the fields ${list(inputs)}, produce the fields ${list(outputs)}.`;
}
