/**
 * DSPy's `_get_structured_outputs_response_format`: a pydantic model "DSPyProgramOutputs" of
 * the output fields, with every object's properties required and no additional properties, as
 * OpenAI's structured outputs demand. An open-ended dict output cannot be described that way;
 * DSPy then asks for plain JSON mode, and so do we.
 */
import type { JSONSchemaResponseFormat, ResponseFormat } from "../lm/types.js";
import type { Signature } from "../signature/signature.js";
import type { JSONSchema } from "../signature/types.js";
import { PyFloat } from "../py/builtins.js";

export function structuredOutputsFormat(signature: Signature): ResponseFormat {
  if (signature.outputFields.some((f) => f.type.kind === "dict")) return { type: "json_object" };
  const properties: JSONSchema = {};
  for (const f of signature.outputFields) {
    properties[f.name] = sortKeys({ ...f.jsonSchema, title: pyTitle(f.name) });
  }
  const schema: JSONSchema = {
    additionalProperties: false,
    properties,
    required: signature.outputFields.map((f) => f.name),
    title: "DSPyProgramOutputs",
    type: "object",
  };
  enforceRequired(schema);
  const format: JSONSchemaResponseFormat = { type: "json_schema", name: "DSPyProgramOutputs", schema, strict: true };
  return format;
}

/** pydantic sorts schema keys, except the names inside `properties`. */
function sortKeys(value: unknown): JSONSchema {
  const walk = (v: unknown, keepOrder: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, false));
    if (v === null || typeof v !== "object" || v instanceof PyFloat) return v;
    const entries = Object.entries(v as JSONSchema);
    if (!keepOrder) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, x]) => [k, walk(x, k === "properties" || k === "$defs")]));
  };
  return walk(value, false) as JSONSchema;
}

/** Python's `str.title()` after pydantic's `_` -> space: "out_value" -> "Out Value", "x2y" -> "X2Y". */
function pyTitle(name: string): string {
  return name.replace(/_/g, " ").replace(/\p{L}+/gu, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase());
}

function enforceRequired(part: JSONSchema): void {
  if (part.type === "object") {
    const props = part.properties as Record<string, unknown> | undefined;
    if (props !== undefined && props !== null) {
      part.required = Object.keys(props);
      part.additionalProperties = false;
      for (const sub of Object.values(props)) {
        if (sub && typeof sub === "object" && !Array.isArray(sub)) enforceRequired(sub as JSONSchema);
      }
    } else {
      part.properties = {};
      part.required = [];
      part.additionalProperties = false;
    }
  }
  if (part.type === "array" && part.items && typeof part.items === "object" && !Array.isArray(part.items)) {
    enforceRequired(part.items as JSONSchema);
  }
  for (const key of ["$defs", "definitions"]) {
    const defs = part[key] as Record<string, JSONSchema> | undefined;
    if (defs) for (const d of Object.values(defs)) enforceRequired(d);
  }
}
