/**
 * The bits of Python's text and value semantics that DSPy's prompts, parses, history printouts and
 * result tables depend on: `str.strip`, `str.splitlines`, `str.capitalize`, `textwrap.dedent`,
 * `repr`/`str` of values and `json.dumps`. One copy for the whole package: every floor above
 * uses these. JavaScript has
 * one number type, so a float that happens to be integral (Python's `3.0`) is carried as a
 * `PyFloat` while values are being parsed, and type hints decide it while values are formatted.
 */
import type { TypeNode } from "./type-node.js";
import { modelFieldType } from "./model-fields.js";

/** A Python float whose value is integral (`3.0`, `-0.0`, `1e+20`): a plain number would print as an int. */
export class PyFloat {
  constructor(readonly value: number) {}
  /** JSON has one number type: on the wire (a response_format schema, a saved file) it is the number. */
  toJSON(): number {
    return this.value;
  }
}

/** A Python tuple, kept apart from lists only so that `repr` prints `(1, 2)`. */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

// Python's str.isspace() set; JS's \s differs (it has U+FEFF, lacks \x1c-\x1f and \x85).
const WS =
  "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
const WS_SET = new Set(WS);

export function isPySpace(ch: string): boolean {
  return WS_SET.has(ch);
}

/** Python's `str.strip()` with no argument. */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && WS_SET.has(s[start]!)) start++;
  while (end > start && WS_SET.has(s[end - 1]!)) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

export function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && WS_SET.has(s[end - 1]!)) end--;
  return end === s.length ? s : s.slice(0, end);
}

export function pyLstrip(s: string): string {
  let start = 0;
  while (start < s.length && WS_SET.has(s[start]!)) start++;
  return start === 0 ? s : s.slice(start);
}

/** Python's `str.capitalize()`: first character upper, the rest lower. */
export function pyCapitalize(text: string): string {
  const first = text.codePointAt(0);
  if (first === undefined) return text;
  const head = String.fromCodePoint(first);
  return head.toUpperCase() + text.slice(head.length).toLowerCase();
}

/** `len(text.split())`: the whitespace-separated word count DSPy-style estimates use. */
export function wordCount(text: string): number {
  let count = 0;
  let inWord = false;
  // Char codes, not the Set: ScriptedLM counts every prompt with this.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space =
      c === 32 ||
      (c >= 9 && c <= 13) ||
      (c >= 0x1c && c <= 0x1f) ||
      c === 0x85 ||
      c === 0xa0 ||
      (c >= 0x2000 && c <= 0x200a) ||
      c === 0x1680 ||
      c === 0x2028 ||
      c === 0x2029 ||
      c === 0x202f ||
      c === 0x205f ||
      c === 0x3000;
    if (space) inWord = false;
    else if (!inWord) {
      inWord = true;
      count++;
    }
  }
  return count;
}

/** Python's line boundaries for `str.splitlines()`. */
export const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;

/** Python's `str.splitlines()` (no trailing empty line after a final break). */
export function pySplitlines(s: string): string[] {
  if (s === "") return [];
  const lines = s.split(LINE_BREAK);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Python's `textwrap.dedent`: removes the common leading spaces/tabs; blank lines become empty. */
export function dedent(text: string): string {
  const normalized = text.replace(/^[ \t]+$/gm, "");
  let margin: string | undefined;
  for (const m of normalized.matchAll(/^([ \t]*)(?:[^ \t\n])/gm)) {
    const indent = m[1]!;
    if (margin === undefined || indent.startsWith(margin)) {
      margin ??= indent;
    } else if (margin.startsWith(indent)) {
      margin = indent;
    } else {
      let i = 0;
      while (i < margin.length && i < indent.length && margin[i] === indent[i]) i++;
      margin = margin.slice(0, i);
    }
  }
  if (!margin) return normalized;
  const re = new RegExp(`^${margin}`, "gm");
  return normalized.replace(re, "");
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Number.POSITIVE_INFINITY) return "inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, expPart] = x.toExponential().split("e") as [string, string];
  const exp = Number(expPart);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  const sign = negative ? "-" : "";
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/**
 * Python's `int(text)` for decimal digits (sign allowed, no underscores): a number while it is
 * exact, a bigint beyond 2^53 so that large ids and counts keep every digit. Never -0.
 */
export function pyInt(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n + 0 : BigInt(text);
}

/**
 * Python's `repr(int)` of the number's exact value: past 2^53 `String()` rounds the digits
 * (12345678901234567000 for the double 12345678901234567168) and from 1e21 uses exponent form.
 */
export function intRepr(x: number): string {
  return Math.abs(x) <= Number.MAX_SAFE_INTEGER ? String(x) : BigInt(x).toString();
}

/** Whether a type position asks for floats, so integral numbers there print as `3.0`. */
export function wantsFloat(hint: TypeNode | undefined): boolean {
  if (!hint) return false;
  if (hint.kind === "float") return true;
  if (hint.kind === "union") {
    return hint.options.some((o) => o.kind === "float") && !hint.options.some((o) => o.kind === "int");
  }
  return false;
}

export function numberRepr(x: number, hint?: TypeNode): string {
  if (Object.is(x, -0)) return "-0.0";
  if (!Number.isFinite(x) || !Number.isInteger(x) || wantsFloat(hint)) return floatRepr(x);
  return intRepr(x);
}

/** The type of the n-th item (or of a dict's values, or of a model's field `key`) inside a container hint. */
export function itemHint(hint: TypeNode | undefined, index: number, key?: string): TypeNode | undefined {
  if (!hint) return undefined;
  switch (hint.kind) {
    case "object":
      return key === undefined ? undefined : modelFieldType(hint.schema, key);
    case "list":
    case "set":
      return hint.item;
    case "tuple":
      if (!hint.items) return undefined;
      return hint.variadic ? hint.items[0] : hint.items[index];
    case "dict":
      return hint.value;
    case "union": {
      const containers = hint.options.filter((o) => o.kind !== "none");
      return containers.length === 1 ? itemHint(containers[0], index, key) : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * A JSON value with its float positions (by `hint`) made PyFloat, as the Python value would hold
 * them (`3.0` in a float field): a schema's `default` printed by `pyJsonDumps` then reads as DSPy's.
 */
export function withFloats(value: unknown, hint: TypeNode | undefined): unknown {
  if (hint === undefined) return value;
  if (typeof value === "number") return Number.isInteger(value) && wantsFloat(hint) ? new PyFloat(value) : value;
  if (Array.isArray(value)) return value.map((v, i) => withFloats(v, itemHint(hint, i)));
  if (value !== null && typeof value === "object" && !(value instanceof PyFloat) && !(value instanceof PyTuple)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, withFloats(v, itemHint(hint, 0, k)));
    return out;
  }
  return value;
}

const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

/** Python's `repr(str)`: single quotes unless the text has ' and no ", escapes for non-printables. */
export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch !== " " && NON_PRINTABLE.test(ch)) {
      const cp = ch.codePointAt(0)!;
      if (cp < 0x100) out += `\\x${cp.toString(16).padStart(2, "0")}`;
      else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, "0")}`;
      else out += `\\U${cp.toString(16).padStart(8, "0")}`;
    } else out += ch;
  }
  return out + quote;
}

/** Python's `repr` of a parsed value (dicts, lists, tuples, scalars). */
export function pyRepr(value: unknown, hint?: TypeNode): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return numberRepr(value, hint);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return strRepr(value);
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (value instanceof PyTuple) {
    const items = value.items.map((v, i) => pyRepr(v, itemHint(hint, i)));
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
  }
  if (Array.isArray(value)) {
    if (hint?.kind === "tuple") return pyRepr(new PyTuple(value), hint);
    if (hint?.kind === "set") {
      const items = value.map((v) => pyRepr(v, hint.item)).join(", ");
      if (hint.frozen) return value.length === 0 ? "frozenset()" : `frozenset({${items}})`;
      return value.length === 0 ? "set()" : `{${items}}`;
    }
    return `[${value.map((v, i) => pyRepr(v, itemHint(hint, i))).join(", ")}]`;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([k, v]) => `${strRepr(k)}: ${pyRepr(v, itemHint(hint, 0, k))}`).join(", ")}}`;
  }
  return String(value);
}

/** Python's `str()`: like repr, except that a top-level string is itself. */
export function pyStr(value: unknown, hint?: TypeNode): string {
  return typeof value === "string" ? value : pyRepr(value, hint);
}

/**
 * Python's `json.dumps(value, ensure_ascii=False)` (separators ", " and ": "), or with
 * `indent` its pretty form (separators "," and ": "). Floats follow `float.__repr__`.
 */
export function pyJsonDumps(value: unknown, hint?: TypeNode, indent?: number, current = ""): string {
  return dump(value, hint, indent === undefined ? undefined : " ".repeat(indent), current);
}

function dump(value: unknown, hint: TypeNode | undefined, indent: string | undefined, current: string): string {
  if (value === null || value === undefined) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
    return numberRepr(value, hint);
  }
  if (typeof value === "bigint") return value.toString();
  if (value instanceof PyFloat) return dump(value.value, { kind: "float" }, indent, current);
  if (indent === undefined && Array.isArray(value)) {
    // The compact list form, written straight into one string: it is what list inputs take on every call.
    if (value.length === 0) return "[]";
    let out = `[${dump(value[0], itemHint(hint, 0), undefined, current)}`;
    for (let i = 1; i < value.length; i++) out += `, ${dump(value[i], itemHint(hint, i), undefined, current)}`;
    return `${out}]`;
  }
  const items: string[] = [];
  let open: string;
  let close: string;
  const inner = indent === undefined ? current : current + indent;
  if (Array.isArray(value) || value instanceof PyTuple) {
    const list = Array.isArray(value) ? value : value.items;
    open = "[";
    close = "]";
    list.forEach((v, i) => {
      items.push(dump(v, itemHint(hint, i), indent, inner));
    });
  } else {
    open = "{";
    close = "}";
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      items.push(`${JSON.stringify(k)}: ${dump(v, itemHint(hint, 0, k), indent, inner)}`);
    }
  }
  if (items.length === 0) return open + close;
  if (indent === undefined) return `${open}${items.join(", ")}${close}`;
  return `${open}\n${inner}${items.join(`,\n${inner}`)}\n${current}${close}`;
}

/** Python truthiness for parsed JSON values. */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === "") return false;
  if (value instanceof PyFloat) return value.value !== 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof PyTuple) return value.items.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

/** Sets `obj[key]` as an own data property, even for "__proto__". */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Replaces parse-time wrappers (PyFloat, PyTuple) with plain JS values. */
export function toPlain(value: unknown): unknown {
  if (value instanceof PyFloat) return value.value;
  if (value instanceof PyTuple) return value.items.map(toPlain);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === "object") {
    // Validated values of other classes (a ToolCalls) stay what they are.
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) setOwn(out, k, toPlain(v));
    return out;
  }
  return value;
}
