/**
 * Python's `json.loads` / `JSONDecoder.raw_decode`: strict JSON plus NaN/Infinity, with ints and
 * floats kept apart (an integral float comes back as a PyFloat) because DSPy's later steps
 * (`str()`, pydantic) treat `3` and `3.0` differently.
 */
import { PyFloat, pyInt, setOwn } from "./builtins.js";
import { NestingTooDeepError } from "./errors.js";

/** Python's json gives up near its recursion limit (1,000 frames); so do we, before the stack does. */
export const MAX_JSON_DEPTH = 1000;

class StrictJsonError extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class StrictParser {
  i = 0;
  private depth = 0;
  constructor(readonly s: string) {}

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      this.i++;
    }
  }

  value(): unknown {
    const s = this.s;
    const ch = s[this.i];
    switch (ch) {
      case "{":
        return this.object();
      case "[":
        return this.array();
      case '"':
        return this.string();
      case "t":
        return this.word("true", true);
      case "f":
        return this.word("false", false);
      case "n":
        return this.word("null", null);
      case "N":
        return this.word("NaN", Number.NaN);
      case "I":
        return this.word("Infinity", Number.POSITIVE_INFINITY);
      default:
        if (ch === "-" && s.startsWith("-Infinity", this.i)) return this.word("-Infinity", Number.NEGATIVE_INFINITY);
        return this.number();
    }
  }

  word<T>(w: string, v: T): T {
    if (!this.s.startsWith(w, this.i)) throw new StrictJsonError();
    this.i += w.length;
    return v;
  }

  number(): unknown {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) throw new StrictJsonError();
    this.i = NUMBER.lastIndex;
    if (m[1] === undefined && m[2] === undefined) return pyInt(m[0]); // exact, and never -0
    const n = Number(m[0]);
    return Number.isInteger(n) ? new PyFloat(n) : n;
  }

  string(): string {
    const s = this.s;
    let i = this.i + 1;
    let out = "";
    let start = i;
    for (;;) {
      if (i >= s.length) throw new StrictJsonError();
      const c = s.charCodeAt(i);
      if (c === 34) break;
      if (c < 0x20) throw new StrictJsonError();
      if (c === 92) {
        out += s.slice(start, i);
        const e = s[i + 1];
        i += 2;
        switch (e) {
          case '"':
          case "\\":
          case "/":
            out += e;
            break;
          case "b":
            out += "\b";
            break;
          case "f":
            out += "\f";
            break;
          case "n":
            out += "\n";
            break;
          case "r":
            out += "\r";
            break;
          case "t":
            out += "\t";
            break;
          case "u": {
            const hex = s.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new StrictJsonError();
            out += String.fromCharCode(Number.parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            throw new StrictJsonError();
        }
        start = i;
        continue;
      }
      i++;
    }
    out += s.slice(start, i);
    this.i = i + 1;
    return out;
  }

  enter(): void {
    if (++this.depth > MAX_JSON_DEPTH) throw new NestingTooDeepError("the JSON text", MAX_JSON_DEPTH, this.i);
  }

  array(): unknown[] {
    this.enter();
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      this.depth--;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === "]") {
        this.depth--;
        return out;
      }
      if (c !== ",") throw new StrictJsonError();
    }
  }

  object(): Record<string, unknown> {
    this.enter();
    this.i++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      this.depth--;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') throw new StrictJsonError();
      const key = this.string();
      this.ws();
      if (this.s[this.i++] !== ":") throw new StrictJsonError();
      this.ws();
      setOwn(out, key, this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === "}") {
        this.depth--;
        return out;
      }
      if (c !== ",") throw new StrictJsonError();
    }
  }
}

/** Python's `json.loads`; `undefined` when the text is not valid JSON. */
export function strictJsonLoads(text: string): { value: unknown } | undefined {
  const p = new StrictParser(text);
  try {
    p.ws();
    const value = p.value();
    p.ws();
    return p.i === text.length ? { value } : undefined;
  } catch (e) {
    if (e instanceof StrictJsonError) return undefined;
    throw e;
  }
}

/** Python's `JSONDecoder().raw_decode(text[start:])`: one value at `start` and where it ends. */
export function strictRawDecode(text: string, start: number): { value: unknown; end: number } | undefined {
  const p = new StrictParser(text);
  p.i = start;
  try {
    const value = p.value();
    return { value, end: p.i };
  } catch (e) {
    if (e instanceof StrictJsonError) return undefined;
    throw e;
  }
}
