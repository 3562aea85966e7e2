/**
 * The look-ahead questions json_repair's object-value scan asks (`skip_to_character`,
 * `scroll_whitespaces`, `classify_object_value_comma`, the right-delimiter test at a '}'). They are
 * asked at every comma and brace of a long value, so the next-occurrence answers come from tables
 * built once per text: a value with many commas stays linear.
 */
import { isPySpace } from "./builtins.js";
import { isDigit, QUOTES } from "./json-repair-parens.js";

/** Python's str.isalnum for one character (letters and numbers). */
export const isAlnum = (ch: string | undefined): boolean => ch !== undefined && /^[\p{L}\p{N}]$/u.test(ch);

/** For each position, the next index whose character is in `targets` and not backslash-escaped. */
function nextUnescapedTable(s: string, targets: Set<string>): Int32Array {
  const n = s.length;
  const escaped = new Uint8Array(n);
  let run = 0;
  for (let k = 0; k < n; k++) {
    escaped[k] = run % 2;
    run = s[k] === "\\" ? run + 1 : 0;
  }
  const table = new Int32Array(n + 1);
  table[n] = n;
  for (let k = n - 1; k >= 0; k--) table[k] = targets.has(s[k]!) && !escaped[k] ? k : table[k + 1]!;
  return table;
}

export class LookAhead {
  constructor(readonly s: string) {}

  /** `classify_object_value_comma` for the comma at `k`. */
  classifyComma(k: number): "member" | "string" | "noFutureDelimiter" | "container" {
    const s = this.s;
    const next = this.scrollWs(k + 1);
    const c = s[next];
    if (c === undefined || c === "}") return "member";
    if (QUOTES.has(c)) {
      const keyEnd = this.nextUnescaped(c, next + 1);
      if (keyEnd >= s.length) return "string";
      return s[this.scrollWs(keyEnd + 1)] === ":" ? "member" : "string";
    }
    if (c === "`" || isAlnum(c) || c === "_") {
      let b = c === "`" ? next + 1 : next;
      while (b < s.length && (isAlnum(s[b]) || s[b] === "_" || s[b] === "-")) b++;
      b = this.scrollWs(b);
      if (s[b] === ":" && (c === "`" || this.recoverableValue(b + 1))) return "member";
      if (c === "`") return "string";
    }
    if (c === "{" || c === "[") return "container";
    const special = this.nextOf("special", next);
    if (special >= s.length) return "noFutureDelimiter";
    const sc = s[special]!;
    if (sc === "{" || sc === "[") return "string";
    const keyEnd = this.nextUnescaped(sc, special + 1);
    if (keyEnd >= s.length) return "string";
    return s[this.scrollWs(keyEnd + 1)] === ":" ? "member" : "string";
  }

  /** `_bare_member_has_recoverable_value`. */
  recoverableValue(at: number): boolean {
    const s = this.s;
    const start = this.scrollWs(at);
    const c = s[start];
    if (c === undefined) return false;
    if (QUOTES.has(c) || c === "{" || c === "[" || c === "-" || isDigit(c)) return true;
    for (const word of ["true", "false", "null"]) {
      if (s.startsWith(word, start)) {
        const end = s[start + word.length];
        if (end === undefined || isPySpace(end) || ",}]".includes(end)) return true;
      }
    }
    return s[this.nextOf("quoteOrBrace", start)] === "}";
  }

  scrollWs(k: number): number {
    while (k < this.s.length && isPySpace(this.s[k]!)) k++;
    return k;
  }

  private readonly tables = new Map<string, Int32Array>();

  /** `name` is "special" (quotes, '{', '['), "quoteOrBrace" (quotes, '}') or one character. */
  nextOf(name: string, from: number): number {
    let table = this.tables.get(name);
    if (!table) {
      const targets =
        name === "special"
          ? new Set([...QUOTES, "{", "["])
          : name === "quoteOrBrace"
            ? new Set([...QUOTES, "}"])
            : new Set([name]);
      table = nextUnescapedTable(this.s, targets);
      this.tables.set(name, table);
    }
    return from >= this.s.length ? this.s.length : table[from]!;
  }

  nextUnescaped(ch: string, from: number): number {
    return this.nextOf(ch, from);
  }

  /**
   * At a '}' inside an object value with no closing quote yet: does it close the object? (The
   * `rstring_delimiter_missing` test of json_repair's string scan, then its code-fence and
   * end-of-text rules.)
   */
  braceEndsValue(k: number, close: string, open: string): boolean {
    const s = this.s;
    const n = s.length;
    let missing = s[k + 1] !== "\\";
    let i = this.nextOf(close, k + 1);
    if (i < n) {
      i = this.scrollWs(i + 1);
      const c = s[i];
      if (c === undefined || c === "," || c === "}") missing = false;
      else {
        i = this.nextOf(open, i);
        if (i >= n) missing = false;
        else {
          const after = s[this.scrollWs(i + 1)];
          if (after !== undefined && after !== ":") missing = false;
        }
      }
    } else {
      if (this.nextOf(":", k + 1) < n) return true;
      const from = this.scrollWs(k + 1);
      if (this.nextOf("}", from) - from > 1) missing = false;
    }
    if (missing) return true;
    const next = this.scrollWs(k + 1);
    return next >= n || s.startsWith("```", next);
  }
}
