/**
 * json_repair's parse_string: quoted strings (escapes, missing closing quotes, quotes that do not
 * close), the literals true/false/null, and unquoted words as values.
 */
import { isPySpace, pyRstrip, pyStrip } from "./builtins.js";
import type { Ctx, RepairParser } from "./json-repair.js";
import { QUOTES } from "./json-repair-parens.js";
import { isAlnum } from "./json-repair-scan.js";

const LITERALS: [string, boolean | null][] = [
  ["true", true],
  ["false", false],
  ["null", null],
  ["none", null],
];

const TRAILING_CLOSER = /^[\s}\]]$/u;
const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b" };

/**
 * `_normalize_escape_sequence` for the backslash at `k` (in a string closed by `close`): \n \t \r
 * \b, the quote and \\ are escapes, as are \uXXXX and \xXX; another quote loses its backslash;
 * anything else (\f, \/, \xZZ) keeps it. Returns the text and how many characters it took.
 */
function escapeAt(s: string, k: number, close: string): [string, number] {
  const e = s[k + 1]!;
  const hex = e === "u" ? 4 : e === "x" ? 2 : 0;
  if (hex > 0 && new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(s.slice(k + 2, k + 2 + hex))) {
    return [String.fromCharCode(Number.parseInt(s.slice(k + 2, k + 2 + hex), 16)), 2 + hex];
  }
  if (e in ESCAPES) return [ESCAPES[e]!, 2];
  if (e === close || e === "\\" || QUOTES.has(e)) return [e, 2];
  return ["\\", 1];
}

/** The escapes of an unquoted word: json_repair reads it as a string missing its '"'s. */
function unescapeWord(text: string): string {
  if (!text.includes("\\")) return text;
  let out = "";
  for (let k = 0; k < text.length; ) {
    if (text[k] === "\\" && k + 1 < text.length) {
      const [t, n] = escapeAt(text, k, '"');
      out += t;
      k += n;
    } else out += text[k++];
  }
  return out;
}

export function parseString(p: RepairParser): unknown {
  // What can start no string is skipped first: a number that turned out to be a word (`-inf`)
  // comes here at its sign, which json_repair drops.
  while (p.i < p.s.length && !QUOTES.has(p.s[p.i]!) && !isAlnum(p.s[p.i])) p.i++;
  if (p.i >= p.s.length) return "";
  const ch = p.s[p.i]!;
  if (QUOTES.has(ch)) return parseQuoted(p);
  const word = literal(p);
  if (word) return word.value;
  const inArray = p.ctx[p.ctx.length - 1] === "array";
  // A word in an array ends at ',' or ']', or at a '"', which it takes as its own closing quote.
  if (inArray) {
    const word = readUnquoted(p, new Set([",", "]", '"']), true);
    if (p.s[p.i] === '"') p.i++;
    return word;
  }
  return readUnquotedValue(p);
}

/**
 * An unquoted object value (`{"answer": Paris, France}`): it ends at the '}' closing its object,
 * or at a comma that starts the next member (`classify_object_value_comma`); other commas,
 * and balanced `{…}`/`[…]` after a comma, belong to the text.
 */
export function readUnquotedValue(p: RepairParser): string {
  const s = p.s;
  const start = p.i;
  let noFutureDelimiter = false;
  let pendingContainer = false;
  const stack: string[] = [];
  let openBraces = 0;
  while (p.i < s.length) {
    const c = s[p.i]!;
    if (c === "," && stack.length === 0 && !pendingContainer) {
      const kind = noFutureDelimiter ? "string" : p.look.classifyComma(p.i);
      if (kind === "member") break;
      if (kind === "noFutureDelimiter") noFutureDelimiter = true;
      pendingContainer = kind === "container";
      p.i++;
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
      else if (p.look.braceEndsValue(p.i, '"', '"')) break;
    } else if (c === "]" && p.ctx.includes("array") && p.look.nextOf('"', p.i) >= s.length) break;
    p.i++;
  }
  return pyStrip(unescapeWord(s.slice(start, p.i)));
}

export function literal(p: RepairParser): { value: boolean | null } | undefined {
  const s = p.s;
  for (const [word, value] of LITERALS) {
    if (s.slice(p.i, p.i + word.length).toLowerCase() !== word) continue;
    const next = s[p.i + word.length];
    if (next === undefined || isPySpace(next) || ",)]}".includes(next)) {
      p.i += word.length;
      return { value };
    }
  }
  return undefined;
}

export function readUnquoted(p: RepairParser, stops: Set<string>, escapes = false): string {
  const start = p.i;
  while (p.i < p.s.length && !stops.has(p.s[p.i]!)) p.i++;
  const raw = p.s.slice(start, p.i);
  return pyStrip(escapes ? unescapeWord(raw) : raw);
}

/**
 * A quoted string; without its closing quote it runs to the end, less trailing closers. As an
 * object value it also ends, unclosed, at a comma that starts the next member or at a '}' that
 * closes the object (`{"a": "unterminated, "b": 1}`), as json_repair's string scan decides.
 */
export function parseQuoted(p: RepairParser): string {
  const s = p.s;
  const open = s[p.i]!;
  const close = open === "“" ? "”" : open;
  const ctx = p.ctx[p.ctx.length - 1];
  const fast = open === '"' ? simpleQuoted(p, ctx) : undefined;
  if (fast !== undefined) return fast;
  const inValue = ctx === "value";
  const inArray = inValue && p.ctx.includes("array");
  let out = "";
  let k = p.i + 1;
  let noFutureDelimiter = false;
  let pendingContainer = false;
  const stack: string[] = [];
  let openBraces = 0;
  let unclosed = true;
  while (k < s.length) {
    const c = s[k]!;
    if (c === close || (open === "”" && c === "“")) {
      if (ctx === "key" && quoteInsideKey(p, k, open, close)) {
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
        const kind = noFutureDelimiter ? "string" : p.look.classifyComma(k);
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
        else if (p.look.braceEndsValue(k, close, open)) break;
      } else if (c === "]" && inArray && p.look.nextOf(close, k) >= s.length) break;
    }
    if (c === "\\" && k + 1 < s.length) {
      const [text, length] = escapeAt(s, k, close);
      out += text;
      k += length;
      continue;
    }
    out += c;
    k++;
  }
  p.i = k;
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
export function quoteInsideKey(p: RepairParser, k: number, open: string, close: string): boolean {
  const s = p.s;
  const inArray = p.ctx.includes("array");
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
export function simpleQuoted(p: RepairParser, ctx: Ctx | undefined): string | undefined {
  const s = p.s;
  const end = s.indexOf('"', p.i + 1);
  if (end < 0) return undefined;
  const value = s.slice(p.i + 1, end);
  if (value.includes("\\") || value.includes("\n") || value.includes("\r")) return undefined;
  const next = s[p.look.scrollWs(end + 1)];
  const fits =
    ctx === "key"
      ? next === ":"
      : ctx === "value"
        ? next === undefined || next === "," || next === "}"
        : ctx === "array"
          ? next === undefined || next === "," || next === "]"
          : next === undefined;
  if (!fits) return undefined;
  p.i = end + 1;
  return value;
}
