/**
 * The behaviour of Python's `json_repair.loads` (0.64, the version DSPy 3.4.1 pins) that DSPy's
 * parsing relies on: valid JSON first; otherwise skip prose until a container, accept single
 * quotes, unquoted keys and words, Python literals inside containers, trailing commas, missing
 * closers and tuples; several top-level values become a list; nothing found gives "".
 * The npm `jsonrepair` package differs on exactly these points (it turns prose into a string),
 * hence this port of the relevant rules. Exotic heuristics of the Python library are not ported.
 */
import { isDigit, parenIsExplicitTuple, QUOTES, topLevelParenCanStart } from "./json-repair-parens.js";
import { isPySpace, PyFloat, pyInt, pyRstrip, pyStrip, pyTruthy, setOwn } from "./builtins.js";
import { NestingTooDeepError } from "./errors.js";
import { LookAhead } from "./json-repair-scan.js";
import { MAX_JSON_DEPTH, strictJsonLoads, strictRawDecode } from "./json-strict.js";

type Ctx = "array" | "key" | "value";

const NUMBER_CHARS = new Set("0123456789-.eE/,_");
const LITERALS: [string, boolean | null][] = [
  ["true", true],
  ["false", false],
  ["null", null],
  ["none", null],
];

const TRAILING_CLOSER = /^[\s}\]]$/u;

const isAlpha = (ch: string | undefined): boolean => ch !== undefined && /^\p{L}$/u.test(ch);

class RepairParser {
  i = 0;
  readonly ctx: Ctx[] = [];
  private triedSuffix = false;

  private readonly look: LookAhead;

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

  private skipWs(): void {
    while (this.i < this.s.length && isPySpace(this.s[this.i]!)) this.i++;
  }

  private skipWsAndComments(): void {
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
  private depth = 0;

  private enter(): void {
    if (++this.depth > MAX_JSON_DEPTH) throw new NestingTooDeepError("the JSON text", MAX_JSON_DEPTH, this.i);
  }

  /** `parse_object` as a whole: the members, the set-literal repair, then `_complete_object_parse`. */
  private parseObjectValue(): unknown {
    const start = this.i;
    const obj = this.parseObject();
    if (this.emptyObjectAsArray(obj, start)) return this.parseArray("]");
    const s = this.s;
    const current = this.ctx[this.ctx.length - 1];
    if (current !== undefined) {
      // A stray '}' after an object inside an array is skipped (not after a key or a value).
      if (s[this.i] === "}" && current === "array") this.i++;
      return obj;
    }
    // At the top level `{...}, "b": 2` goes on as more members of the same object.
    this.skipWs();
    if (s[this.i] === ",") {
      this.i++;
      this.skipWs();
      if (QUOTES.has(s[this.i]!)) {
        const more = this.parseObjectValue();
        if (more !== null && typeof more === "object" && !Array.isArray(more)) {
          for (const [k, v] of Object.entries(more)) setOwn(obj, k, v);
        }
      }
    }
    return obj;
  }

  /**
   * `_repair_empty_object_result`: an object that came out empty though text stood between its
   * braces, with no ':' outside quotes there, is a Python set literal (`{1, 2}`): json_repair then
   * reparses it from `start` (just after its "{") as an array. It looks only after parsing it as an
   * object, whose key scan may run past the "}" (`{"a": {1, 2}, "b": 3}` gives `{'a': {'b': 3}}`).
   * True when the caller should reparse; `this.i` is then back at `start`.
   */
  private emptyObjectAsArray(obj: Record<string, unknown>, start: number): boolean {
    const s = this.s;
    // json_repair steps past the end when the object runs off it; we stop at the end.
    const end = this.ranOffEnd ? s.length + 1 : this.i;
    if (Object.keys(obj).length > 0 || end - start <= 2) return false;
    // Only whitespace and comments before the closing brace: a plain empty object.
    if (s[end - 1] === "}" && this.look.firstContent(start) >= end - 1) return false;
    // The text json_repair classifies runs from after the "{" to one character past `end`, less
    // one "}" at its end; it must hold something, and no ':' outside quotes and comments.
    let bodyEnd = Math.min(end + 1, s.length);
    if (bodyEnd > start && s[bodyEnd - 1] === "}") bodyEnd--;
    if (this.look.firstContent(start) >= bodyEnd) return false;
    if (this.look.firstColon(start) < bodyEnd) return false;
    this.i = start;
    return true;
  }

  /** How the last parseObject ended: at the end of the text (no '}' or ']' closed it). */
  private ranOffEnd = false;

  private parseObject(): Record<string, unknown> {
    this.enter();
    const s = this.s;
    const obj: Record<string, unknown> = {};
    for (;;) {
      this.skipWsAndComments();
      const ch = s[this.i];
      if (ch === undefined) {
        this.depth--;
        this.ranOffEnd = true;
        return obj;
      }
      if (ch === "}") {
        this.i++;
        this.depth--;
        this.ranOffEnd = false;
        return obj;
      }
      if (ch === ",") {
        this.i++;
        continue;
      }
      if (ch === ":") this.i++;
      const key = this.parseKey();
      this.skipWsAndComments();
      const after = s[this.i];
      // A key with no value before the object ends (`{"a": 1, 2}`, prose after the object) is dropped.
      if (after === undefined || after === "}") continue;
      // The ':' or, when it is missing, whatever stands in its place.
      this.i++;
      this.skipWsAndComments();
      const next = s[this.i];
      let value: unknown = "";
      if (next !== undefined && next !== "," && next !== "}") {
        this.ctx.push("value");
        value = this.parseJson();
        this.ctx.pop();
      }
      setOwn(obj, String(key), value);
      const end = s[this.i];
      if (end === "," || end === "'" || end === '"') this.i++;
      if (s[this.i] === "]" && this.ctx.includes("array")) {
        this.depth--;
        this.ranOffEnd = false;
        return obj;
      }
    }
  }

  /**
   * `_parse_object_key`: characters that cannot start a string are skipped (the second '{' of
   * `{{"a": 1}}`); an unquoted word followed by neither ':' nor ',' is no key, and the next
   * string is tried instead (`{"a": Paris, France, "b": 1}` has no key "France").
   */
  private parseKey(): string {
    const s = this.s;
    this.ctx.push("key");
    try {
      for (;;) {
        this.i = this.look.nextKeyStart(this.i);
        if (this.i >= s.length) return "";
        const key = QUOTES.has(s[this.i]!) ? this.parseQuoted() : this.unquotedKey();
        if (key !== "") return key;
        this.skipWsAndComments();
        const c = s[this.i];
        if (c === undefined || c === ":" || c === "}") return key;
      }
    } finally {
      this.ctx.pop();
    }
  }

  private unquotedKey(): string {
    const s = this.s;
    const start = this.i;
    while (this.i < s.length && s[this.i] !== ":" && s[this.i] !== '"' && !isPySpace(s[this.i]!)) this.i++;
    const key = s.slice(start, this.i);
    if (s[this.i] === '"') this.i++;
    else if (this.i < s.length && isPySpace(s[this.i]!)) {
      const k = this.look.scrollWs(this.i);
      if (s[k] !== ":" && s[k] !== ",") {
        this.i = k;
        return "";
      }
    }
    return pyRstrip(key);
  }

  private parseArray(closing: "]" | ")" | "}"): unknown[] {
    this.enter();
    const s = this.s;
    const arr: unknown[] = [];
    this.ctx.push("array");
    for (;;) {
      this.skipWsAndComments();
      const ch = s[this.i];
      if (ch === undefined || ch === closing || ch === "}") break;
      if (ch === ",") {
        this.i++;
        continue;
      }
      let value: unknown;
      if (QUOTES.has(ch) && this.quotedIsKey(ch)) value = this.parseObjectValue();
      else if (QUOTES.has(ch)) value = this.parseString();
      else value = this.parseJson();
      const after = s[this.i];
      if (isStrictlyEmpty(value) && after !== closing && after !== ",") this.i++;
      else if (value === "..." && s[this.i - 1] === ".") {
        // a stray ellipsis in a list is dropped
      } else arr.push(value);
    }
    this.ctx.pop();
    this.i++;
    this.depth--;
    return arr;
  }

  /** A quoted string followed by ':' inside an array is an object missing its '{'. */
  private quotedIsKey(quote: string): boolean {
    const close = this.s.indexOf(quote === "“" ? "”" : quote, this.i + 1);
    if (close < 0) return false;
    let k = close + 1;
    while (k < this.s.length && isPySpace(this.s[k]!)) k++;
    return this.s[k] === ":";
  }

  private parseParenthesized(): unknown {
    const explicitTuple = parenIsExplicitTuple(this.s, this.i);
    this.i++;
    const values = this.parseArray(")");
    return explicitTuple || values.length !== 1 ? values : values[0];
  }

  private parseString(): unknown {
    const ch = this.s[this.i]!;
    if (QUOTES.has(ch)) return this.parseQuoted();
    const literal = this.literal();
    if (literal) return literal.value;
    const inArray = this.ctx[this.ctx.length - 1] === "array";
    if (inArray) return this.readUnquoted(new Set([",", "]"]));
    return this.readUnquotedValue();
  }

  /**
   * An unquoted object value (`{"answer": Paris, France}`): it ends at the '}' closing its object,
   * or at a comma that starts the next member (`classify_object_value_comma`); other commas,
   * and balanced `{…}`/`[…]` after a comma, belong to the text.
   */
  private readUnquotedValue(): string {
    const s = this.s;
    const start = this.i;
    let noFutureDelimiter = false;
    let pendingContainer = false;
    const stack: string[] = [];
    let openBraces = 0;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === "," && stack.length === 0 && !pendingContainer) {
        const kind = noFutureDelimiter ? "string" : this.look.classifyComma(this.i);
        if (kind === "member") break;
        if (kind === "noFutureDelimiter") noFutureDelimiter = true;
        pendingContainer = kind === "container";
        this.i++;
        continue;
      }
      if (c === "{" || c === "[") {
        if (pendingContainer || stack.length > 0) stack.push(c);
        pendingContainer = false;
        if (c === "{" && stack.length === 0) openBraces++;
      } else if (stack.length > 0 && ((c === "}" && stack.at(-1) === "{") || (c === "]" && stack.at(-1) === "["))) {
        stack.pop();
      } else if (c === "}") {
        if (openBraces > 0) openBraces--;
        else if (this.look.braceEndsValue(this.i, '"', '"')) break;
      } else if (c === "]" && this.ctx.includes("array") && this.look.nextOf('"', this.i) >= s.length) break;
      this.i++;
    }
    return pyStrip(s.slice(start, this.i));
  }

  private literal(): { value: boolean | null } | undefined {
    const s = this.s;
    for (const [word, value] of LITERALS) {
      if (s.slice(this.i, this.i + word.length).toLowerCase() !== word) continue;
      const next = s[this.i + word.length];
      if (next === undefined || isPySpace(next) || ",)]}".includes(next)) {
        this.i += word.length;
        return { value };
      }
    }
    return undefined;
  }

  private readUnquoted(stops: Set<string>): string {
    const start = this.i;
    while (this.i < this.s.length && !stops.has(this.s[this.i]!)) this.i++;
    return pyStrip(this.s.slice(start, this.i));
  }

  /**
   * A quoted string; without its closing quote it runs to the end, less trailing closers. As an
   * object value it also ends, unclosed, at a comma that starts the next member or at a '}' that
   * closes the object (`{"a": "unterminated, "b": 1}`), as json_repair's string scan decides.
   */
  private parseQuoted(): string {
    const s = this.s;
    const open = s[this.i]!;
    const close = open === "“" ? "”" : open;
    const ctx = this.ctx[this.ctx.length - 1];
    const fast = open === '"' ? this.simpleQuoted(ctx) : undefined;
    if (fast !== undefined) return fast;
    const inValue = ctx === "value";
    const inArray = inValue && this.ctx.includes("array");
    let out = "";
    let k = this.i + 1;
    let noFutureDelimiter = false;
    let pendingContainer = false;
    const stack: string[] = [];
    let openBraces = 0;
    let unclosed = true;
    while (k < s.length) {
      const c = s[k]!;
      if (c === close || (open === "”" && c === "“")) {
        if (ctx === "key" && this.quoteInsideKey(k, open, close)) {
          out += c;
          k++;
          continue;
        }
        unclosed = false;
        k++;
        break;
      }
      if (inValue) {
        if (c === "," && stack.length === 0 && !pendingContainer) {
          const kind = noFutureDelimiter ? "string" : this.look.classifyComma(k);
          if (kind === "member") break;
          if (kind === "noFutureDelimiter") noFutureDelimiter = true;
          pendingContainer = kind === "container";
          out += c;
          k++;
          continue;
        }
        if (c === "{" || c === "[") {
          if (pendingContainer || stack.length > 0) stack.push(c);
          pendingContainer = false;
          if (c === "{") openBraces++;
        } else if (stack.length > 0 && ((c === "}" && stack.at(-1) === "{") || (c === "]" && stack.at(-1) === "["))) {
          stack.pop();
          if (c === "}" && openBraces > 0) openBraces--;
          out += c;
          k++;
          continue;
        } else if (c === "}") {
          if (openBraces > 0) openBraces--;
          else if (this.look.braceEndsValue(k, close, open)) break;
        } else if (c === "]" && inArray && this.look.nextOf(close, k) >= s.length) break;
      }
      if (c === "\\" && k + 1 < s.length) {
        // `_normalize_escape_sequence`: \n \t \r \b, the string's quote and \\ are escapes, as are
        // \uXXXX and \xXX; another quote loses its backslash; anything else (\f, \/, \xZZ) keeps it.
        const e = s[k + 1]!;
        const hex = e === "u" ? 4 : e === "x" ? 2 : 0;
        if (hex > 0 && new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(s.slice(k + 2, k + 2 + hex))) {
          out += String.fromCharCode(Number.parseInt(s.slice(k + 2, k + 2 + hex), 16));
          k += 2 + hex;
          continue;
        }
        const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b" };
        if (e in map) out += map[e];
        else if (e === close || e === "\\" || QUOTES.has(e)) out += e;
        else {
          out += c;
          k++;
          continue;
        }
        k += 2;
        continue;
      }
      out += c;
      k++;
    }
    this.i = k;
    if (!unclosed) {
      // `_finalize_string_result`: a string ending in a newline loses its trailing whitespace.
      return out.endsWith("\n") ? pyRstrip(out) : out;
    }
    if (k < s.length) return pyRstrip(out);
    // Trailing whitespace and closers go, as `[\s}\]]+$` would take them; a backward scan,
    // because that regex retries from every whitespace run and is quadratic on long ones.
    let end = out.length;
    while (end > 0 && TRAILING_CLOSER.test(out[end - 1]!)) end--;
    return out.slice(0, end);
  }

  /**
   * `_handle_right_delimiter_candidate` in a key: a quote that another quote follows before any
   * ':' or '}' (with more than whitespace between) is part of the key (`"r", "a": 1` is the key
   * `r", "a`).
   */
  private quoteInsideKey(k: number, open: string, close: string): boolean {
    const s = this.s;
    const inArray = this.ctx.includes("array");
    let j = k + 1;
    let blank = true;
    while (j < s.length && s[j] !== close && s[j] !== open) {
      const c = s[j]!;
      if (c === ":" || c === "}" || (inArray && (c === "]" || c === ","))) return false;
      if (!isPySpace(c)) blank = false;
      j++;
    }
    return j < s.length && s[j - 1] !== "\\" && !blank;
  }

  /** `_try_parse_simple_quoted_string`: a "…" without escapes or line breaks that ends where its context expects. */
  private simpleQuoted(ctx: Ctx | undefined): string | undefined {
    const s = this.s;
    const end = s.indexOf('"', this.i + 1);
    if (end < 0) return undefined;
    const value = s.slice(this.i + 1, end);
    if (value.includes("\\") || value.includes("\n") || value.includes("\r")) return undefined;
    const next = s[this.look.scrollWs(end + 1)];
    const fits =
      ctx === "key"
        ? next === ":"
        : ctx === "value"
          ? next === undefined || next === "," || next === "}"
          : ctx === "array"
            ? next === undefined || next === "," || next === "]"
            : next === undefined;
    if (!fits) return undefined;
    this.i = end + 1;
    return value;
  }

  /** `parse_number`, including its fallbacks to a string. */
  private parseNumber(): unknown {
    const s = this.s;
    const start = this.i;
    const inArray = this.ctx[this.ctx.length - 1] === "array";
    let num = "";
    let ch = s[this.i];
    while (
      ch !== undefined &&
      (NUMBER_CHARS.has(ch) || (ch === "+" && /[eE]$/.test(num))) &&
      !(inArray && ch === ",")
    ) {
      if (ch !== "_") num += ch;
      this.i++;
      ch = s[this.i];
    }
    if (isAlpha(s[this.i])) {
      this.i = start;
      return this.parseString();
    }
    if (num && "+-eE/,".includes(num[num.length - 1]!)) {
      num = num.slice(0, -1);
      this.i--;
    }
    if (num.includes(",")) return num;
    if (/[.eE]/.test(num)) {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) return num;
      const f = Number(num);
      return Number.isInteger(f) ? new PyFloat(f) : f;
    }
    return /^[+-]?\d+$/.test(num) ? pyInt(num) : num;
  }
}

function isStrictlyEmpty(v: unknown): boolean {
  if (v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  return v !== null && typeof v === "object" && !(v instanceof PyFloat) && Object.keys(v).length === 0;
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
