/**
 * json_repair's parse_array, and a parenthesized value (a tuple) read as an array.
 */
import { isPySpace, PyFloat } from "./builtins.js";
import type { RepairParser } from "./json-repair.js";
import { parenIsExplicitTuple, QUOTES } from "./json-repair-parens.js";

export function parseArray(p: RepairParser, closing: "]" | ")" | "}"): unknown[] {
  p.enter();
  const s = p.s;
  const arr: unknown[] = [];
  p.ctx.push("array");
  for (;;) {
    let value: unknown;
    if (p.virtualBrace === p.i) {
      p.virtualBrace = -1;
      value = p.parseObjectValue();
    } else {
      p.skipWsAndComments();
      const ch = s[p.i];
      if (ch === undefined || ch === closing || ch === "}") break;
      if (ch === ",") {
        p.i++;
        continue;
      }
      value = item(p, ch);
    }
    const after = s[p.i];
    if (isStrictlyEmpty(value) && after !== closing && after !== ",") p.i++;
    else if (value === "..." && s[p.i - 1] === ".") {
      // a stray ellipsis in a list is dropped
    } else arr.push(value);
  }
  p.ctx.pop();
  p.i++;
  p.depth--;
  return arr;
}

/** One item at `ch`: a quoted key starts an object missing its '{'. */
function item(p: RepairParser, ch: string): unknown {
  if (QUOTES.has(ch) && quotedIsKey(p, ch)) return p.parseObjectValue();
  if (QUOTES.has(ch)) return p.parseString();
  return p.parseJson();
}

/** A quoted string followed by ':' inside an array is an object missing its '{'. */
export function quotedIsKey(p: RepairParser, quote: string): boolean {
  const close = p.s.indexOf(quote === "“" ? "”" : quote, p.i + 1);
  if (close < 0) return false;
  let k = close + 1;
  while (k < p.s.length && isPySpace(p.s[k]!)) k++;
  return p.s[k] === ":";
}

export function parseParenthesized(p: RepairParser): unknown {
  const explicitTuple = parenIsExplicitTuple(p.s, p.i);
  p.i++;
  const values = p.parseArray(")");
  return explicitTuple || values.length !== 1 ? values : values[0];
}

function isStrictlyEmpty(v: unknown): boolean {
  if (v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  return v !== null && typeof v === "object" && !(v instanceof PyFloat) && Object.keys(v).length === 0;
}
