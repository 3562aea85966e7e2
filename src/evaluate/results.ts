/**
 * Output of an evaluation in DSPy's shapes: one record per example (example fields merged with
 * prediction fields, colliding names prefixed `example_` / `pred_`, plus the metric column), a text
 * table like DSPy's pandas printout, and CSV / JSON exports of the same records.
 */
import { writeFile } from "node:fs/promises";
import { pyStr } from "../py/builtins.js";
import type { Fields } from "../modules/example.js";
import type { EvaluationResult, EvaluationRow } from "./types.js";

/** DSPy's `merge_dicts(example, prediction) | { [metricName]: score }`. */
export function resultRecord(row: EvaluationRow, metricName: string): Fields {
  const example = row.example.toDict();
  const prediction = row.prediction.toDict();
  const merged: Fields = {};
  for (const [k, v] of Object.entries(example)) merged[k in prediction ? `example_${k}` : k] = v;
  for (const [k, v] of Object.entries(prediction)) merged[k in example ? `pred_${k}` : k] = v;
  merged[metricName] = row.score;
  return merged;
}

export function resultRecords(result: EvaluationResult, metricName = result.metricName): Fields[] {
  return result.results.map((row) => resultRecord(row, metricName));
}

/** The records as a JSON array (what DSPy's `save_as_json` writes). */
export function toJSON(result: EvaluationResult, metricName = result.metricName): string {
  return JSON.stringify(resultRecords(result, metricName));
}

/**
 * The records as CSV (what DSPy's `save_as_csv` writes): a header row, Python's `str()` of each
 * value, minimal quoting and CRLF line ends as Python's csv module uses. Columns are the union of
 * all records' keys, so a failed example (no prediction fields) does not break the header.
 */
export function toCSV(result: EvaluationResult, metricName = result.metricName): string {
  const records = resultRecords(result, metricName);
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
    }
  }
  const lines = [columns.map(csvCell).join(",")];
  for (const r of records) lines.push(columns.map((c) => (c in r ? csvCell(pyStr(r[c])) : "")).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

export async function saveCSV(path: string, result: EvaluationResult, metricName?: string): Promise<void> {
  await writeFile(path, toCSV(result, metricName));
}

export async function saveJSON(path: string, result: EvaluationResult, metricName?: string): Promise<void> {
  await writeFile(path, toJSON(result, metricName));
}

export interface TableOptions {
  /** Show only the first `limit` rows (DSPy's `display_table=<int>`). */
  limit?: number;
  metricName?: string;
  /** Widest a column may be before its cells are cut with "..." (pandas' default is 50). */
  maxColWidth?: number;
}

/**
 * A plain-text results table: cells cut to 25 words as DSPy's `truncate_cell` does, the metric
 * column as `✔️ [0.333]`, and an `error` column when any example failed.
 */
export function formatTable(result: EvaluationResult, options: TableOptions = {}): string {
  const metricName = options.metricName ?? result.metricName;
  const maxWidth = options.maxColWidth ?? 50;
  const rows = options.limit === undefined ? result.results : result.results.slice(0, options.limit);
  const records = rows.map((row) => resultRecord(row, metricName));
  const withErrors = result.results.some((r) => r.error);
  const columns: string[] = [];
  for (const r of records)
    for (const k of Object.keys(r)) if (k !== metricName && !columns.includes(k)) columns.push(k);
  columns.push(metricName);
  if (withErrors) columns.push("error");

  const body = records.map((record, i) =>
    [
      String(rows[i]!.index),
      ...columns.map((c) => {
        if (c === metricName) return `✔️ [${rows[i]!.score.toFixed(3)}]`;
        if (c === "error") return rows[i]!.error?.message ?? "";
        return c in record ? truncateCell(pyStr(record[c])) : "";
      }),
    ].map((cell) => clip(cell.replace(/\s+/g, " "), maxWidth)),
  );
  const header = ["", ...columns].map((c) => clip(c, maxWidth));
  const widths = header.map((h, i) => Math.max(width(h), ...body.map((b) => width(b[i]!))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c + " ".repeat(widths[i]! - width(c)))
      .join("  ")
      .trimEnd();
  const out = [line(header), ...body.map(line)];
  const hidden = result.results.length - rows.length;
  if (hidden > 0) out.push(`... ${hidden} more rows not displayed ...`);
  return `${out.join("\n")}\n`;
}

/** DSPy's `truncate_cell`: more than 25 words become the first 25 plus "...". */
export function truncateCell(content: string): string {
  const words = content.split(/\s+/).filter((w) => w.length > 0);
  return words.length > 25 ? `${words.slice(0, 25).join(" ")}...` : content;
}

function clip(cell: string, max: number): string {
  const chars = Array.from(cell);
  return chars.length > max ? `${chars.slice(0, max - 3).join("")}...` : cell;
}

/** Display width in code points (good enough for aligned plain text). */
function width(cell: string): number {
  return Array.from(cell).length;
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
