/**
 * The table of what crosses between Node and Python: python/dspex_worker/wire.json, which the
 * worker reads too (dspex_worker/wire.py). Node checks the arguments of every callback the table
 * lists before running it; the worker checks every listed tool's arguments. Both checkers read
 * the same type strings and are held to the same cases (test/bridge/wire-schema.test.ts,
 * python/tests/test_wire.py, over python/tests/wire_cases.json).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../home.js";

/** A type string ("str", "list[int]", "dict|null") or an object of fields ("name?" is optional). */
export type Shape = string | { readonly [field: string]: Shape };

export interface WireEntry {
  readonly args: Shape;
  readonly result: Shape;
}

export interface WireTable {
  readonly messages: Readonly<Record<"toPython" | "fromPython" | "toZygote" | "fromZygote", Record<string, Shape>>>;
  readonly tools: Readonly<Record<string, WireEntry>>;
  readonly callbacks: Readonly<Record<string, WireEntry>>;
}

export const WIRE_TABLE_PATH = join(packageRoot(), "python", "dspex_worker", "wire.json");

let loaded: WireTable | undefined;

export function wireTable(): WireTable {
  loaded ??= JSON.parse(readFileSync(WIRE_TABLE_PATH, "utf8")) as WireTable;
  return loaded;
}

const unions = new Map<string, string[]>();

/** A type string's alternatives, split at top-level "|" (memoized: the same few strings recur on every call). */
function splitUnion(spec: string): string[] {
  let known = unions.get(spec);
  if (!known) {
    known = split(spec);
    unions.set(spec, known);
  }
  return known;
}

function split(spec: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < spec.length; i++) {
    const ch = spec[i];
    if (ch === "[") depth++;
    else if (ch === "]") depth--;
    else if (ch === "|" && depth === 0) {
      parts.push(spec.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(spec.slice(start));
  return parts.map((p) => p.trim());
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function one(spec: string, value: unknown, where: string): string | undefined {
  if (spec === "any") return undefined;
  if (spec.startsWith("list[") && spec.endsWith("]")) {
    if (!Array.isArray(value)) return `${where} must be a list`;
    for (let i = 0; i < value.length; i++) {
      const problem = checkShape(spec.slice(5, -1), value[i], `${where}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  let ok: boolean;
  switch (spec) {
    case "str":
      ok = typeof value === "string";
      break;
    case "int":
      ok = typeof value === "number" && Number.isInteger(value);
      break;
    case "float":
      ok = typeof value === "number";
      break;
    case "bool":
      ok = typeof value === "boolean";
      break;
    case "null":
      ok = value === null || value === undefined;
      break;
    case "bytes":
      ok = value instanceof Uint8Array;
      break;
    case "list":
      ok = Array.isArray(value);
      break;
    case "dict":
      ok = isMap(value);
      break;
    default:
      throw new Error(`wire.json: unknown type "${spec}"`);
  }
  return ok ? undefined : `${where} must be ${spec}`;
}

/** What is wrong with `value` as `shape`, or undefined when nothing is. */
export function checkShape(shape: Shape, value: unknown, where = "value"): string | undefined {
  if (typeof shape !== "string") {
    if (!isMap(value)) return `${where} must be a map`;
    for (const [key, field] of Object.entries(shape)) {
      const optional = key.endsWith("?");
      const name = optional ? key.slice(0, -1) : key;
      if (!(name in value)) {
        if (optional) continue;
        return `${where}.${name} is missing`;
      }
      const v = value[name];
      // An optional field sent as None/undefined is the same as absent.
      if (optional && (v === null || v === undefined)) continue;
      const problem = checkShape(field, v, `${where}.${name}`);
      if (problem) return problem;
    }
    return undefined;
  }
  const alternatives = splitUnion(shape);
  if (alternatives.length === 1) return one(shape, value, where);
  for (const spec of alternatives) if (one(spec, value, where) === undefined) return undefined;
  return `${where} must be ${alternatives.join(" or ")}`;
}

/** The argument shape of callback `name`, if the table lists it. */
export function callbackArgs(name: string): Shape | undefined {
  return wireTable().callbacks[name]?.args;
}
