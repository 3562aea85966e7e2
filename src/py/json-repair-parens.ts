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

/**
 * The scan json_repair starts just after an opener, looking for the ')' that closes it at depth
 * zero (any opener deepens, any closer but that ')' shallows, never below zero): its index, or -1
 * when the text ends first, and how often a ']' or '}' met it at depth zero (a "clamp").
 */
interface ParenScan {
  end: number;
  clamps: number;
}

let scanText: string | undefined;
let scans = new Map<number, ParenScan>();

/**
 * Every top-level '(' alone on its line asks for this scan, and json_repair rescans to the end of
 * the text for each (quadratic on many such lines). A scan meeting a nested opener in code runs
 * the same walk as that opener's own scan with a deeper start: the two depths differ by a
 * constant until the inner scan's clamps use it up, after which they are one walk. So an outer
 * scan jumps over an inner one through its memoized (end, clamps): every character is walked
 * once per text. Iterative, so a deep nest cannot overflow the stack.
 */
function parenScan(s: string, open: number): ParenScan {
  if (scanText !== s) {
    scanText = s;
    scans = new Map();
  }
  const known = scans.get(open);
  if (known !== undefined) return known;
  interface Frame {
    open: number;
    k: number;
    depth: number;
    clamps: number;
    quotes: QuoteState;
  }
  const frames: Frame[] = [{ open, k: open + 1, depth: 0, clamps: 0, quotes: new QuoteState() }];
  let done: ParenScan | undefined;
  const finish = (f: Frame, scan: ParenScan): void => {
    scans.set(f.open, scan);
    frames.pop();
    done = scan;
  };
  /** Applies the inner scan of the opener at `f.k` to `f`; false when that ends `f` too. */
  const jump = (f: Frame, inner: ParenScan): boolean => {
    if (f.depth + 1 <= inner.clamps) {
      finish(f, { end: inner.end, clamps: f.clamps + inner.clamps - (f.depth + 1) });
      return false;
    }
    if (inner.end < 0) {
      finish(f, { end: -1, clamps: f.clamps });
      return false;
    }
    f.depth -= inner.clamps;
    f.k = inner.end;
    // After the inner ')' both walks stand outside quotes with no backslash pending.
    f.quotes = new QuoteState();
    return true;
  };
  while (frames.length > 0) {
    const f = frames[frames.length - 1]!;
    if (done !== undefined) {
      const inner = done;
      done = undefined;
      // `f` stands at the opener whose scan just finished.
      if (!jump(f, inner)) continue;
      f.k++;
    }
    for (; f.k < s.length; f.k++) {
      const ch = s[f.k]!;
      if (f.quotes.step(ch) !== "code") continue;
      if (ch === "(" || ch === "[" || ch === "{") {
        const inner = scans.get(f.k);
        if (inner === undefined) {
          frames.push({ open: f.k, k: f.k + 1, depth: 0, clamps: 0, quotes: new QuoteState() });
          break;
        }
        if (!jump(f, inner)) break;
      } else if (ch === ")") {
        if (f.depth === 0) {
          finish(f, { end: f.k, clamps: f.clamps });
          break;
        }
        f.depth--;
      } else if (ch === "]" || ch === "}") {
        if (f.depth === 0) f.clamps++;
        else f.depth--;
      }
    }
    // `f` ran off the end still open; a pushed inner frame or a finished `f` is not on top any more.
    if (frames[frames.length - 1] === f && f.k >= s.length) finish(f, { end: -1, clamps: f.clamps });
  }
  return scans.get(open)!;
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
  const { end } = parenScan(s, index);
  if (end < 0) return true;
  for (let t = end + 1; t < s.length; t++) {
    if (s[t] === "\n" || s[t] === "\r") return true;
    if (!isPySpace(s[t]!)) return false;
  }
  return true;
}
