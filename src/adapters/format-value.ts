/**
 * DSPy's value formatting for prompts (`format_field_value`, `serialize_for_json`): a list given
 * to a `str` field becomes a numbered list of «blobs»; dicts and lists become JSON with Python's
 * separators; scalars are printed the way Python's `str()` prints them.
 */
import type { Field } from "../signature/signature.js";
import type { TypeNode } from "../signature/types.js";
import { MediaValue } from "../media/base.js";
import { Tool } from "../tools/tool.js";
import type { MediaSink } from "./custom-types.js";
import { History } from "./history.js";
import { PyFloat, PyTuple, pyJsonDumps, pyStr, setOwn } from "../py/builtins.js";

/**
 * pydantic's `dump_python(mode="json")` for the values a TS caller can hand us: objects with
 * `toDict`/`toJSON` (Example, Prediction, History, Date) are unwrapped, Maps become objects and
 * Sets/tuples become lists. Scalars are returned as they are.
 */
export function serializeForJson(value: unknown, media?: MediaSink): unknown {
  if (typeof value === "number") return value;
  return serializeNested(value, media);
}

/** Inside a container pydantic's JSON mode writes NaN and infinities as null (at the top, a float stays itself). */
function serializeNested(value: unknown, media: MediaSink | undefined): unknown {
  if (value === null || value === undefined) return null;
  const t = typeof value;
  if (t === "number") return Number.isFinite(value) ? value : null;
  if (t === "string" || t === "boolean") return value;
  if (t === "bigint") return value;
  if (t !== "object") return String(value);
  if (value instanceof PyFloat) return value;
  // pydantic dumps a dspy.Type as its marker text; in user messages a token stands in for it.
  if (value instanceof MediaValue) return media === undefined ? value.toString() : media.token(value);
  // A dspy.Tool serializes as str(tool): its name, description and arguments.
  if (value instanceof Tool) return value.toString();
  const each = (v: unknown) => serializeNested(v, media);
  if (Array.isArray(value)) return value.map(each);
  if (value instanceof PyTuple) return value.items.map(each);
  if (value instanceof History) return { messages: value.messages.map(each) };
  if (value instanceof Set) return [...value].map(each);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) setOwn(out, String(k), each(v));
    return out;
  }
  const obj = value as { toDict?: () => unknown; toJSON?: () => unknown };
  if (typeof obj.toDict === "function") return each(obj.toDict());
  if (typeof obj.toJSON === "function") return each(obj.toJSON());
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) setOwn(out, k, each(v));
  return out;
}

/**
 * DSPy's `format_field_value(field_info, value)`. `media` collects Image/Audio/File values
 * for the adapter to split out of a user message; without it they are written as marker text.
 */
export function formatFieldValue(field: Pick<Field, "type">, value: unknown, media?: MediaSink): string {
  if (Array.isArray(value) && field.type.kind === "str") return formatInputList(value, media);
  return formatValue(value, field.type, media);
}

/** `format_field_value` for a value whose field type is `hint` (used for non-list-to-str cases). */
export function formatValue(value: unknown, hint?: TypeNode, media?: MediaSink): string {
  const jsonable = serializeForJson(value, media);
  if (jsonable !== null && typeof jsonable === "object" && !(jsonable instanceof PyFloat)) {
    return pyJsonDumps(jsonable, hint);
  }
  return pyStr(jsonable, hint);
}

function formatInputList(items: unknown[], media: MediaSink | undefined): string {
  // str(item): a custom type prints as its marker text.
  const text = (item: unknown) =>
    item instanceof MediaValue ? (media === undefined ? item.toString() : media.token(item)) : pyStr(item);
  if (items.length === 0) return "N/A";
  if (items.length === 1) return formatBlob(text(items[0]));
  let out = "";
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += "\n";
    out += `[${i + 1}] ${formatBlob(text(items[i]))}`;
  }
  return out;
}

function formatBlob(blob: string): string {
  if (!blob.includes("\n") && !blob.includes("«") && !blob.includes("»")) return `«${blob}»`;
  return `«««\n    ${blob.replaceAll("\n", "\n    ")}\n»»»`;
}
