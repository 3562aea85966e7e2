/**
 * The behaviour of Python's `json_repair.loads` (0.64, the version DSPy 3.4.1 pins) that DSPy's
 * parsing relies on: valid JSON first; otherwise skip prose until a container, accept single
 * quotes, unquoted keys and words, Python literals inside containers, trailing commas, missing
 * closers and tuples; several top-level values become a list; nothing found gives "".
 * The npm `jsonrepair` package differs on exactly these points (it turns prose into a string),
 * hence this port of the relevant rules. Exotic heuristics of the Python library are not ported.
 */
import { parseArray, parseParenthesized } from "./json-repair-array.js";
import { parseNumber } from "./json-repair-number.js";
import { parseObjectValue } from "./json-repair-object.js";
import { isDigit, QUOTES, topLevelParenCanStart } from "./json-repair-parens.js";
import { isAlpha, LookAhead } from "./json-repair-scan.js";
import { parseQuoted, parseString } from "./json-repair-string.js";
import { isPySpace, PyFloat, pyStrip, pyTruthy } from "./builtins.js";
import { NestingTooDeepError } from "./errors.js";
import { MAX_JSON_DEPTH, strictJsonLoads, strictRawDecode } from "./json-strict.js";

/** What the parser is inside, innermost last: json_repair's ContextValues. */
export type Ctx = "array" | "key" | "value";

/**
 * The parser's state, shared by the parse_* files (json-repair-object/-array/-string/-number.ts,
 * after json_repair's own modules); they reach each other through these methods.
 */
export class RepairParser {
  i = 0;
  readonly ctx: Ctx[] = [];
  triedSuffix = false;

  readonly look: LookAhead;

  constructor(readonly s: string) {
    this.look = new LookAhead(s);
  }

  /** `_parse_top_level`: repeated values at the top level become a list. */
  parseTop(): unknown {
    const first = this.parseJson();
    if (this.i >= this.s.length) return first;
    const list: unknown[] = [first];
    while (this.i < this.s.length) {
      const commaSeparated = this.nextIsCommaSeparated();
      const j = this.parseJson();
      if (pyTruthy(j)) {
        const last = list[list.length - 1];
        if (!commaSeparated && sameShape(last, j)) list.pop();
        else if (!pyTruthy(last)) list.pop();
        list.push(j);
      } else {
        this.i++;
      }
    }
    return list.length === 1 ? list[0] : list;
  }

  private nextIsCommaSeparated(): boolean {
    let k = this.i;
    while (k < this.s.length && isPySpace(this.s[k]!)) k++;
    if (this.s[k] === ",") return true;
    k = this.i - 1;
    while (k >= 0 && isPySpace(this.s[k]!)) k--;
    return k >= 0 && this.s[k] === ",";
  }

  /** `parse_json`: at the top level only containers start a value; inside, anything does. */
  parseJson(): unknown {
    const s = this.s;
    const top = this.ctx.length === 0;
    let checkInitialQuote = this.i === 0 && top;
    for (;;) {
      const ch = s[this.i];
      if (ch === undefined) return "";
      if (top && (ch === "{" || ch === "[") && !this.triedSuffix && this.trailingContentAfterFirstContainer()) {
        this.triedSuffix = true;
        const decoded = strictRawDecode(s, this.i);
        if (decoded) {
          this.i = decoded.end;
          return decoded.value;
        }
      }
      if (ch === "{") {
        this.i++;
        return this.parseObjectValue();
      }
      if (ch === "[") {
        this.i++;
        return this.parseArray("]");
      }
      if (ch === "(" && (!top || topLevelParenCanStart(this.s, this.i))) return this.parseParenthesized();
      if (!top && (QUOTES.has(ch) || isAlpha(ch))) return this.parseString();
      if (!top && (isDigit(ch) || ch === "-" || ch === ".")) return this.parseNumber();
      if (ch === "#" || ch === "/") {
        this.skipComment();
        if (!top) return "";
        continue;
      }
      if (QUOTES.has(ch) && checkInitialQuote) {
        checkInitialQuote = false;
        const obj = this.missingOpeningBrace(ch);
        if (obj) return obj.value;
      }
      this.i++;
    }
  }

  /** `_initial_container_has_non_comma_trailing_content`. */
  private trailingContentAfterFirstContainer(): boolean {
    if (this.i !== 0) return true;
    const s = this.s;
    const stack: string[] = [];
    let inString = false;
    let escaped = false;
    for (let k = 0; k < s.length; k++) {
      const c = s[k]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === "\\") escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === "{" || c === "[") stack.push(c === "{" ? "}" : "]");
      else if (c === "}" || c === "]") {
        if (stack.length === 0 || stack.pop() !== c) return false;
        if (stack.length === 0) {
          let t = k + 1;
          while (t < s.length && isPySpace(s[t]!)) t++;
          return t < s.length && s[t] !== ",";
        }
      }
    }
    return false;
  }

  /** `_try_parse_missing_opening_object`: `"a": 1}` read as `{"a": 1}`. */
  private missingOpeningBrace(quote: string): { value: unknown } | undefined {
    const s = this.s;
    const close = s.indexOf(quote, 1);
    if (close < 0) return undefined;
    let k = close + 1;
    while (k < s.length && isPySpace(s[k]!)) k++;
    if (s[k] !== ":" || pyStrip(s).slice(-1) !== "}") return undefined;
    const decoded = strictJsonLoads(`{${s}`);
    if (!decoded) return undefined;
    this.i = s.length;
    return decoded;
  }

  skipWs(): void {
    while (this.i < this.s.length && isPySpace(this.s[this.i]!)) this.i++;
  }

  skipWsAndComments(): void {
    for (;;) {
      this.skipWs();
      const ch = this.s[this.i];
      if (ch !== "#" && !(ch === "/" && (this.s[this.i + 1] === "/" || this.s[this.i + 1] === "*"))) return;
      this.skipComment();
    }
  }

  private skipComment(): void {
    const s = this.s;
    const ch = s[this.i];
    if (ch === "#" || (ch === "/" && s[this.i + 1] === "/")) {
      const stops = new Set(["\n", "\r"]);
      if (ch === "#") {
        if (this.ctx.includes("array")) stops.add("]");
        if (this.ctx.includes("value")) stops.add("}");
        if (this.ctx.includes("key")) stops.add(":");
      }
      while (this.i < s.length && !stops.has(s[this.i]!)) this.i++;
    } else if (ch === "/" && s[this.i + 1] === "*") {
      const end = s.indexOf("*/", this.i + 2);
      this.i = end < 0 ? s.length : end + 2;
    } else {
      this.i++;
    }
  }

  /** Containers open on the current path, so that deep text fails clearly before the stack does. */
  depth = 0;

  enter(): void {
    if (++this.depth > MAX_JSON_DEPTH) throw new NestingTooDeepError("the JSON text", MAX_JSON_DEPTH, this.i);
  }

  /** Where the last key parsed started (`_parse_object_key`'s rollback index). */
  keyStart = 0;
  /**
   * A '{' json_repair inserts before a repeated key in an array (it edits its text; we mark the
   * place): the array's next item is an object starting there.
   */
  virtualBrace = -1;

  /** How the last parseObject ended: at the end of the text (no '}' or ']' closed it). */
  ranOffEnd = false;

  // The parse_* entry points, one per json_repair module.
  parseObjectValue(): unknown {
    return parseObjectValue(this);
  }

  parseArray(closing: "]" | ")" | "}"): unknown[] {
    return parseArray(this, closing);
  }

  parseParenthesized(): unknown {
    return parseParenthesized(this);
  }

  parseString(): unknown {
    return parseString(this);
  }

  parseQuoted(): string {
    return parseQuoted(this);
  }

  parseNumber(): unknown {
    return parseNumber(this);
  }
}

/** `ObjectComparer.is_same_object`: same types and same keys, recursively. */
function sameShape(a: unknown, b: unknown): boolean {
  const kind = (v: unknown) =>
    v === null
      ? "null"
      : Array.isArray(v)
        ? "list"
        : v instanceof PyFloat
          ? "float"
          : typeof v === "number"
            ? Number.isInteger(v)
              ? "int"
              : "float"
            : typeof v;
  if (kind(a) !== kind(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameShape(x, b[i]));
  if (kind(a) === "object") {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = Object.keys(ao);
    if (keys.length !== Object.keys(bo).length) return false;
    return keys.every((k) => Object.hasOwn(bo, k) && sameShape(ao[k], bo[k]));
  }
  return true;
}

/** Python's `json_repair.loads(text)`. Returns "" when no value could be found. */
export function repairJsonLoads(text: string): unknown {
  const strict = strictJsonLoads(text);
  if (strict) return strict.value;
  return new RepairParser(text).parseTop();
}
