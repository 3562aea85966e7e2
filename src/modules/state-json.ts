/**
 * The text DSPy's `save()` writes: `orjson.dumps(state, OPT_INDENT_2)`. JavaScript cannot tell 1.0
 * from 1, so the saved signature says which demo values are floats, and those keep their ".0" (a
 * file Python then loads formats those demos as Python would). Floats print as orjson prints them,
 * NaN and infinities as null, and integers beyond 64 bits are refused, as orjson refuses them.
 */
import { floatRepr, itemHint, numberRepr } from "../py/builtins.js";
import type { Signature } from "../signature/signature.js";
import type { TypeNode } from "../signature/types.js";
import { ProgramStateError } from "./errors.js";

const I64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;

/** orjson's float form: Python's repr, except fixed notation down to 1e-5 and unpadded negative exponents. */
export function orjsonFloat(x: number): string {
  if (!Number.isFinite(x)) return "null";
  const r = floatRepr(x);
  const m = /^(-?)(\d)(?:\.(\d+))?e-(\d+)$/.exec(r);
  if (!m) return r;
  const exp = Number(m[4]);
  if (exp === 5) return `${m[1]}0.0000${m[2]}${m[3] ?? ""}`;
  return `${m[1]}${m[2]}${m[3] ? `.${m[3]}` : ""}e-${exp}`;
}

function num(x: number, hint: TypeNode | undefined): string {
  if (!Number.isFinite(x)) return "null";
  const r = numberRepr(x, hint);
  return /[.e]|inf|nan/.test(r) ? orjsonFloat(x) : r;
}

/** A JSON writer like `JSON.stringify(v, null, 2)`, with numbers typed by `hint`. */
function write(value: unknown, hint: TypeNode | undefined, indent: string, hintAt: HintAt, path: string[]): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number") return num(value, hint);
  if (typeof value === "bigint") {
    if (value < I64_MIN || value > U64_MAX) {
      throw new ProgramStateError(`Cannot save the integer ${value}: it exceeds 64 bits`, {
        fix: "store it as a string in the demo; DSPy's saver (orjson) refuses it too",
      });
    }
    return value.toString();
  }
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return write((value as { toJSON(): unknown }).toJSON(), hint, indent, hintAt, path);
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((v, i) => write(v, itemHint(hint, i), inner, hintAt, [...path, String(i)]));
    return `[\n${inner}${items.join(`,\n${inner}`)}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{}";
  const items = entries.map(([k, v]) => {
    const at = [...path, k];
    return `${JSON.stringify(k)}: ${write(v, hintAt(at) ?? itemHint(hint, 0, k), inner, hintAt, at)}`;
  });
  return `{\n${inner}${items.join(`,\n${inner}`)}\n${indent}}`;
}

type HintAt = (path: string[]) => TypeNode | undefined;

/**
 * The saved text of a program state whose top-level keys are predictor names; `signatures` gives
 * each predictor's signature so its demos' values are written with their field types.
 */
export function stateJSON(state: Record<string, unknown>, signatures: ReadonlyMap<string, Signature>): string {
  const hintAt: HintAt = (path) => {
    // [predictor, "demos", index, field]
    if (path.length !== 4 || path[1] !== "demos") return undefined;
    return signatures.get(path[0]!)?.field(path[3]!)?.type;
  };
  return `${write(state, undefined, "", hintAt, [])}\n`;
}
