/**
 * zod interop: a pair of zod object schemas becomes a Signature. We go through zod's own
 * JSON-schema export so that any zod type maps by its wire shape, not by zod internals.
 */
import { z } from "zod";
import { SignatureError } from "./errors.js";
import { type Field, makeField, Signature } from "./signature.js";
import { type JSONSchema, type LiteralValue, makeUnion, type TypeNode } from "./types.js";

export interface ZodSignatureSpec<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  inputs: I;
  outputs: O;
  instructions?: string;
}

/**
 * An optional zod field is `Optional[...]` to DSPy, so a prediction may hold `null` there, not
 * only leave it out.
 */
export type ZodOutputs<O extends z.ZodObject> = {
  [K in keyof z.output<O>]: z.output<O>[K] | (undefined extends z.output<O>[K] ? null : never);
};

/** Typed by the schemas: inputs are `z.input<I>` (what callers pass), outputs `z.output<O>`. */
export function signatureFromZod<I extends z.ZodObject, O extends z.ZodObject>(
  spec: ZodSignatureSpec<I, O>,
): Signature<z.input<I>, ZodOutputs<O>> {
  if (!(spec.inputs instanceof z.ZodObject) || !(spec.outputs instanceof z.ZodObject)) {
    throw new SignatureError("`inputs` and `outputs` must be zod object schemas", {
      fix: "write { inputs: z.object({...}), outputs: z.object({...}) }",
    });
  }
  return new Signature(fieldsOf(spec.inputs, "input"), fieldsOf(spec.outputs, "output"), spec.instructions);
}

function fieldsOf(obj: z.ZodObject, kind: "input" | "output"): Field[] {
  const schema = z.toJSONSchema(obj, { unrepresentable: "any" }) as JSONSchema;
  const props = (schema.properties ?? {}) as Record<string, JSONSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props).map(([name, prop]) => {
    let type = typeFromJSONSchema(prop, name);
    if (!required.has(name)) type = makeUnion([type, { kind: "none" }]);
    const desc = typeof prop.description === "string" ? prop.description : undefined;
    return makeField(name, kind, { type, ...(desc ? { desc } : {}) });
  });
}

/** Maps a JSON schema back to the closest Python-style type DSPy would have used. */
export function typeFromJSONSchema(s: JSONSchema, name = "Model"): TypeNode {
  if (Array.isArray(s.anyOf)) return makeUnion((s.anyOf as JSONSchema[]).map((o) => typeFromJSONSchema(o, name)));
  if (Array.isArray(s.oneOf)) return makeUnion((s.oneOf as JSONSchema[]).map((o) => typeFromJSONSchema(o, name)));
  if ("const" in s) return { kind: "literal", values: [s.const as LiteralValue] };
  if (Array.isArray(s.enum)) return { kind: "literal", values: s.enum as LiteralValue[] };
  switch (s.type) {
    case "string":
      return { kind: "str" };
    case "integer":
      return { kind: "int" };
    case "number":
      return { kind: "float" };
    case "boolean":
      return { kind: "bool" };
    case "null":
      return { kind: "none" };
    case "array":
      return s.items && typeof s.items === "object" && Object.keys(s.items).length > 0
        ? { kind: "list", item: typeFromJSONSchema(s.items as JSONSchema, name) }
        : { kind: "list", alias: "list" };
    case "object": {
      const hasProps = s.properties && Object.keys(s.properties as object).length > 0;
      if (!hasProps) {
        const ap = s.additionalProperties;
        return ap && typeof ap === "object" && Object.keys(ap).length > 0
          ? { kind: "dict", key: { kind: "str" }, value: typeFromJSONSchema(ap as JSONSchema, name) }
          : { kind: "dict", alias: "dict" };
      }
      const { $schema: _ignored, ...rest } = s;
      return { kind: "object", name: typeof s.title === "string" ? s.title : pascal(name), schema: rest };
    }
    default:
      return { kind: "any" };
  }
}

function pascal(name: string): string {
  return name.replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase());
}
