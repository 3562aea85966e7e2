/**
 * A safe subset of Python's `ast.literal_eval`, DSPy's second chance after `json_repair`: numbers
 * (underscores, hex/octal/binary, unary signs), strings (single/double/triple quotes, r/u/b
 * prefixes, implicit concatenation), True/False/None, lists, tuples, dicts and sets.
 * Nothing is ever evaluated; anything else is a syntax error.
 */
import { PyFloat, PyTuple, pyInt, setOwn } from "./builtins.js";

export class LiteralEvalError extends Error {}

const MAX_BRACKETS = 200;
const RADIX = /0([xXoObB])(_?[0-9a-fA-F])+/y;
const DECIMAL = /(\d(?:_?\d)*)?(\.(\d(?:_?\d)*)?)?([eE][+-]?\d(?:_?\d)*)?[jJ]?/y;
const STRING_START = /([rRuUbB]{0,2})('''|"""|'|")/y;
const NEXT_STRING = /[rRuUbB]{0,2}['"]/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;

/** A sticky regex's match at `at` (no slicing of the rest of the text: that made long inputs quadratic). */
function matchAt(re: RegExp, s: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(s);
}

class LiteralParser {
  i = 0;
  private level = 0;
  constructor(readonly s: string) {}

  fail(): never {
    throw new LiteralEvalError(`malformed Python literal at ${this.i}`);
  }

  ws(): void {
    // Inside brackets newlines are free; at top level literal_eval's tokenizer also allows a trailing one.
    while (this.i < this.s.length && " \t\n\r\f\\".includes(this.s[this.i]!)) {
      if (this.s[this.i] === "\\" && this.s[this.i + 1] !== "\n") return;
      this.i += this.s[this.i] === "\\" ? 2 : 1;
    }
  }

  peek(): string | undefined {
    return this.s[this.i];
  }

  expr(): unknown {
    this.ws();
    const first = this.unary();
    this.ws();
    if (this.peek() !== ",") return first;
    // A bare tuple: `1, 2`.
    const items = [first];
    while (this.peek() === ",") {
      this.i++;
      this.ws();
      if (this.i >= this.s.length || ")]}".includes(this.peek()!)) break;
      items.push(this.unary());
      this.ws();
    }
    return new PyTuple(items);
  }

  /**
   * One optional sign before a number, as `ast.literal_eval` allows (`--1`, `-True` and `-(-1)`
   * are malformed there). Not recursive, so a long run of signs cannot overflow the stack.
   */
  unary(): unknown {
    const ch = this.peek();
    if (ch !== "-" && ch !== "+") return this.atom();
    this.i++;
    this.ws();
    const next = this.peek();
    if (next === "-" || next === "+") this.fail();
    const v = this.atom();
    if (typeof v === "number") return ch === "-" ? -v + 0 : v;
    if (v instanceof PyFloat) return new PyFloat(ch === "-" ? -v.value : v.value);
    this.fail();
  }

  /** Python's tokenizer stops at 200 open brackets ("too many nested parentheses"), a SyntaxError. */
  private open(): void {
    if (++this.level > MAX_BRACKETS) {
      throw new LiteralEvalError(`too many nested parentheses at ${this.i} (Python allows ${MAX_BRACKETS})`);
    }
  }

  atom(): unknown {
    const s = this.s;
    const ch = this.peek();
    if (ch === undefined) this.fail();
    if (ch === "(") return this.seq("(", ")");
    if (ch === "[") return this.seq("[", "]");
    if (ch === "{") return this.dictOrSet();
    // literal_eval's one call: the empty set, which has no literal of its own.
    if (/^set\(\s*\)/.test(s.slice(this.i, this.i + 16))) {
      this.i = s.indexOf(")", this.i) + 1;
      return [];
    }
    if (/[0-9.]/.test(ch) && /[0-9]/.test(s[ch === "." ? this.i + 1 : this.i] ?? "")) return this.number();
    const str = /^([rRuUbB]{0,2})(['"])/.exec(s.slice(this.i, this.i + 3));
    if (str) return this.strings();
    const word = matchAt(WORD, s, this.i);
    if (word) {
      this.i += word[0].length;
      if (word[0] === "True") return true;
      if (word[0] === "False") return false;
      if (word[0] === "None") return null;
    }
    this.fail();
  }

  number(): unknown {
    const radix = matchAt(RADIX, this.s, this.i);
    if (radix) {
      this.i += radix[0].length;
      const base = { x: 16, o: 8, b: 2 }[radix[1]!.toLowerCase() as "x" | "o" | "b"];
      const digits = radix[0].slice(2).replaceAll("_", "");
      const n = Number.parseInt(digits, base);
      if (
        Number.isNaN(n) ||
        [...digits].some((d) => Number.parseInt(d, base) >= base || Number.isNaN(Number.parseInt(d, base)))
      )
        this.fail();
      return Number.isSafeInteger(n) ? n : BigInt(`0${radix[1]}${digits}`);
    }
    const m = matchAt(DECIMAL, this.s, this.i);
    if (!m || m[0] === "" || m[0] === ".") this.fail();
    if (/[jJ]$/.test(m[0])) this.fail(); // complex numbers have no JS counterpart
    this.i += m[0].length;
    const text = m[0].replaceAll("_", "");
    if (m[2] === undefined && m[4] === undefined) {
      if (/^0\d/.test(text) && /[1-9]/.test(text)) this.fail(); // Python 3 rejects leading zeros
      return pyInt(text);
    }
    const f = Number(text);
    return Number.isInteger(f) ? new PyFloat(f) : f;
  }

  strings(): string {
    let out = "";
    let bytes: boolean | undefined;
    do {
      const m = matchAt(STRING_START, this.s, this.i)!;
      const prefix = m[1]!.toLowerCase();
      const isBytes = prefix.includes("b");
      if (bytes !== undefined && bytes !== isBytes) this.fail();
      bytes = isBytes;
      this.i += m[0].length;
      out += this.stringBody(m[2]!, prefix.includes("r"));
      this.ws();
    } while (matchAt(NEXT_STRING, this.s, this.i) !== null);
    return out;
  }

  stringBody(quote: string, raw: boolean): string {
    const s = this.s;
    let out = "";
    for (;;) {
      if (this.i >= s.length) this.fail();
      if (s.startsWith(quote, this.i)) {
        this.i += quote.length;
        return out;
      }
      const c = s[this.i]!;
      if (c === "\n" && quote.length === 1) this.fail();
      if (c === "\\") {
        const e = s[this.i + 1];
        if (e === undefined) this.fail();
        if (raw) {
          out += c + e;
          this.i += 2;
          continue;
        }
        this.i += 2;
        const simple: Record<string, string> = {
          n: "\n",
          t: "\t",
          r: "\r",
          b: "\b",
          f: "\f",
          v: "\v",
          a: "\x07",
          "0": "\0",
          "\\": "\\",
          "'": "'",
          '"': '"',
          "\n": "",
        };
        const hex = { x: 2, u: 4, U: 8 }[e as "x" | "u" | "U"];
        if (hex) {
          const h = s.slice(this.i, this.i + hex);
          if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== hex) this.fail();
          out += String.fromCodePoint(Number.parseInt(h, 16));
          this.i += hex;
        } else out += simple[e] ?? `\\${e}`;
        continue;
      }
      out += c;
      this.i++;
    }
  }

  seq(open: string, close: string): unknown {
    this.open();
    this.i++;
    const items: unknown[] = [];
    let trailingComma = false;
    for (;;) {
      this.ws();
      if (this.peek() === close) {
        this.i++;
        break;
      }
      items.push(this.unary());
      this.ws();
      trailingComma = false;
      if (this.peek() === ",") {
        this.i++;
        trailingComma = true;
      } else if (this.peek() !== close) this.fail();
    }
    this.level--;
    if (open === "[") return items;
    // `(x)` is x itself; `(x,)` and `()` are tuples.
    return items.length === 1 && !trailingComma ? items[0] : new PyTuple(items);
  }

  dictOrSet(): unknown {
    this.open();
    const value = this.dictOrSetBody();
    this.level--;
    return value;
  }

  private dictOrSetBody(): unknown {
    this.i++;
    this.ws();
    if (this.peek() === "}") {
      this.i++;
      return {};
    }
    const first = this.unary();
    this.ws();
    if (this.peek() !== ":") {
      const items = [first];
      while (this.peek() === ",") {
        this.i++;
        this.ws();
        if (this.peek() === "}") break;
        items.push(this.unary());
        this.ws();
      }
      if (this.peek() !== "}") this.fail();
      this.i++;
      return [...new Set(items)];
    }
    const out: Record<string, unknown> = {};
    let key = first;
    for (;;) {
      this.i++; // ':'
      this.ws();
      setOwn(out, typeof key === "string" ? key : String(key), this.unary());
      this.ws();
      if (this.peek() === ",") {
        this.i++;
        this.ws();
      }
      if (this.peek() === "}") {
        this.i++;
        return out;
      }
      key = this.unary();
      this.ws();
      if (this.peek() !== ":") this.fail();
    }
  }
}

/** Python's `ast.literal_eval(text)` for the literal forms above; throws LiteralEvalError. */
export function literalEval(text: string): unknown {
  const p = new LiteralParser(text.replace(/^[ \t]+/, ""));
  const value = p.expr();
  p.ws();
  if (p.i !== p.s.length) p.fail();
  return value;
}
