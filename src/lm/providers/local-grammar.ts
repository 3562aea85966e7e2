/**
 * JSON schemas from signatures (pydantic-shaped: titles, anyOf for Optional, $defs) to the
 * subset node-llama-cpp turns into a GBNF grammar. Keys the grammar generator does not know
 * are dropped rather than rejected: they describe, they do not constrain, or cannot be
 * enforced by a grammar (pattern), and a parseable answer beats none.
 */
import type { GbnfJsonSchema } from "node-llama-cpp";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

const PRIMITIVES = new Set(["string", "number", "integer", "boolean", "null"]);
const DATE_FORMATS = new Set(["date-time", "time", "date"]);

/**
 * Converts a JSON schema to node-llama-cpp's grammar schema; unsupported parts widen to "any JSON".
 * @internal kept out of the published types, which must not need the optional node-llama-cpp.
 */
export function toGrammarSchema(
  schema: Record<string, unknown>,
  options: { maxStringLength?: number | undefined } = {},
): GbnfJsonSchema {
  const cap = options.maxStringLength;
  const defs: Json = {
    ...(isObject(schema.$defs) ? schema.$defs : {}),
    ...(isObject(schema.definitions) ? schema.definitions : {}),
  };
  const convertedDefs: Json = {};
  for (const [name, def] of Object.entries(defs)) convertedDefs[name] = convert(cap, def);
  const root = convert(cap, schema);
  if (Object.keys(convertedDefs).length > 0 && isObject(root)) root.$defs = convertedDefs;
  return root as GbnfJsonSchema;
}

function convert(cap: number | undefined, node: unknown): Json {
  if (!isObject(node)) return anyValue();
  if (typeof node.$ref === "string") {
    // pydantic writes "#/$defs/X", older generators "#/definitions/X": both land in $defs.
    const name = node.$ref.replace(/^#\/(\$defs|definitions)\//, "");
    return { $ref: `#/$defs/${name}` };
  }
  if ("const" in node) return { const: node.const as unknown };
  if (Array.isArray(node.enum)) return { enum: node.enum };
  const union = (node.anyOf ?? node.oneOf) as unknown;
  if (Array.isArray(union)) return { oneOf: union.map((n) => convert(cap, n)) };
  if (Array.isArray(node.allOf) && node.allOf.length === 1) return convert(cap, node.allOf[0]);
  const type = node.type;
  if (Array.isArray(type)) {
    const types = type.filter((t): t is string => typeof t === "string");
    if (types.every((t) => PRIMITIVES.has(t))) return { type: types };
    return { oneOf: types.map((t) => convert(cap, { ...node, type: t })) };
  }
  switch (type) {
    case "object":
      return convertObject(cap, node);
    case "array":
      return convertArray(cap, node);
    case "string": {
      const out: Json = { type: "string" };
      if (typeof node.format === "string" && DATE_FORMATS.has(node.format)) out.format = node.format;
      else {
        if (typeof node.minLength === "number") out.minLength = node.minLength;
        if (typeof node.maxLength === "number") out.maxLength = node.maxLength;
        else if (cap !== undefined) out.maxLength = cap;
      }
      return out;
    }
    case "number":
    case "integer":
    case "boolean":
    case "null":
      return { type };
    default:
      return anyValue();
  }
}

function convertObject(cap: number | undefined, node: Json): Json {
  const out: Json = { type: "object" };
  if (isObject(node.properties)) {
    const props: Json = {};
    for (const [k, v] of Object.entries(node.properties)) props[k] = convert(cap, v);
    out.properties = props;
    if (Array.isArray(node.required)) out.required = node.required.filter((r) => typeof r === "string" && r in props);
  }
  const extra = node.additionalProperties;
  if (isObject(extra)) out.additionalProperties = convert(cap, extra);
  else if (extra === true || (extra === undefined && !isObject(node.properties))) out.additionalProperties = true;
  else out.additionalProperties = false;
  return out;
}

function convertArray(cap: number | undefined, node: Json): Json {
  const out: Json = { type: "array" };
  if (Array.isArray(node.prefixItems)) out.prefixItems = node.prefixItems.map((n: unknown) => convert(cap, n));
  if (isObject(node.items)) out.items = convert(cap, node.items);
  if (typeof node.minItems === "number") out.minItems = node.minItems;
  if (typeof node.maxItems === "number") out.maxItems = node.maxItems;
  return out;
}

/** Any JSON value: the grammar generator's widest schema. */
function anyValue(): Json {
  return {
    oneOf: [
      { type: ["string", "number", "boolean", "null"] },
      { type: "array" },
      { type: "object", additionalProperties: true },
    ],
  };
}
