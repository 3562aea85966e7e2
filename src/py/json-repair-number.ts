/**
 * json_repair's parse_number, with its fallbacks to a string.
 */
import { PyFloat, pyInt } from "./builtins.js";
import type { RepairParser } from "./json-repair.js";
import { isAlpha } from "./json-repair-scan.js";

const NUMBER_CHARS = new Set("0123456789-.eE/,_");

/** `parse_number`, including its fallbacks to a string. */
export function parseNumber(p: RepairParser): unknown {
  const s = p.s;
  const start = p.i;
  const inArray = p.ctx[p.ctx.length - 1] === "array";
  let num = "";
  let ch = s[p.i];
  while (ch !== undefined && (NUMBER_CHARS.has(ch) || (ch === "+" && /[eE]$/.test(num))) && !(inArray && ch === ",")) {
    if (ch !== "_") num += ch;
    p.i++;
    ch = s[p.i];
  }
  if (isAlpha(s[p.i])) {
    p.i = start;
    return p.parseString();
  }
  if (num && "+-eE/,".includes(num[num.length - 1]!)) {
    num = num.slice(0, -1);
    p.i--;
  }
  if (num.includes(",")) return num;
  if (/[.eE]/.test(num)) {
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) return num;
    const f = Number(num);
    return Number.isInteger(f) ? new PyFloat(f) : f;
  }
  return /^[+-]?\d+$/.test(num) ? pyInt(num) : num;
}
