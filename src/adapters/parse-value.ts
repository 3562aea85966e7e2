/**
 * DSPy's `parse_value(value, annotation)`: str stays as it is; Literal tolerates quotes and a
 * `Literal[...]` wrapper; other text goes through json_repair, then `ast.literal_eval`, then
 * pydantic validation against the type.
 */
import type { TypeNode } from "../signature/types.js";
import { PyFloat, pyStr, pyStrip } from "../py/builtins.js";
import { NestingTooDeepError } from "../py/errors.js";
import { repairJsonLoads } from "../py/json-repair.js";
import { LiteralEvalError, literalEval } from "../py/literal-eval.js";
import { findEnumMember, ValidationFailure, validate } from "./validate.js";

export { ValidationFailure };

/** Returns the validated value, still carrying PyFloat/PyTuple wrappers (see `toPlain`). */
export function parseValue(value: unknown, type: TypeNode): unknown {
  if (type.kind === "str") return pyStr(value);

  if (type.kind === "literal") {
    const allowed = type.values;
    const plain = value instanceof PyFloat ? value.value : value;
    if (allowed.some((a) => a === plain && typeof a === typeof plain)) return plain;
    if (typeof value === "string") {
      let v = pyStrip(value);
      if ((v.startsWith("Literal[") || v.startsWith("str[")) && v.endsWith("]")) v = v.slice(v.indexOf("[") + 1, -1);
      if (v.length > 1 && v[0] === v[v.length - 1] && (v[0] === '"' || v[0] === "'")) v = v.slice(1, -1);
      if (allowed.includes(v)) return v;
      value = v;
    }
  }

  // DSPy looks an Enum member up by the text itself (value, then name), before any JSON parsing.
  if (type.kind === "enum") return findEnumMember(value, type);
  if (typeof value !== "string") return validate(value, type);

  if (
    type.kind === "union" &&
    type.options.some((o) => o.kind === "none") &&
    type.options.some((o) => o.kind === "str" && o.annotated === undefined)
  ) {
    return validate(value, type);
  }

  let candidate: unknown;
  try {
    candidate = repairJsonLoads(value);
  } catch (e) {
    // Python's json_repair raises RecursionError here; a validation failure names the field.
    if (e instanceof NestingTooDeepError) throw new ValidationFailure(e.message);
    throw e;
  }
  if (candidate === "" && value !== "") {
    try {
      candidate = literalEval(value);
    } catch (e) {
      if (!(e instanceof LiteralEvalError)) throw e;
      candidate = value;
    }
  }
  try {
    return validate(candidate, type);
  } catch (e) {
    // DSPy retries a dspy.Type (Code, Reasoning) on the original text: `{"lang": 1}` is code.
    if (!(e instanceof ValidationFailure) || (type.kind !== "code" && type.kind !== "reasoning")) throw e;
    try {
      return validate(value, type);
    } catch {
      throw e;
    }
  }
}
