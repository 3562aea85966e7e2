/**
 * zod interop: a pair of zod object schemas becomes a Signature. We go through zod's own
 * JSON-schema export so that any zod type maps by its wire shape, not by zod internals.
 */
// Types only: zod is the caller's, already loaded when they pass a schema, so importing DSPex
// never loads it (about 95 files); its schemas carry what we need (`_zod`, `toJSONSchema()`).
import type { z } from "zod";
import { SignatureError } from "./errors.js";
import { type Field, makeField, Signature } from "./signature.js";
import { enumSchema, type JSONSchema, type LiteralValue, makeUnion, type TypeNode } from "./types.js";
import { withFloats } from "../py/builtins.js";
import { enumNode, scalarNode, schemaNode } from "../py/model-fields.js";

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
  if (!isZodObject(spec.inputs) || !isZodObject(spec.outputs)) {
    throw new SignatureError("`inputs` and `outputs` must be zod object schemas", {
      fix: "write { inputs: z.object({...}), outputs: z.object({...}) }",
    });
  }
  return new Signature(fieldsOf(spec.inputs, "input"), fieldsOf(spec.outputs, "output"), spec.instructions);
}

/** A zod (v4) object schema, by its shape: `instanceof` would need zod loaded here, and fails across copies. */
export function isZodObject(value: unknown): value is z.ZodObject {
  if (typeof value !== "object" || value === null) return false;
  const internals = (value as { _zod?: { def?: { type?: unknown } } })._zod;
  return internals?.def?.type === "object" && typeof (value as { toJSONSchema?: unknown }).toJSONSchema === "function";
}

function fieldsOf(obj: z.ZodObject, kind: "input" | "output"): Field[] {
  const schema = obj.toJSONSchema({ unrepresentable: "any" }) as JSONSchema;
  // The input view describes nested models as pydantic does: a default makes a key optional, and
  // no additionalProperties: false is added.
  const inputView = obj.toJSONSchema({ unrepresentable: "any", io: "input" }) as JSONSchema;
  const props = (inputView.properties ?? {}) as Record<string, JSONSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props).map(([name, prop]) => {
    let type = enumOf((obj.shape as Record<string, unknown>)[name]) ?? typeFromJSONSchema(prop, name);
    if (!required.has(name)) type = makeUnion([type, { kind: "none" }]);
    const desc = typeof prop.description === "string" ? prop.description : undefined;
    return makeField(name, kind, { type, ...(desc ? { desc } : {}) });
  });
}

/**
 * A zod enum with a title (`z.enum(Color).meta({ title: "Color" })`, a TypeScript enum or a list)
 * is a Python Enum class to DSPy: named by its title, members by name and value. Untitled, it
 * stays a Literal.
 */
function enumOf(schema: unknown): TypeNode | undefined {
  type Internals = {
    _zod?: { def?: { type?: string; innerType?: unknown; entries?: Record<string, string | number> } };
  };
  let s = schema as Internals & { meta?: () => { title?: unknown } | undefined };
  // A default keeps the class; optional or nullable make it a Union, which stays a Literal here.
  while (s?._zod?.def?.type === "default") s = s._zod.def.innerType as typeof s;
  const def = s?._zod?.def;
  if (def?.type !== "enum" || !def.entries || typeof s.meta !== "function") return undefined;
  const title = s.meta()?.title;
  if (typeof title !== "string") return undefined;
  // A numeric TypeScript enum maps values back to names too; only the name -> value half counts.
  const members = Object.entries(def.entries).filter(([k]) => !/^\d+$/.test(k));
  return { kind: "enum", name: title, members };
}

/** Maps a JSON schema back to the closest Python-style type DSPy would have used. */
export function typeFromJSONSchema(s: JSONSchema, name = "Model"): TypeNode {
  if (Array.isArray(s.anyOf)) return makeUnion((s.anyOf as JSONSchema[]).map((o) => typeFromJSONSchema(o, name)));
  if (Array.isArray(s.oneOf)) return makeUnion((s.oneOf as JSONSchema[]).map((o) => typeFromJSONSchema(o, name)));
  // A titled enum is an Enum class (zod's `.meta({ title })`), an untitled one a Literal.
  const named = enumNode(s);
  if (named) return named;
  if ("const" in s) return { kind: "literal", values: [s.const as LiteralValue] };
  if (Array.isArray(s.enum)) return { kind: "literal", values: s.enum as LiteralValue[] };
  const scalar = scalarNode(s.type);
  if (scalar) return scalar;
  switch (s.type) {
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
      const title = typeof s.title === "string" ? s.title : pascal(name);
      return { kind: "object", name: title, schema: pydanticModel(s, title) };
    }
    default:
      return { kind: "any" };
  }
}

function pascal(name: string): string {
  return name.replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase());
}

const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * pydantic's `model_json_schema()` for the model a zod object describes: properties titled from
 * their names (not those that are a model, or an optional model: pydantic leaves those untitled),
 * nested models in `$defs` behind `$ref`s, no safe-integer bounds (zod's z.int() adds them; Python
 * ints have none), no `propertyNames` for plain string keys, nested unions flattened as
 * `typing.Union` flattens them, and float defaults written as floats.
 */
function pydanticModel(s: JSONSchema, title: string): JSONSchema {
  const ctx: Ctx = { defs: {}, names: defNames(s) };
  const model = modelBody(s, title, ctx, true);
  const out = Object.keys(ctx.defs).length > 0 ? { ...model, $defs: ctx.defs } : model;
  floatDefaults(out, out);
  for (const def of Object.values(ctx.defs)) floatDefaults(def, out);
  return out;
}

interface Ctx {
  defs: Record<string, JSONSchema>;
  /** The `$defs` name of each nested model, by its body (see defNames). */
  names: Map<string, string>;
}

const isModel = (s: JSONSchema): boolean =>
  s.type === "object" && !!s.properties && Object.keys(s.properties as object).length > 0;

/** A nested model's identity: its body without what belongs to the field using it. */
const modelKey = (s: JSONSchema): string => {
  const { description: _d, default: _v, ...body } = s;
  return JSON.stringify(body);
};

/**
 * Each distinct nested model gets its title as its `$defs` name; models that share a title get
 * `Title__1`, `Title__2` in order of appearance (pydantic qualifies them with their Python module,
 * which a zod schema does not have).
 */
function defNames(root: JSONSchema): Map<string, string> {
  const byTitle = new Map<string, string[]>();
  const visit = (node: unknown, name: string, top: boolean): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n, name, false);
      return;
    }
    if (node === null || typeof node !== "object") return;
    const s = node as JSONSchema;
    if (!top && isModel(s)) {
      const title = typeof s.title === "string" ? s.title : pascal(name);
      const keys = byTitle.get(title) ?? [];
      if (!keys.includes(modelKey(s))) keys.push(modelKey(s));
      byTitle.set(title, keys);
    }
    for (const [k, v] of Object.entries(s)) {
      if (k === "default" || k === "const" || k === "enum") continue;
      if (k === "properties" && v && typeof v === "object") {
        for (const [p, sub] of Object.entries(v as JSONSchema)) visit(sub, p, false);
      } else visit(v, name, false);
    }
  };
  visit(root, "Model", true);
  const names = new Map<string, string>();
  for (const [title, keys] of byTitle) {
    keys.forEach((key, i) => {
      names.set(key, keys.length === 1 ? title : `${title}__${i + 1}`);
    });
  }
  return names;
}

function modelBody(s: JSONSchema, title: string, ctx: Ctx, top: boolean): JSONSchema {
  const props: Record<string, JSONSchema> = {};
  for (const [name, prop] of Object.entries((s.properties ?? {}) as Record<string, JSONSchema>)) {
    const converted = convert(prop, name, ctx);
    if (isRefLike(converted)) {
      // pydantic keeps a model-typed property's default and description beside its $ref, untitled.
      props[name] = {
        ...converted,
        ...("default" in prop ? { default: prop.default } : {}),
        ...(typeof prop.description === "string" ? { description: prop.description } : {}),
      };
    } else props[name] = { ...converted, title: pyTitle(name) };
  }
  const out: JSONSchema = { type: "object", properties: props };
  const required = (s.required ?? []) as string[];
  if (required.length > 0) out.required = required;
  out.title = title;
  // A nested zod object's description is its field's (beside the $ref); the model itself has none.
  if (top && typeof s.description === "string") out.description = s.description;
  return out;
}

/** A `$ref`, or an optional one: pydantic gives such a field no title (the model has its own). */
function isRefLike(s: JSONSchema): boolean {
  if ("$ref" in s) return true;
  const branches = s.anyOf;
  if (!Array.isArray(branches) || branches.length !== 2) return false;
  const [a, b] = branches as JSONSchema[];
  return "$ref" in a! && b!.type === "null" && Object.keys(b!).length === 1;
}

function convert(s: JSONSchema, name: string, ctx: Ctx): JSONSchema {
  const named = enumNode(s);
  if (named?.kind === "enum") {
    // An Enum class inside a model is a `$defs` entry, as a nested model is; the field's default and
    // description go beside the `$ref` (modelBody).
    ctx.defs[named.name] ??= enumSchema(
      named.name,
      named.members.map(([, v]) => v),
    );
    return { $ref: `#/$defs/${named.name}` };
  }
  if (isModel(s)) {
    const ref = ctx.names.get(modelKey(s)) ?? (typeof s.title === "string" ? s.title : pascal(name));
    const title = typeof s.title === "string" ? s.title : pascal(name);
    if (!(ref in ctx.defs)) ctx.defs[ref] = modelBody(s, title, ctx, false);
    return { $ref: `#/$defs/${ref}` };
  }
  if (Array.isArray(s.type)) {
    // zod writes a nullable scalar as type: [T, "null"]; pydantic as anyOf branches.
    const { type, ...rest } = s;
    const { default: dflt, description, ...constraints } = rest;
    const branches = (type as string[]).map((t) =>
      convert(t === "null" ? { type: t } : { type: t, ...constraints }, name, ctx),
    );
    return {
      anyOf: branches,
      ...(description !== undefined ? { description } : {}),
      ...(dflt !== undefined || "default" in s ? { default: dflt } : {}),
    };
  }
  const members = (Array.isArray(s.enum) ? s.enum : "const" in s ? [s.const] : undefined) as unknown[] | undefined;
  const out: JSONSchema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === "$schema") continue;
    if (k === "type" && v === "number" && members?.every((m) => Number.isInteger(m))) {
      out[k] = "integer";
      continue;
    }
    if ((k === "minimum" && v === -SAFE) || (k === "maximum" && v === SAFE)) continue;
    if (k === "propertyNames" && JSON.stringify(v) === '{"type":"string"}') continue;
    if (k === "additionalProperties" && v === false) continue;
    if (k === "items" && v && typeof v === "object") out[k] = convert(v as JSONSchema, name, ctx);
    else if (k === "additionalProperties" && v && typeof v === "object") out[k] = convert(v as JSONSchema, name, ctx);
    else if (k === "anyOf" && Array.isArray(v)) out[k] = flatUnion(v.map((o) => convert(o as JSONSchema, name, ctx)));
    else out[k] = v;
  }
  if (Array.isArray(out.anyOf) && (out.anyOf as JSONSchema[]).length === 1 && Object.keys(out).length === 1) {
    return (out.anyOf as JSONSchema[])[0]!;
  }
  return out;
}

/** `Optional[Optional[T]]` is `Optional[T]`: a bare nested anyOf is spliced in, repeated branches drop. */
function flatUnion(branches: JSONSchema[]): JSONSchema[] {
  const out: JSONSchema[] = [];
  const seen = new Set<string>();
  const add = (b: JSONSchema) => {
    if (Array.isArray(b.anyOf) && Object.keys(b).length === 1) {
      for (const inner of b.anyOf as JSONSchema[]) add(inner);
      return;
    }
    const key = JSON.stringify(b);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(b);
  };
  for (const b of branches) add(b);
  // pydantic puts None last in an Optional, whatever the order of the nesting.
  return [...out.filter((b) => !isNull(b)), ...out.filter(isNull)];
}

const isNull = (b: JSONSchema): boolean => b.type === "null" && Object.keys(b).length === 1;

/** Float positions in the model's property defaults become PyFloat, so they print as `3.0`. */
function floatDefaults(model: JSONSchema, root: JSONSchema): void {
  for (const prop of Object.values((model.properties ?? {}) as Record<string, JSONSchema>)) {
    if ("default" in prop) prop.default = withFloats(prop.default, schemaNode(prop, root));
  }
}

/** pydantic's default title: `_` to spaces, then Python's `str.title()`. */
function pyTitle(name: string): string {
  return name.replace(/_/g, " ").replace(/\p{L}+/gu, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase());
}
