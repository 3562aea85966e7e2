/**
 * Python's text forms for JSON-like values, so that scripted answers and history printouts
 * match what DSPy (json.dumps, str(), str.strip) produces byte for byte.
 */

/** Python's repr of a float/int as JSON-like data gives it (JS cannot tell 1.0 from 1: integers print as ints). */
export function pyNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (Number.isInteger(value)) return Math.abs(value) < 1e16 ? String(value) : BigInt(value).toString();
  // Shortest round-trip digits are the same in both languages; only the layout differs.
  const [mantissa = "", expText = "0"] = value.toExponential().split("e");
  const exp = Number(expText);
  if (exp >= -4 && exp < 16) return String(value).includes("e") ? fixed(mantissa, exp) : String(value);
  const sign = exp < 0 ? "-" : "+";
  return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
}

function fixed(mantissa: string, exp: number): string {
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  let out: string;
  if (exp < 0) out = `0.${"0".repeat(-exp - 1)}${digits}`;
  else if (digits.length > exp + 1) out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  else out = `${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  return negative ? `-${out}` : out;
}

/** Python's `str()` of a scalar after pydantic's JSON-mode dump (True, None, 0.5, raw strings). */
export function pyStr(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return pyNumber(value);
  if (typeof value === "bigint") return value.toString();
  return pyJSONDumps(value);
}

/**
 * `json.dumps(value, ensure_ascii=False)`, or with `indent` as `json.dumps(..., indent=indent)`:
 * ", " and ": " separators without indent, "," and ": " with it.
 */
export function pyJSONDumps(value: unknown, indent?: number): string {
  return dump(value, indent, 0);
}

function dump(value: unknown, indent: number | undefined, depth: number): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return pyNumber(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const entries: [string | undefined, unknown][] = Array.isArray(value)
    ? value.map((v) => [undefined, v])
    : Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && typeof v !== "function");
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) return `${open}${close}`;
  const items = entries.map(([k, v]) => {
    const rendered = dump(v, indent, depth + 1);
    return k === undefined ? rendered : `${JSON.stringify(k)}: ${rendered}`;
  });
  if (indent === undefined) return `${open}${items.join(", ")}${close}`;
  const inner = " ".repeat(indent * (depth + 1));
  const outer = " ".repeat(indent * depth);
  return `${open}\n${inner}${items.join(`,\n${inner}`)}\n${outer}${close}`;
}

// Python's str.isspace() set, which differs from JS's trim() (\x1c-\x1f, \x85 in; \ufeff out).
const PY_WS = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const LEADING = new RegExp(`^[${PY_WS}]+`);
const TRAILING = new RegExp(`[${PY_WS}]+$`);

export function pyStrip(text: string): string {
  return text.replace(LEADING, "").replace(TRAILING, "");
}

export function pyLstrip(text: string): string {
  return text.replace(LEADING, "");
}

/** Python's str.capitalize(): first character upper, the rest lower. */
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
