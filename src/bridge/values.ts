/**
 * What a value must be to cross the bridge, checked before it is packed, so that a bad value
 * fails its own call with a typed error instead of a raw RangeError, or worse, a frame Python
 * refuses (which ends the worker and every call in flight on it).
 *
 * - Strings holding lone UTF-16 surrogates (half an emoji) travel as ext SURROGATE_EXT with
 *   their UTF-16-LE code units and arrive as the same string: msgpackr would write them as
 *   3-byte surrogate code points below 64 chars (strict UTF-8 decoders refuse those) and as
 *   U+FFFD above (silently lossy). Python does the same the other way (protocol.py).
 * - Nesting is limited to MAX_VALUE_DEPTH: Python's msgpack stops at 1,024 levels and Python's
 *   own recursion at about 1,000, and a cycle is just infinite nesting.
 * - Symbols, and BigInts outside MessagePack's 64-bit integers, cannot be carried at all.
 */
import { addExtension } from "msgpackr";
import { MediaValue } from "../media/base.js";
import { BridgeValueError } from "./errors.js";

export const SURROGATE_EXT = 0x55;
import { MAX_VALUE_DEPTH } from "./limits.js";

export { MAX_VALUE_DEPTH };

/** A string that UTF-8 cannot hold; packed as its UTF-16-LE code units. */
class SurrogateString {
  constructor(readonly value: string) {}
}

addExtension({
  Class: SurrogateString,
  type: SURROGATE_EXT,
  pack: (s: SurrogateString) => Buffer.from(s.value, "utf16le"),
  unpack: (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf16le"),
});

const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * `value` ready for msgpackr: the same object when nothing needs changing (the common case,
 * so nothing is copied), else a copy with the lone-surrogate strings wrapped. Throws
 * BridgeValueError naming where the bad part is.
 */
export function prepareValue(value: unknown): unknown {
  try {
    return prepare(value, 0);
  } catch (err) {
    if (!(err instanceof BadValue)) throw err;
    const shown = err.trail.length > 12 ? [...err.trail.slice(0, 12), "..."] : err.trail;
    const path = `$${shown.map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`)).join("")}`;
    throw new BridgeValueError(`${err.reason} (at ${path})`, { context: { path }, fix: err.fix });
  }
}

/** Thrown inside the walk; each level adds its key on the way out, so paths cost nothing until needed. */
class BadValue {
  readonly trail: (string | number)[] = [];
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {}
}

function within<T>(key: string | number, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof BadValue) err.trail.unshift(key);
    throw err;
  }
}

function prepare(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case "string":
      return wellFormed(value) ? value : new SurrogateString(value);
    case "number":
    case "boolean":
    case "undefined":
    case "function": // msgpackr writes nil, as JSON.stringify drops them
      return value;
    case "bigint":
      if (value < INT64_MIN || value > UINT64_MAX) {
        throw new BadValue(
          "a BigInt that does not fit MessagePack's 64-bit integers cannot be sent to Python",
          "send it as a string (String(value)) and convert it on the Python side",
        );
      }
      return value;
    case "symbol":
      throw new BadValue("a Symbol cannot be sent to Python", "send a string (symbol.description) instead");
    default:
      break;
  }
  if (value === null) return value;
  if (depth >= MAX_VALUE_DEPTH) {
    throw new BadValue(
      `the value is nested deeper than ${MAX_VALUE_DEPTH} levels, or is circular`,
      "send plain, acyclic data; flatten deep structures or send them as a JSON string",
    );
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof Error) {
    return value;
  }
  // Image/Audio/File pack as their own extension types (media-codec.ts).
  if (value instanceof MediaValue) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      let p: unknown;
      try {
        p = prepare(item, depth + 1);
      } catch (err) {
        if (err instanceof BadValue) err.trail.unshift(i);
        throw err;
      }
      if (p !== item) {
        out ??= value.slice();
        out[i] = p;
      }
    }
    return out ?? value;
  }
  if (value instanceof Map) return prepareEntries([...value.entries()], depth, value);
  if (value instanceof Set) {
    const items = [...value];
    const p = prepare(items, depth) as unknown[];
    return p === items ? value : p;
  }
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(obj)) {
    if (!wellFormed(k)) return prepareEntries(Object.entries(obj), depth, value);
    const item = obj[k];
    let p: unknown;
    try {
      p = prepare(item, depth + 1);
    } catch (err) {
      if (err instanceof BadValue) err.trail.unshift(k);
      throw err;
    }
    if (p !== item) {
      out ??= { ...obj };
      out[k] = p;
    }
  }
  return out ?? value;
}

/** A map whose keys may need wrapping too: sent as a Map, which msgpackr packs key by key. */
function prepareEntries(entries: [unknown, unknown][], depth: number, original: unknown): unknown {
  let changed = !(original instanceof Map);
  const out = new Map<unknown, unknown>();
  for (const [k, v] of entries) {
    const label = typeof k === "string" || typeof k === "number" ? k : String(k);
    const pk = within(label, () => prepare(k, depth + 1));
    const pv = within(label, () => prepare(v, depth + 1));
    if (pk !== k || pv !== v) changed = true;
    out.set(pk, pv);
  }
  return changed ? out : original;
}
