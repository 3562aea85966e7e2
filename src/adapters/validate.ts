/**
 * pydantic v2's lax-mode `TypeAdapter(t).validate_python(value)` for the field types a signature
 * can declare. This is the last step of DSPy's `parse_value`, so its coercions ("3" -> 3,
 * "yes" -> True, 3.0 -> 3, tuples -> lists) and its refusals (3.5 -> int, 3 -> str) are
 * reproduced here. Unions use pydantic's "smart" mode: an exact match wins over a coercion.
 */
import { annotationName, type JSONSchema, type LiteralValue, type TypeNode } from "../signature/types.js";
import { PyFloat, PyTuple, pyInt, pyRepr, pyStr, pyStrip, setOwn, toPlain } from "../py/builtins.js";
import { ToolCalls } from "../tools/tool-calls.js";
import { modelFields } from "../py/model-fields.js";

export class ValidationFailure extends Error {}

const TRUE_WORDS = new Set(["1", "on", "t", "true", "y", "yes"]);
const FALSE_WORDS = new Set(["0", "off", "f", "false", "n", "no"]);
const INT_TEXT = /^[+-]?\d(?:_?\d)*$/;
const INT_WITH_ZERO_FRACTION = /^[+-]?\d(?:_?\d)*\.0*$/;
const FLOAT_TEXT = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const SPECIAL_FLOAT = /^[+-]?(inf|infinity|nan)$/i;
// pydantic strips these around numbers given as strings.
// trim() removes exactly what /\s/ matches, in linear time; the regex `^\s+|\s+$` was quadratic
// on a long whitespace run inside the text ("1" + " " * 100000 + "x").
const numericText = (s: string) => s.trim();

const isFloat = (v: unknown): v is number | PyFloat =>
  v instanceof PyFloat || (typeof v === "number" && !Number.isInteger(v));
const isInt = (v: unknown): v is number | bigint =>
  typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v));
const isList = (v: unknown): v is unknown[] | PyTuple => Array.isArray(v) || v instanceof PyTuple;
const itemsOf = (v: unknown[] | PyTuple): unknown[] => (Array.isArray(v) ? v : v.items);
const isDict = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !isList(v) && !(v instanceof PyFloat);

function fail(expected: string, value: unknown): never {
  throw new ValidationFailure(`${expected} [input_value=${pyRepr(value)}]`);
}

/**
 * Validates (and coerces) `value` against `type`; `strict` refuses every coercion, which is how
 * smart-mode unions find an exact match first. Returns the value in its validated form
 * (integral floats stay PyFloat so that callers can still print them as Python would).
 */
export function validate(value: unknown, type: TypeNode, strict = false): unknown {
  switch (type.kind) {
    case "any":
    case "image":
    case "audio":
    case "file":
    case "tool":
    case "history":
      return value;
    case "toolCalls":
      return toToolCalls(value);
    case "str":
    case "reasoning":
      if (typeof value === "string") return value;
      return fail("Input should be a valid string", value);
    case "code":
      return toCode(value);
    case "bytes":
      if (typeof value === "string") return value;
      return fail("Input should be a valid bytes", value);
    case "none":
      if (value === null || value === undefined) return null;
      return fail("Input should be None", value);
    case "int":
      return toInt(value, strict);
    case "float":
      return toFloat(value, strict);
    case "bool":
      return toBool(value, strict);
    case "literal":
      return toLiteral(value, type.values);
    case "enum":
      return toEnum(value, type.members, strict);
    case "union":
      return toUnion(value, type.options, strict);
    case "list":
    case "set": {
      if (!isList(value) || (strict && !Array.isArray(value))) return fail("Input should be a valid list", value);
      const items = itemsOf(value).map((v, i) => at(i, () => (type.item ? validate(v, type.item, strict) : v)));
      return type.kind === "set" ? dedupe(items) : items;
    }
    case "tuple": {
      if (!isList(value) || (strict && !(value instanceof PyTuple)))
        return fail("Input should be a valid tuple", value);
      const items = itemsOf(value);
      if (!type.items) return new PyTuple(items);
      if (type.variadic) return new PyTuple(items.map((v, i) => at(i, () => validate(v, type.items![0]!, strict))));
      if (items.length !== type.items.length) {
        return fail(`Tuple should have ${type.items.length} items after validation, not ${items.length}`, value);
      }
      return new PyTuple(items.map((v, i) => at(i, () => validate(v, type.items![i]!, strict))));
    }
    case "dict": {
      if (!isDict(value)) return fail("Input should be a valid dictionary", value);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const key = type.key && type.key.kind !== "str" ? at(k, () => validate(k, type.key!, strict)) : k;
        setOwn(
          out,
          String(key instanceof PyFloat ? key.value : key),
          at(k, () => (type.value ? validate(v, type.value, strict) : v)),
        );
      }
      return out;
    }
    case "type":
      return fail(`Input should be a subclass of ${annotationName(type.item)}`, value);
    case "object":
      if (!isDict(value)) return fail(`Input should be a valid dictionary or instance of ${type.name}`, value);
      return toModel(value, type.schema, strict);
  }
}

/**
 * pydantic's model validation: each declared field validated (lax unless `strict`), a missing key
 * takes the field's default or is an error, undeclared keys are dropped (`extra="ignore"`), and the
 * result keeps the model's field order, as `model_dump()` does.
 */
function toModel(value: Record<string, unknown>, schema: JSONSchema, strict: boolean): Record<string, unknown> {
  const fields = modelFields(schema);
  if (!fields) return value;
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (Object.hasOwn(value, f.name))
      setOwn(
        out,
        f.name,
        at(f.name, () => validate(value[f.name], f.type, strict)),
      );
    else if (f.default) setOwn(out, f.name, typedDefault(f.default.value, f.type));
    else if (f.required) throw new ValidationFailure(`${f.name}: Field required [input_value=${pyRepr(value)}]`);
  }
  return out;
}

/**
 * pydantic does not validate defaults, but the Python default of a float field is a float: JSON
 * has lost that (`3.0` reads as 3), so the field's type restores it; a default that does not fit
 * its type is kept as written.
 */
function typedDefault(value: unknown, type: TypeNode): unknown {
  const copy = copyValue(value);
  try {
    return validate(copy, type, false);
  } catch (e) {
    if (!(e instanceof ValidationFailure)) throw e;
    return copy;
  }
}

/** A fresh copy of a default (the prediction must not share the schema's objects), PyFloats kept. */
function copyValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyValue);
  if (value instanceof PyTuple) return new PyTuple(value.items.map(copyValue));
  if (value === null || typeof value !== "object" || value instanceof PyFloat) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) setOwn(out, k, copyValue(v));
  return out;
}

function at<T>(loc: string | number, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof ValidationFailure) throw new ValidationFailure(`${loc}: ${e.message}`);
    throw e;
  }
}

function toInt(value: unknown, strict: boolean): number | bigint {
  if (isInt(value)) return value;
  if (strict) return fail("Input should be a valid integer", value);
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof PyFloat) return value.value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return fail("Input should be a finite number", value);
    return fail("Input should be a valid integer, got a number with a fractional part", value);
  }
  if (typeof value === "string") {
    const t = numericText(value);
    if (INT_TEXT.test(t) || INT_WITH_ZERO_FRACTION.test(t)) return pyInt(t.replaceAll("_", "").replace(/\.0*$/, ""));
    return fail("Input should be a valid integer, unable to parse string as an integer", value);
  }
  return fail("Input should be a valid integer", value);
}

function toFloat(value: unknown, strict: boolean): number | PyFloat {
  if (isFloat(value)) return value;
  if (typeof value === "bigint") return strict ? fail("Input should be a valid number", value) : asFloat(Number(value));
  if (typeof value === "number") return strict ? fail("Input should be a valid number", value) : asFloat(value);
  if (strict) return fail("Input should be a valid number", value);
  if (typeof value === "boolean") return new PyFloat(value ? 1 : 0);
  if (typeof value === "string") {
    const t = numericText(value);
    if (FLOAT_TEXT.test(t)) return asFloat(Number(t.replaceAll("_", "")));
    const special = SPECIAL_FLOAT.exec(t);
    if (special) {
      if (special[1]!.toLowerCase() === "nan") return Number.NaN;
      return t.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    }
    return fail("Input should be a valid number, unable to parse string as a number", value);
  }
  return fail("Input should be a valid number", value);
}

const asFloat = (n: number): number | PyFloat => (Number.isInteger(n) ? new PyFloat(n) : n);

function toBool(value: unknown, strict: boolean): boolean {
  if (typeof value === "boolean") return value;
  if (!strict) {
    const n = value instanceof PyFloat ? value.value : value;
    if (n === 0 || n === 1) return n === 1;
    if (typeof value === "string") {
      const t = value.toLowerCase();
      if (TRUE_WORDS.has(t)) return true;
      if (FALSE_WORDS.has(t)) return false;
    }
  }
  return fail("Input should be a valid boolean, unable to interpret input", value);
}

function toLiteral(value: unknown, allowed: LiteralValue[]): LiteralValue {
  const v = value instanceof PyFloat ? value.value : value;
  for (const a of allowed) {
    // Python compares True == 1, but pydantic keys literals by type for bools.
    if (a === v && typeof a === typeof v) return a;
    // pydantic finds an int member for a bool input (True == 1 in Python) and returns the member.
    if (typeof v === "boolean" && typeof a === "number" && a === Number(v)) return a;
  }
  // With no exact member, pydantic reads the numbers 1 and 0 as True and False (Literal[True, False]).
  if (v === 0 || v === 1) for (const a of allowed) if (typeof a === "boolean" && Number(a) === v) return a;
  return fail(`Input should be ${allowed.map((a) => pyRepr(a)).join(" or ")}`, value);
}

/** DSPy's `find_enum_member`: a member's value first, then a member's name; the result is the value. */
/**
 * pydantic's Enum validation: the member whose value equals the input (Python's `==`, so 1.0 and True
 * find the member valued 1), never by name; strict mode wants an Enum instance, which a JS value
 * never is, so in a smart union an exact match of another member wins. DSPy's own name lookup for a
 * field that is the Enum itself is `findEnumMember`.
 */
function toEnum(value: unknown, members: [string, string | number][], strict: boolean): string | number {
  if (!strict) for (const [, m] of members) if (pyEquals(m, value)) return m;
  const expected = members.map(([, m]) => pyRepr(m));
  const list = expected.length > 1 ? `${expected.slice(0, -1).join(", ")} or ${expected.at(-1)}` : expected.join("");
  return fail(`Input should be ${list}`, value);
}

/** `member.value == value` for an Enum's str or number values. */
function pyEquals(member: string | number, value: unknown): boolean {
  if (typeof member === "string") return value === member;
  const v = value instanceof PyFloat ? value.value : typeof value === "boolean" ? Number(value) : value;
  if (typeof v === "bigint") return Number.isInteger(member) && BigInt(member) === v;
  return v === member;
}

/**
 * DSPy's `find_enum_member`, used when a field is the Enum itself: the member whose value equals the
 * parsed text, else the member of that name.
 */
export function findEnumMember(value: unknown, type: Extract<TypeNode, { kind: "enum" }>): string | number {
  for (const [, m] of type.members) if (pyEquals(m, value)) return m;
  if (typeof value === "string") for (const [n, m] of type.members) if (n === value) return m;
  throw new ValidationFailure(`${pyStr(value)} is not a valid name or value for the enum ${type.name}`);
}

function toUnion(value: unknown, options: TypeNode[], strict: boolean): unknown {
  for (const o of options) {
    try {
      return validate(value, o, true);
    } catch (e) {
      if (!(e instanceof ValidationFailure)) throw e;
    }
  }
  const errors: string[] = [];
  if (!strict) {
    for (const o of options) {
      try {
        return validate(value, o, false);
      } catch (e) {
        if (!(e instanceof ValidationFailure)) throw e;
        errors.push(e.message);
      }
    }
  }
  return fail(`No union member matched (${errors.join("; ")})`, value);
}

function dedupe(items: unknown[]): unknown[] {
  const seen = new Set<string>();
  return items.filter((v) => {
    const key = pyRepr(v);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * dspy.Code's `validate_input`: text, or `{code: text}`, with a markdown fence (```lang\n…```, or
 * ```…``` on one line) reduced to the code inside it. The value is the code text.
 */
function toCode(value: unknown): string {
  const text = isDict(value) ? value.code : value;
  if (isDict(value) && !("code" in value)) return fail("`code` field is required for `dspy.Code`", value);
  if (typeof text !== "string") return fail("Received invalid value for `dspy.Code`", value);
  const fenced = /```[^\n]*\n([\s\S]*?)```/.exec(text) ?? /```([\s\S]*?)```/.exec(text);
  return fenced ? pyStrip(fenced[1]!) : text;
}

/** pydantic's validation of dspy.ToolCalls: `{tool_calls: [...]}`, a list of calls, or one call. */
function toToolCalls(value: unknown): ToolCalls {
  if (value instanceof ToolCalls) return value;
  const isCall = (v: unknown): v is Record<string, unknown> =>
    isDict(v) && (("name" in v && ("args" in v || "arguments" in v)) || "function" in v);
  const plain = toPlain(value);
  if (Array.isArray(plain) && plain.every(isCall)) return ToolCalls.fromDictList(plain);
  if (isDict(plain) && Array.isArray(plain.tool_calls) && plain.tool_calls.every(isCall)) {
    return ToolCalls.fromDictList(plain.tool_calls);
  }
  if (isCall(plain)) return ToolCalls.fromDictList([plain]);
  return fail("Received invalid value for `dspy.ToolCalls`", value);
}
