/**
 * json_repair's rules for parentheses: when a '(' at the top level starts a value (a tuple on
 * its own line) rather than prose, and when its content is a tuple rather than a grouped value.
 */
import { isPySpace } from "./builtins.js";

export const QUOTES = new Set(['"', "'", "“", "”"]);

export const isDigit = (ch: string | undefined): boolean => ch !== undefined && /^\p{Nd}$/u.test(ch);

/**
 * json_repair's quoting as its forward scans see it: a backslash is skipped and counted, a quote
 * not escaped by an odd run of backslashes opens a string that only the same quote closes.
 * `step` says what a character is: "open" (it opens a quote), "code" (outside quotes) or "skip".
 */
class QuoteState {
  private quote: string | undefined;
  private backslashes = 0;

  step(ch: string): "code" | "open" | "skip" {
    if (ch === "\\") {
      this.backslashes++;
      return "skip";
    }
    const escaped = this.backslashes % 2 === 1;
    this.backslashes = 0;
    if (this.quote !== undefined) {
      if (ch === this.quote && !escaped) this.quote = undefined;
      return "skip";
    }
    if (QUOTES.has(ch) && !escaped) {
      this.quote = ch;
      return "open";
    }
    return "code";
  }
}

/**
 * `parenthesized_is_explicit_tuple`: `()` and `(a, b)` are tuples, `(a)` is a grouped value.
 * Only what sits directly inside the parentheses decides; a nested bracket group is skipped
 * whole, through `groupEnd`'s memo, so that a run of nested "(" costs linear time, not a
 * rescan to the end of the text for each one.
 */
export function parenIsExplicitTuple(s: string, index: number): boolean {
  const quotes = new QuoteState();
  let content = false;
  for (let k = index + 1; k < s.length; k++) {
    const ch = s[k]!;
    const kind = quotes.step(ch);
    if (kind === "open") content = true;
    if (kind !== "code") continue;
    if (ch === "(" || ch === "[" || ch === "{") {
      content = true;
      const end = groupEnd(s, k);
      if (end < 0) return false;
      k = end;
    } else if (ch === ")") return !content;
    else if (ch === ",") return true;
    else if (!isPySpace(ch)) content = true;
  }
  return !content;
}

/** The memo of `groupEnd`, for the text parsed last (json_repair parses one text at a time). */
let memoText: string | undefined;
let memo = new Map<number, number>();

/**
 * The index of the closer that ends the bracket group opened at `open` (any closer closes any
 * opener, as json_repair counts depth), or -1 when the text ends first. Quotes hide brackets.
 * Iterative, with an explicit stack, and memoized per opener: every group is scanned once.
 */
export function groupEnd(s: string, open: number): number {
  if (memoText !== s) {
    memoText = s;
    memo = new Map();
  }
  const known = memo.get(open);
  if (known !== undefined) return known;
  const stack = [open];
  const quotes = new QuoteState();
  for (let k = open + 1; k < s.length; k++) {
    const ch = s[k]!;
    if (quotes.step(ch) !== "code") continue;
    if (ch === "(" || ch === "[" || ch === "{") {
      const end = memo.get(k);
      if (end === undefined) stack.push(k);
      else if (end < 0) break;
      else k = end;
    } else if (ch === ")" || ch === "]" || ch === "}") {
      memo.set(stack.pop()!, k);
      if (stack.length === 0) return k;
    }
  }
  for (const o of stack) memo.set(o, -1);
  return -1;
}

/** `top_level_parenthesized_can_start_value`: a '(' alone on its line that opens a value. */
export function topLevelParenCanStart(s: string, index: number): boolean {
  for (let k = index - 1; k >= 0; k--) {
    const ch = s[k]!;
    if (ch === "\n" || ch === "\r") break;
    if (!isPySpace(ch)) return false;
  }
  let k = index + 1;
  while (k < s.length && isPySpace(s[k]!)) k++;
  const first = s[k];
  if (first === undefined) return false;
  const inner = s.slice(k, k + 5).toLowerCase();
  if (
    !")[{(".includes(first) &&
    !QUOTES.has(first) &&
    !isDigit(first) &&
    first !== "-" &&
    first !== "." &&
    !["true", "null", "none"].includes(inner.slice(0, 4)) &&
    inner !== "false"
  ) {
    return false;
  }
  let depth = 0;
  const quotes = new QuoteState();
  for (let j = index + 1; j < s.length; j++) {
    const ch = s[j]!;
    if (quotes.step(ch) !== "code") continue;
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" && depth === 0) {
      for (let t = j + 1; t < s.length; t++) {
        if (s[t] === "\n" || s[t] === "\r") return true;
        if (!isPySpace(s[t]!)) return false;
      }
      return true;
    } else if (ch === ")" || ch === "]" || ch === "}") depth = Math.max(0, depth - 1);
  }
  return true;
}
