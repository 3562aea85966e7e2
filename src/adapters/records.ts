/** Reading demos and inputs the way DSPy reads its dicts and Examples. */
import type { FieldValues } from "./types.js";

export type Values = Readonly<Record<string, unknown>>;

export function toValues(record: FieldValues | Map<string, unknown>): Values {
  if (record instanceof Map) return Object.fromEntries(record);
  const r = record as { toDict?: unknown };
  if (typeof r.toDict === "function") return (r as { toDict(): Record<string, unknown> }).toDict();
  return record as Values;
}

/** Python's `k in record`; an `undefined` value counts as absent. */
export function has(record: Values, key: string): boolean {
  return Object.hasOwn(record, key) && record[key] !== undefined;
}
