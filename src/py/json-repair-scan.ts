/**
 * The look-ahead questions json_repair's object-value scan asks (`skip_to_character`,
 * `scroll_whitespaces`, `classify_object_value_comma`, the right-delimiter test at a '}'). They are
 * asked at every comma and brace of a long value, so the next-occurrence answers come from tables
 * built once per text: a value with many commas stays linear.
 */
import { isPySpace } from "./builtins.js";
import { isDigit, QUOTES } from "./json-repair-parens.js";

/** A letter, as json_repair's `isalpha` checks tell words from numbers. */
export const isAlpha = (ch: string | undefined): boolean => ch !== undefined && /^\p{L}$/u.test(ch);

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
  private keyStarts: Int32Array | undefined;

  /** The next index from `from` whose character can start a key: a quote or a letter or digit. */
  nextKeyStart(from: number): number {
    const s = this.s;
    if (!this.keyStarts) {
      const t = new Int32Array(s.length + 1);
      t[s.length] = s.length;
      for (let k = s.length - 1; k >= 0; k--) t[k] = QUOTES.has(s[k]!) || isAlnum(s[k]) ? k : t[k + 1]!;
      this.keyStarts = t;
    }
    return from >= s.length ? s.length : this.keyStarts[from]!;
  }

  private contentTable: Int32Array | undefined;
  private colonTable: Int32Array | undefined;

  /**
   * The first index from `from` (outside quotes) that is neither whitespace nor inside a comment:
   * what `_strip_comments_for_empty_object_classification` then `lstrip` leave first.
   */
  firstContent(from: number): number {
    if (!this.contentTable) this.buildEmptyObjectTables();
    return from >= this.s.length ? this.s.length : this.contentTable![from]!;
  }

  /**
   * The first ':' that `_classify_empty_object_repair` counts when it scans from `from`: outside
   * quotes and comments, not after an odd run of backslashes; the length of the text when none.
   */
  firstColon(from: number): number {
    if (!this.colonTable) this.buildEmptyObjectTables();
    return from >= this.s.length ? this.s.length : this.colonTable![from]!;
  }

  /**
   * Both tables in one right-to-left pass, so that reparsing nested set-like objects stays linear
   * (`[{{{{…` asks at every level).
   */
  private buildEmptyObjectTables(): void {
    const s = this.s;
    const n = s.length;
    // Where a comment starting at k ends (the newline stays; a block comment's "*/" goes).
    const lineEnd = new Int32Array(n + 1);
    lineEnd[n] = n;
    for (let k = n - 1; k >= 0; k--) lineEnd[k] = s[k] === "\n" || s[k] === "\r" ? k : lineEnd[k + 1]!;
    const blockEnd = new Int32Array(n + 2);
    blockEnd[n] = n;
    blockEnd[n + 1] = n;
    for (let k = n - 1; k >= 0; k--) blockEnd[k] = s[k] === "*" && s[k + 1] === "/" ? k + 2 : blockEnd[k + 1]!;
    const commentEnd = (k: number): number => {
      if (s[k] === "#") return lineEnd[k]!;
      if (s[k] === "/" && s[k + 1] === "/") return lineEnd[Math.min(k + 2, n)]!;
      if (s[k] === "/" && s[k + 1] === "*") return k + 2 >= n ? n : blockEnd[k + 2]!;
      return -1;
    };
    const content = new Int32Array(n + 1);
    const colon = new Int32Array(n + 1);
    const runEnd = new Int32Array(n + 1);
    content[n] = n;
    colon[n] = n;
    runEnd[n] = n;
    for (let k = n - 1; k >= 0; k--) {
      const c = s[k]!;
      runEnd[k] = c === "\\" ? runEnd[k + 1]! : k;
      const end = commentEnd(k);
      content[k] = isPySpace(c) ? content[k + 1]! : end >= 0 ? content[end]! : k;
      if (end >= 0) colon[k] = colon[end]!;
      else if (c === ":") colon[k] = k;
      else if (c === "\\") {
        const q = runEnd[k]!;
        // An odd run makes the next character plain text.
        colon[k] = q >= n ? n : (q - k) % 2 === 1 ? colon[Math.min(q + 1, n)]! : colon[q]!;
      } else if (QUOTES.has(c)) {
        const close = this.nextUnescaped(c, k + 1);
        colon[k] = close >= n ? n : colon[close + 1]!;
      } else colon[k] = colon[k + 1]!;
    }
    this.contentTable = content;
    this.colonTable = colon;
  }
}
