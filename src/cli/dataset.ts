/**
 * Datasets for the CLI: JSONL (one object per line) or CSV (header row). Bad input fails with
 * the file and line number, since a dataset is usually hand-edited.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { DSPexError } from "../errors.js";
import { Example, type Fields } from "../modules/example.js";

export class DatasetError extends DSPexError {}

export async function loadDataset(path: string, inputKeys?: string[]): Promise<Example[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new DatasetError(`cannot read dataset ${path}`, { fix: "check the path; datasets are .jsonl or .csv files" });
  }
  const ext = extname(path).toLowerCase();
  let rows: Fields[];
  if (ext === ".jsonl" || ext === ".ndjson") rows = parseJSONL(text, path);
  else if (ext === ".csv") rows = parseCSV(text, path);
  else throw new DatasetError(`unknown dataset format "${ext || "(none)"}" for ${path}`, { fix: "use .jsonl or .csv" });
  if (rows.length === 0) throw new DatasetError(`dataset ${path} is empty`, { fix: "add at least one example" });
  return rows.map((r) => (inputKeys ? new Example(r).withInputs(...inputKeys) : new Example(r)));
}

export function parseJSONL(text: string, path = "<input>"): Fields[] {
  const rows: Fields[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new DatasetError(`${path}:${i + 1}: invalid JSON (${(e as Error).message})`, {
        context: { line: i + 1 },
        fix: "each line must be one JSON object",
      });
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new DatasetError(
        `${path}:${i + 1}: expected a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}`,
        {
          context: { line: i + 1 },
          fix: 'write e.g. {"question": "...", "answer": "..."}',
        },
      );
    }
    rows.push(value as Fields);
  }
  return rows;
}

/** RFC 4180 CSV: quoted fields, doubled quotes, newlines inside quotes. */
export function parseCSV(text: string, path = "<input>"): Fields[] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === "\n") line++;
        field += c;
      }
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      if (record.length > 1 || record[0] !== "") records.push(record);
      record = [];
      field = "";
      line++;
      recordLine = line;
    } else field += c;
  }
  if (quoted)
    throw new DatasetError(`${path}:${recordLine}: unterminated quoted field`, { fix: 'close the quote with "' });
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const [header, ...body] = records;
  if (!header) return [];
  return body.map((cells, i) => {
    if (cells.length !== header.length) {
      throw new DatasetError(`${path}: row ${i + 2} has ${cells.length} fields, the header has ${header.length}`, {
        context: { row: i + 2 },
        fix: "quote fields that contain commas",
      });
    }
    return Object.fromEntries(header.map((h, j) => [h, cells[j]]));
  });
}
