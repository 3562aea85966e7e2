/**
 * json_repair's parse_object: members, keys (quoted, unquoted, or skipped when no key can start),
 * the set-literal repair of an object that came out empty, and what may follow a closed object.
 */
import { isPySpace, pyRstrip, setOwn } from "./builtins.js";
import type { RepairParser } from "./json-repair.js";
import { QUOTES } from "./json-repair-parens.js";

/** `parse_object` as a whole: the members, the set-literal repair, then `_complete_object_parse`. */
export function parseObjectValue(p: RepairParser): unknown {
  const start = p.i;
  const obj = parseObject(p);
  if (emptyObjectAsArray(p, obj, start)) return p.parseArray("]");
  const s = p.s;
  const current = p.ctx[p.ctx.length - 1];
  if (current !== undefined) {
    // A stray '}' after an object inside an array is skipped (not after a key or a value).
    if (s[p.i] === "}" && current === "array") p.i++;
    return obj;
  }
  // At the top level `{...}, "b": 2` goes on as more members of the same object.
  p.skipWs();
  if (s[p.i] === ",") {
    p.i++;
    p.skipWs();
    if (QUOTES.has(s[p.i]!)) {
      const more = p.parseObjectValue();
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
 * True when the caller should reparse; `p.i` is then back at `start`.
 */
export function emptyObjectAsArray(p: RepairParser, obj: Record<string, unknown>, start: number): boolean {
  const s = p.s;
  // json_repair steps past the end when the object runs off it; we stop at the end.
  const end = p.ranOffEnd ? s.length + 1 : p.i;
  if (Object.keys(obj).length > 0 || end - start <= 2) return false;
  // Only whitespace and comments before the closing brace: a plain empty object.
  if (s[end - 1] === "}" && p.look.firstContent(start) >= end - 1) return false;
  // The text json_repair classifies runs from after the "{" to one character past `end`, less
  // one "}" at its end; it must hold something, and no ':' outside quotes and comments.
  let bodyEnd = Math.min(end + 1, s.length);
  if (bodyEnd > start && s[bodyEnd - 1] === "}") bodyEnd--;
  if (p.look.firstContent(start) >= bodyEnd) return false;
  if (p.look.firstColon(start) < bodyEnd) return false;
  p.i = start;
  return true;
}

export function parseObject(p: RepairParser): Record<string, unknown> {
  p.enter();
  const s = p.s;
  const obj: Record<string, unknown> = {};
  const isValue = p.ctx[p.ctx.length - 1] === "value";
  for (;;) {
    p.skipWsAndComments();
    const ch = s[p.i];
    if (ch === undefined) {
      p.depth--;
      p.ranOffEnd = true;
      return obj;
    }
    if (ch === "}") {
      p.i++;
      p.depth--;
      p.ranOffEnd = false;
      return obj;
    }
    if (ch === ",") {
      p.i++;
      continue;
    }
    if (ch === ":") p.i++;
    const key = parseKey(p);
    // In an array a repeated key starts the next object (`[c: 1, c: 2]` is two objects), unless it
    // is a quoted key after a comma, followed by ':' (then it overwrites, as in a dict).
    if (!isValue && p.ctx.includes("array") && Object.hasOwn(obj, key) && splitsOnRepeat(p)) {
      p.i = p.keyStart;
      p.virtualBrace = p.keyStart;
      p.depth--;
      p.ranOffEnd = false;
      return obj;
    }
    p.skipWsAndComments();
    const after = s[p.i];
    // A key with no value before the object ends (`{"a": 1, 2}`, prose after the object) is dropped.
    if (after === undefined || after === "}") continue;
    // The ':' or, when it is missing, whatever stands in its place.
    p.i++;
    p.skipWsAndComments();
    const next = s[p.i];
    let value: unknown = "";
    if (next !== undefined && next !== "," && next !== "}") {
      p.ctx.push("value");
      value = p.parseJson();
      p.ctx.pop();
    }
    setOwn(obj, String(key), value);
    const end = s[p.i];
    if (end === "," || end === "'" || end === '"') p.i++;
    if (s[p.i] === "]" && p.ctx.includes("array")) {
      p.depth--;
      p.ranOffEnd = false;
      return obj;
    }
  }
}

/**
 * `_parse_object_key`: characters that cannot start a string are skipped (the second '{' of
 * `{{"a": 1}}`); an unquoted word followed by neither ':' nor ',' is no key, and the next
 * string is tried instead (`{"a": Paris, France, "b": 1}` has no key "France").
 */
/** `_should_split_duplicate_object`, for the key that started at `p.keyStart` and ended at `p.i`. */
function splitsOnRepeat(p: RepairParser): boolean {
  const s = p.s;
  let k = p.keyStart - 1;
  while (k >= 0 && isPySpace(s[k]!)) k--;
  const before = k >= 0 ? s[k] : undefined;
  const after = s[p.look.scrollWs(p.i)];
  return !(QUOTES.has(s[p.keyStart] ?? "") && before === "," && after === ":");
}

export function parseKey(p: RepairParser): string {
  const s = p.s;
  p.ctx.push("key");
  try {
    for (;;) {
      p.keyStart = p.i;
      p.i = p.look.nextKeyStart(p.i);
      if (p.i >= s.length) return "";
      const key = QUOTES.has(s[p.i]!) ? p.parseQuoted() : unquotedKey(p);
      if (key !== "") return key;
      p.skipWsAndComments();
      const c = s[p.i];
      if (c === undefined || c === ":" || c === "}") return key;
    }
  } finally {
    p.ctx.pop();
  }
}

export function unquotedKey(p: RepairParser): string {
  const s = p.s;
  const start = p.i;
  while (p.i < s.length && s[p.i] !== ":" && s[p.i] !== '"' && !isPySpace(s[p.i]!)) p.i++;
  const key = s.slice(start, p.i);
  if (s[p.i] === '"') p.i++;
  else if (p.i < s.length && isPySpace(s[p.i]!)) {
    const k = p.look.scrollWs(p.i);
    if (s[k] !== ":" && s[k] !== ",") {
      p.i = k;
      return "";
    }
  }
  return pyRstrip(key);
}
