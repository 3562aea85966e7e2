/**
 * Field types, modelled on the Python annotations DSPy accepts. Each node knows its
 * Python spelling (what DSPy prints in prompts) and its JSON schema (what pydantic
 * would emit), because both appear verbatim in DSPy's prompts.
 */

import { PyFloat } from "../py/builtins.js";

// The type model lives on the ground floor (src/py/type-node.ts), which the Python-semantics
// helpers share; this floor adds what the nodes print and their schemas.
export type { JSONSchema, LiteralValue, TypeNode } from "../py/type-node.js";
import type { JSONSchema, LiteralValue, TypeNode } from "../py/type-node.js";

export const STR: TypeNode = { kind: "str" };

const SCALAR_NAMES: Record<string, string> = {
  str: "str",
  int: "int",
  float: "float",
  bool: "bool",
  bytes: "bytes",
  any: "Any",
  none: "NoneType",
  history: "History",
  image: "Image",
  audio: "Audio",
  file: "File",
  tool: "Tool",
  toolCalls: "ToolCalls",
  reasoning: "str",
};

/** The class `dspy.Code[language]` creates (pydantic's create_model names it `Code_<language>`). */
export function codeClassName(language: string | undefined): string {
  return language === undefined ? "Code" : `Code_${language}`;
}

/** Python's `get_annotation_name` as DSPy uses it in field descriptions. */
export function annotationName(t: TypeNode): string {
  if (t.annotated) return `Annotated[${[bareName(t), ...t.annotated].join(", ")}]`;
  return bareName(t);
}

function bareName(t: TypeNode): string {
  switch (t.kind) {
    case "list":
      return t.item ? `${t.origin ?? "list"}[${annotationName(t.item)}]` : (t.alias ?? t.kind);
    case "set":
      return t.item ? `${t.frozen ? "frozenset" : "set"}[${annotationName(t.item)}]` : (t.alias ?? t.kind);
    case "dict":
      return t.key && t.value
        ? `${t.origin ?? "dict"}[${annotationName(t.key)}, ${annotationName(t.value)}]`
        : (t.alias ?? "dict");
    case "type":
      return `type[${annotationName(t.item)}]`;
    case "tuple":
      if (!t.items) return t.alias ?? "tuple";
      return `tuple[${t.items.map(annotationName).join(", ")}${t.variadic ? ", Ellipsis" : ""}]`;
    case "union":
      return `Union[${t.options.map(annotationName).join(", ")}]`;
    case "literal":
      return `Literal[${t.values.map(literalRepr).join(", ")}]`;
    case "object":
    case "enum":
      return t.name;
    case "code":
      return codeClassName(t.language);
    default:
      return SCALAR_NAMES[t.kind]!;
  }
}

/** How a Literal member is spelled inside `Literal[...]` (DSPy's own quoting rules). */
function literalRepr(v: LiteralValue): string {
  if (typeof v === "string") {
    const single = v.includes("'");
    const double = v.includes('"');
    if (single && !double) return `"${v}"`;
    if (double && !single) return `'${v}'`;
    if (single && double) return `'${v.replace(/'/g, "\\'")}'`;
    return `'${v}'`;
  }
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  return String(v);
}

/**
 * Flattens nested unions and drops duplicates, as `typing.Union` does (by equality, so `list[int]`
 * and `Sequence[int]` both stay); one member collapses to itself.
 */
export function makeUnion(options: TypeNode[]): TypeNode {
  const flat: TypeNode[] = [];
  const seen = new Set<string>();
  for (const o of options) {
    for (const member of o.kind === "union" ? o.options : [o]) {
      const key = JSON.stringify(member);
      if (!seen.has(key)) {
        seen.add(key);
        flat.push(member);
      }
    }
  }
  return flat.length === 1 ? flat[0]! : { kind: "union", options: flat };
}

export function allowsNone(t: TypeNode): boolean {
  return t.kind === "none" || (t.kind === "union" && t.options.some(allowsNone));
}

/**
 * pydantic's `TypeAdapter(t).json_schema()`, then DSPy's `move_type_to_front` ordering
 * ("type" first, other keys sorted), which is what DSPy prints in output type notes.
 */
export function jsonSchema(t: TypeNode): JSONSchema {
  return orderKeys(rawJsonSchema(t)) as JSONSchema;
}

/**
 * A model (object node) or an Enum inside another type is a `$ref` into the top-level `$defs`, as
 * pydantic writes it; the field's own model or Enum is inlined with the `$defs` of what it uses.
 */
function withDefs(t: TypeNode): JSONSchema {
  const defs: Record<string, JSONSchema> = {};
  const hoist = (node: unknown, top: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => hoist(n, false));
    if (node === null || typeof node !== "object" || node instanceof PyFloat) return node;
    const obj = node as JSONSchema;
    const marker = obj[MODEL];
    if (marker !== undefined && top) {
      const { [MODEL]: _m, ...body } = obj;
      return hoist(body, false);
    }
    if (marker !== undefined) {
      const { [MODEL]: _m, $defs, ...body } = obj;
      Object.assign(defs, $defs as object | undefined);
      defs[marker as string] = body;
      return { $ref: `#/$defs/${marker as string}` };
    }
    const out: JSONSchema = {};
    for (const [k, v] of Object.entries(obj)) {
      if (k === "$defs") Object.assign(defs, v as object);
      else out[k] = hoist(v, false);
    }
    return out;
  };
  const root = hoist(rawSchema(t), true) as JSONSchema;
  return Object.keys(defs).length > 0 ? { ...root, $defs: defs } : root;
}

const MODEL = "\u0000model";

/** pydantic's schema with its own key order (XMLAdapter walks it; prompts print `jsonSchema`). */
export function rawJsonSchema(t: TypeNode): JSONSchema {
  return withDefs(t);
}

function rawSchema(t: TypeNode): JSONSchema {
  switch (t.kind) {
    case "str":
      return { type: "string" };
    case "int":
      return { type: "integer" };
    case "float":
      return { type: "number" };
    case "bool":
      return { type: "boolean" };
    case "bytes":
      return { type: "string", format: "binary" };
    case "none":
      return { type: "null" };
    case "any":
      return {};
    case "history":
      return {
        type: "object",
        additionalProperties: false,
        properties: { messages: { type: "array", items: { type: "object", additionalProperties: true } } },
        required: ["messages"],
        title: "History",
      };
    // pydantic's schemas of dspy.Image, dspy.Audio and dspy.File (the models' docstrings are left out).
    case "image":
      return {
        type: "object",
        additionalProperties: false,
        properties: { url: { type: "string", title: "Url" } },
        required: ["url"],
        title: "Image",
      };
    case "tool":
      // A Tool is never an LM's output; as an input it reads as its description (str(tool)).
      return { type: "object", title: "Tool" };
    case "reasoning":
      return { type: "string" };
    case "code":
      // pydantic's validation schema of dspy.Code.
      return {
        type: "object",
        properties: { code: { title: "Code", type: "string" } },
        required: ["code"],
        title: codeClassName(t.language),
      };
    case "toolCalls":
      // pydantic's schema of dspy.ToolCalls (id and tool_call_results are left out, as DSPy does).
      return {
        $defs: {
          ToolCall: {
            properties: {
              name: { title: "Name", type: "string" },
              args: { additionalProperties: true, title: "Args", type: "object" },
            },
            required: ["name", "args"],
            title: "ToolCall",
            type: "object",
          },
        },
        properties: { tool_calls: { items: { $ref: "#/$defs/ToolCall" }, title: "Tool Calls", type: "array" } },
        required: ["tool_calls"],
        title: "ToolCalls",
        type: "object",
      };
    case "audio":
      return {
        type: "object",
        additionalProperties: false,
        properties: {
          data: { title: "Data", type: "string" },
          audio_format: { title: "Audio Format", type: "string" },
        },
        required: ["data", "audio_format"],
        title: "Audio",
      };
    case "file": {
      const optionalString = (title: string) => ({
        anyOf: [{ type: "string" }, { type: "null" }],
        default: null,
        title,
      });
      return {
        type: "object",
        additionalProperties: false,
        properties: {
          file_data: optionalString("File Data"),
          file_id: optionalString("File Id"),
          filename: optionalString("Filename"),
        },
        title: "File",
      };
    }
    case "list":
      return { type: "array", items: t.item ? rawSchema(t.item) : {} };
    case "set":
      return { type: "array", items: t.item ? rawSchema(t.item) : {}, uniqueItems: true };
    case "tuple":
      if (!t.items) return { type: "array", items: {} };
      if (t.variadic) return { type: "array", items: rawSchema(t.items[0]!) };
      return {
        type: "array",
        maxItems: t.items.length,
        minItems: t.items.length,
        prefixItems: t.items.map(rawSchema),
      };
    case "dict": {
      // pydantic writes `true` rather than `{}` for an Any value.
      const schema: JSONSchema = {
        type: "object",
        additionalProperties: t.value && t.value.kind !== "any" ? rawSchema(t.value) : true,
      };
      // String-valued Literal keys become propertyNames, without the "type" pydantic leaves out there.
      if (t.key?.kind === "literal" && t.key.values.every((v) => typeof v === "string")) {
        const { type: _type, ...names } = literalSchema(t.key.values);
        schema.propertyNames = names;
      }
      return schema;
    }
    case "type":
      return {};
    case "union": {
      // pydantic models Optional as a nullable schema, so null always comes last; identical branches merge.
      const ordered = [...t.options.filter((o) => o.kind !== "none"), ...t.options.filter((o) => o.kind === "none")];
      const branches: JSONSchema[] = [];
      const seen = new Set<string>();
      for (const o of ordered) {
        const schema = rawSchema(o);
        const key = JSON.stringify(orderKeys(schema));
        if (!seen.has(key)) {
          seen.add(key);
          branches.push(schema);
        }
      }
      return branches.length === 1 ? branches[0]! : { anyOf: branches };
    }
    case "literal":
      return literalSchema(t.values);
    case "enum":
      // Like a model: inlined as the field's own type, a `$defs` entry behind a `$ref` inside another.
      return {
        ...enumSchema(
          t.name,
          t.members.map(([, v]) => v),
        ),
        [MODEL]: t.name,
      };
    case "object":
      return { ...t.schema, [MODEL]: t.name };
  }
}

/** pydantic's schema of an Enum class: its values, its title, one JSON type if they all share it. */
export function enumSchema(title: string, values: (string | number)[]): JSONSchema {
  const types = new Set(values.map(jsonTypeOf));
  return { enum: values, title, ...(types.size === 1 ? { type: [...types][0] } : {}) };
}

function literalSchema(values: LiteralValue[]): JSONSchema {
  const types = new Set(values.map(jsonTypeOf));
  const schema: JSONSchema = values.length === 1 ? { const: values[0] } : { enum: values };
  if (types.size === 1) schema.type = [...types][0];
  return schema;
}

function jsonTypeOf(v: LiteralValue): string {
  if (v === null) return "null";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "boolean";
  return Number.isInteger(v) ? "integer" : "number";
}

function orderKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(orderKeys);
  if (value === null || typeof value !== "object" || value instanceof PyFloat) return value;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => {
    if (a === "type" || b === "type") return a === "type" ? (b === "type" ? 0 : -1) : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return Object.fromEntries(entries.map(([k, v]) => [k, orderKeys(v)]));
}

/** `typing.Literal` drops repeated members (compared by value and type: `Literal[1, True]` keeps both). */
export function makeLiteral(values: LiteralValue[]): TypeNode {
  const seen = new Set<string>();
  const unique = values.filter((v) => {
    const key = `${typeof v}:${String(v)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { kind: "literal", values: unique };
}
