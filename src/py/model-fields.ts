/**
 * pydantic's view of a model given as its JSON schema: the fields of a structured (pydantic-model) output, read back from the model's JSON schema so
 * that validation can treat them as pydantic treats a model's fields: each property's type, whether
 * it is required, and its default. `$ref`s resolve into the root schema's `$defs`.
 */
import type { JSONSchema, LiteralValue, TypeNode } from "./type-node.js";

export interface ModelField {
  name: string;
  type: TypeNode;
  required: boolean;
  /** Present when the schema gives a default (pydantic fills it in for a missing key). */
  default?: { value: unknown };
}

const cache = new WeakMap<JSONSchema, ModelField[] | undefined>();

/** The model's fields in declaration order, or undefined for an object schema without properties. */
export function modelFields(schema: JSONSchema): ModelField[] | undefined {
  if (cache.has(schema)) return cache.get(schema);
  const props = schema.properties;
  let fields: ModelField[] | undefined;
  if (props !== null && typeof props === "object" && Object.keys(props).length > 0) {
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    fields = Object.entries(props as Record<string, JSONSchema>).map(([name, prop]) => ({
      name,
      type: schemaNode(prop, schema),
      required: required.has(name),
      ...("default" in prop ? { default: { value: prop.default } } : {}),
    }));
  }
  cache.set(schema, fields);
  return fields;
}

const ANY: TypeNode = { kind: "any" };
const union = (options: TypeNode[]): TypeNode => (options.length === 1 ? options[0]! : { kind: "union", options });

const byName = new WeakMap<JSONSchema, Map<string, TypeNode>>();

/** The declared type of one field of a model, for printing its value as Python would. */
export function modelFieldType(schema: JSONSchema, name: string): TypeNode | undefined {
  let map = byName.get(schema);
  if (!map) {
    map = new Map((modelFields(schema) ?? []).map((f) => [f.name, f.type]));
    byName.set(schema, map);
  }
  return map.get(name);
}

/** The type a property schema describes; `root` carries the `$defs` its refs point into. */
export function schemaNode(s: JSONSchema, root: JSONSchema): TypeNode {
  const defs = root.$defs as Record<string, JSONSchema> | undefined;
  if (typeof s.$ref === "string") {
    const name = s.$ref.replace(/^#\/\$defs\//, "");
    const def = defs?.[name];
    if (!def) return ANY;
    const named = enumNode(def);
    if (named) return named;
    return { kind: "object", name: typeof def.title === "string" ? def.title : name, schema: withDefs(def, defs) };
  }
  // Nested unions need no flattening here: validation and printing recurse into a union member.
  if (Array.isArray(s.anyOf)) return union((s.anyOf as JSONSchema[]).map((o) => schemaNode(o, root)));
  if (Array.isArray(s.oneOf)) return union((s.oneOf as JSONSchema[]).map((o) => schemaNode(o, root)));
  if ("const" in s) return { kind: "literal", values: [s.const as LiteralValue] };
  if (Array.isArray(s.enum)) return { kind: "literal", values: s.enum as LiteralValue[] };
  if (Array.isArray(s.type)) return union((s.type as string[]).map((t) => schemaNode({ ...s, type: t }, root)));
  const scalar = scalarNode(s.type);
  if (scalar) return scalar;
  switch (s.type) {
    case "array": {
      const items = s.items;
      const item =
        items && typeof items === "object" && !Array.isArray(items) ? schemaNode(items as JSONSchema, root) : ANY;
      return s.uniqueItems === true ? { kind: "set", item } : { kind: "list", item };
    }
    case "object": {
      if (s.properties && typeof s.properties === "object" && Object.keys(s.properties).length > 0) {
        const title = typeof s.title === "string" ? s.title : "Model";
        return { kind: "object", name: title, schema: withDefs(s, defs) };
      }
      const ap = s.additionalProperties;
      return ap && typeof ap === "object"
        ? { kind: "dict", key: { kind: "str" }, value: schemaNode(ap as JSONSchema, root) }
        : { kind: "dict" };
    }
    default:
      return ANY;
  }
}

/**
 * The one mapping from a JSON-schema scalar `type` to our kinds (zod.ts reads zod's schemas with it
 * too). `number` is float: pydantic writes int fields as `integer`.
 */
export function scalarNode(type: unknown): TypeNode | undefined {
  switch (type) {
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
    default:
      return undefined;
  }
}

/**
 * A titled `enum` is a Python Enum class: a titled zod enum (see zod.ts) and a `$defs` entry of a
 * pydantic schema. Inline in a pydantic model a titled enum is a Literal field (pydantic titles every
 * property; it puts Enum classes behind `$ref`s), so schemaNode asks only of `$defs` entries.
 * The schema keeps only the values, so a member is named by its value here; names matter only for
 * a field that is the Enum itself, which zod.ts reads from the zod enum (DSPy looks such a field's
 * member up by name too).
 */
export function enumNode(s: JSONSchema): TypeNode | undefined {
  if (!Array.isArray(s.enum) || typeof s.title !== "string") return undefined;
  const values = s.enum as unknown[];
  if (!values.every((v) => typeof v === "string" || typeof v === "number")) return undefined;
  return { kind: "enum", name: s.title, members: (values as (string | number)[]).map((v) => [String(v), v]) };
}

const defsCache = new WeakMap<JSONSchema, JSONSchema>();

/** A nested model's schema carrying the root's `$defs`, so its own refs resolve (one copy per def). */
function withDefs(def: JSONSchema, defs: Record<string, JSONSchema> | undefined): JSONSchema {
  if (!defs || def.$defs === defs) return def;
  const known = defsCache.get(def);
  if (known) return known;
  const out = { ...def, $defs: defs };
  defsCache.set(def, out);
  return out;
}
